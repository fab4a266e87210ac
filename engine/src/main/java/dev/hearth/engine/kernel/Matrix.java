package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix of {@code rows x cols} stored row-major in a GGUF tensor type, viewed in place
 * (zero copy). Row {@code r} starts at byte {@code r * rowBytes()}.
 */
public record Matrix(String name, GgmlType type, MemorySegment data, int rows, int cols) {

    public Matrix {
        if (!type.supported()) {
            throw new GgufException("tensor '" + name + "' has type " + type
                    + ", which Hearth cannot compute with yet (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K); "
                    + "re-quantize the model to one of those, e.g. llama-quantize --allow-requantize in.gguf out.gguf Q4_K_M");
        }
        if (cols % type.blockSize() != 0) {
            throw new GgufException("tensor '" + name + "': row length " + cols + " is not a multiple of the " + type + " block size");
        }
        if (data.byteSize() < type.byteSize((long) rows * cols)) {
            throw new GgufException("tensor '" + name + "': " + data.byteSize() + " bytes is too small for " + rows + "x" + cols + " " + type);
        }
    }

    public static Matrix of(GgufTensor t) {
        return new Matrix(t.name(), t.type(), t.data(), t.rows(), t.cols());
    }

    public long rowBytes() {
        return type.byteSize(cols);
    }

    /** Dequantizes row {@code r} into {@code dst[dstOff .. dstOff+cols)}. */
    public void row(int r, float[] dst, int dstOff) {
        Quant.dequantize(type, data, r * rowBytes(), dst, dstOff, cols);
    }
}
