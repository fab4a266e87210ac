package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar dequantization of every supported GGUF tensor type, written from the ggml block layouts.
 * This is the readable reference; the fast paths live in {@link Dot}.
 */
public final class Quant {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quant() {}

    /** Decodes {@code n} consecutive values (a multiple of the block size) starting at byte {@code offset}. */
    public static void dequantize(GgmlType type, MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = src.get(F32, offset + 4L * i);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src.get(I16, offset + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.intBitsToFloat((src.get(I16, offset + 2L * i) & 0xFFFF) << 16);
            }
            case Q8_0 -> {
                // block: f16 scale d, then 32 int8 quants; x = d * q
                for (int b = 0; b < n / 32; b++) {
                    long p = offset + 34L * b;
                    float d = f16(src, p);
                    for (int j = 0; j < 32; j++) dst[dstOff + 32 * b + j] = d * src.get(ValueLayout.JAVA_BYTE, p + 2 + j);
                }
            }
            default -> throw new UnsupportedOperationException("dequantize " + type);
        }
    }

    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(I16, offset));
    }
}
