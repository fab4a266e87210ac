package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.util.function.LongFunction;

/**
 * A weight matrix of {@code rows x cols} in a GGUF tensor type. As a GGUF file stores it (zero copy, a view of
 * the mapped file), row {@code r} starts at byte {@code r * rowBytes()}. A Q4_0 matrix can instead be
 * {@link #interleaved}, a copy laid out for the decode kernel ({@link #interleave}).
 *
 * <p><b>Interleaved Q4_0</b> (rows a multiple of 4, columns of 128, 512-bit vectors): rows in quads, each quad
 * the same bytes as its four rows, {@link #QUAD_GROUP_BYTES} per group of 4 blocks (128 columns): the four
 * rows' quants (64 bytes each: their four blocks' 16 quant bytes in order), then the 16 float16 scales (at
 * {@code 4 * row + block}). One 64-byte load is a row's group, and the four rows share the activations and a
 * single load of their scales. One stream of bytes (scales in a region of their own after the quants ran at
 * 60 % of the speed from memory).
 */
public record Matrix(String name, GgmlType type, MemorySegment data, int rows, int cols, boolean interleaved) {
    /** Bytes of a quad's group of 4 blocks in an interleaved Q4_0 matrix: 4 rows x 64 quant bytes, then 16 scales. */
    static final long QUAD_GROUP_BYTES = 288;

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
        if (interleaved && !interleaves(type, rows, cols)) {
            throw new IllegalArgumentException("tensor '" + name + "': a " + rows + "x" + cols + " " + type + " matrix cannot be interleaved");
        }
    }

    /** A matrix stored row by row, as in a GGUF file. */
    public Matrix(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        this(name, type, data, rows, cols, false);
    }

    public static Matrix of(GgufTensor t) {
        return new Matrix(t.name(), t.type(), t.data(), t.rows(), t.cols());
    }

    /** Whether a matrix of this type and shape has the interleaved layout on this machine (see the class comment). */
    public static boolean interleaves(GgmlType type, int rows, int cols) {
        return type == GgmlType.Q4_0 && Q8Kernels.WIDE && rows % 4 == 0 && cols % 128 == 0;
    }

    /**
     * This matrix interleaved (see the class comment) in memory from {@code allocate} (bytes to a 64-byte aligned
     * segment), or this matrix itself where that layout does not apply. Results of every matmul stay bit for bit
     * what they were.
     */
    public Matrix interleave(LongFunction<MemorySegment> allocate) {
        if (interleaved || !interleaves(type, rows, cols)) return this;
        final long rowBytes = rowBytes();
        MemorySegment dst = allocate.apply(rows / 4 * QUAD_GROUP_BYTES * (cols / 128));
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < cols / 32; b++) {
                long from = r * rowBytes + 18L * b;
                MemorySegment.copy(data, from + 2, dst, interleavedQuants(cols, r, b), 16);
                dst.set(Quant.I16, interleavedScale(cols, r, b), data.get(Quant.I16, from));
            }
        }
        return new Matrix(name, type, dst, rows, cols, true);
    }

    /** Byte offset of block {@code b}'s 16 quant bytes of row {@code r} in an interleaved matrix of {@code cols} columns. */
    static long interleavedQuants(int cols, int r, int b) {
        return (r / 4) * QUAD_GROUP_BYTES * (cols / 128) + QUAD_GROUP_BYTES * (b / 4) + 64 * (r % 4) + 16 * (b % 4);
    }

    /** Byte offset of block {@code b}'s float16 scale of row {@code r} in an interleaved matrix of {@code cols} columns. */
    static long interleavedScale(int cols, int r, int b) {
        return (r / 4) * QUAD_GROUP_BYTES * (cols / 128) + QUAD_GROUP_BYTES * (b / 4) + 256 + 2 * (4 * (r % 4) + b % 4);
    }

    public long rowBytes() {
        return type.byteSize(cols);
    }

    /** Dequantizes row {@code r} into {@code dst[dstOff .. dstOff+cols)}. */
    public void row(int r, float[] dst, int dstOff) {
        if (interleaved) RowDecoder.q4_0Interleaved(data, cols, r, r + 1, dst, dstOff);
        else Quant.dequantize(type, data, r * rowBytes(), dst, dstOff, cols);
    }

    /** Rows {@code [r0, r1)} as floats into {@code dst[0, (r1 - r0) * cols)} ({@link RowDecoder}). */
    void decodeRows(int r0, int r1, float[] dst) {
        if (interleaved) RowDecoder.q4_0Interleaved(data, cols, r0, r1, dst, 0);
        else RowDecoder.decode(type, data, r0 * rowBytes(), dst, (r1 - r0) * cols);
    }
}
