package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar dequantization of every supported GGUF tensor type, written from the ggml block layouts
 * ({@code ggml-common.h}) and the {@code dequantize_row_*} definitions. This is the readable reference;
 * the fast paths live in {@link Dot} and {@link MatMul}.
 *
 * <p>Block layouts (all little-endian, {@code half} = IEEE float16):
 * <pre>
 * Q4_0  (32 / 18 B): half d; u8 qs[16]                 x = d * (nibble - 8), low nibbles = 0..15, high = 16..31
 * Q4_1  (32 / 20 B): half d, m; u8 qs[16]              x = d * nibble + m
 * Q5_0  (32 / 22 B): half d; u32 qh; u8 qs[16]         x = d * ((nibble | bit(qh, j) << 4) - 16)
 * Q5_1  (32 / 24 B): half d, m; u32 qh; u8 qs[16]      x = d * (nibble | bit(qh, j) << 4) + m
 * Q8_0  (32 / 34 B): half d; i8 qs[32]                 x = d * q
 * Q2_K (256 / 84 B): u8 scales[16]; u8 qs[64]; half d, dmin
 * Q3_K (256 /110 B): u8 hmask[32]; u8 qs[64]; u8 scales[12]; half d
 * Q4_K (256 /144 B): half d, dmin; u8 scales[12]; u8 qs[128]
 * Q5_K (256 /176 B): half d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]
 * Q6_K (256 /210 B): u8 ql[128]; u8 qh[64]; i8 scales[16]; half d
 * </pre>
 */
public final class Quant {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Quant() {}

    /** Decodes {@code n} consecutive values (a multiple of the block size) starting at byte {@code offset}. */
    public static void dequantize(GgmlType type, MemorySegment src, long offset, float[] dst, int dstOff, int n) {
        int bs = type.blockSize();
        if (n % bs != 0) {
            throw new IllegalArgumentException("dequantize " + type + ": n=" + n + " is not a multiple of the block size " + bs);
        }
        switch (type) {
            case F32 -> MemorySegment.copy(src, F32, offset, dst, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = Float.float16ToFloat(src.get(I16, offset + 2L * i));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) dst[dstOff + i] = bf16(src.get(I16, offset + 2L * i));
            }
            default -> {
                long bb = type.blockBytes();
                for (int b = 0; b < n / bs; b++) dequantizeBlock(type, src, offset + bb * b, dst, dstOff + bs * b);
            }
        }
    }

    /** Decodes one block of a quantized type into {@code dst[off .. off+blockSize)}. */
    static void dequantizeBlock(GgmlType type, MemorySegment s, long p, float[] y, int o) {
        switch (type) {
            case Q4_0 -> q4_0(s, p, y, o);
            case Q4_1 -> q4_1(s, p, y, o);
            case Q5_0 -> q5_0(s, p, y, o);
            case Q5_1 -> q5_1(s, p, y, o);
            case Q8_0 -> q8_0(s, p, y, o);
            case Q2_K -> q2_K(s, p, y, o);
            case Q3_K -> q3_K(s, p, y, o);
            case Q4_K -> q4_K(s, p, y, o);
            case Q5_K -> q5_K(s, p, y, o);
            case Q6_K -> q6_K(s, p, y, o);
            default -> throw new UnsupportedOperationException(
                    "dequantize " + type + ": no kernel for this type (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K)");
        }
    }

    private static void q4_0(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, p + 2 + j);
            y[o + j] = d * ((q & 0xF) - 8);
            y[o + j + 16] = d * ((q >>> 4) - 8);
        }
    }

    private static void q4_1(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p), m = f16(s, p + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, p + 4 + j);
            y[o + j] = d * (q & 0xF) + m;
            y[o + j + 16] = d * (q >>> 4) + m;
        }
    }

    private static void q5_0(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p);
        int qh = s.get(I32, p + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, p + 6 + j);
            // bit j of qh is the 5th bit of element j, bit j+16 that of element j+16
            int h0 = ((qh >>> j) & 1) << 4, h1 = ((qh >>> (j + 16)) & 1) << 4;
            y[o + j] = d * (((q & 0xF) | h0) - 16);
            y[o + j + 16] = d * (((q >>> 4) | h1) - 16);
        }
    }

    private static void q5_1(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p), m = f16(s, p + 2);
        int qh = s.get(I32, p + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(s, p + 8 + j);
            int h0 = ((qh >>> j) & 1) << 4, h1 = ((qh >>> (j + 16)) & 1) << 4;
            y[o + j] = d * ((q & 0xF) | h0) + m;
            y[o + j + 16] = d * ((q >>> 4) | h1) + m;
        }
    }

    private static void q8_0(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p);
        for (int j = 0; j < 32; j++) y[o + j] = d * s.get(I8, p + 2 + j);
    }

    /** Q2_K: 16 sub-blocks of 16; scales[i] low nibble = scale, high nibble = min; 2-bit quants, 4 per byte. */
    private static void q2_K(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p + 80), dmin = f16(s, p + 82);
        int is = 0;
        for (int half = 0; half < 2; half++) {
            long q = p + 16 + 32L * half;
            for (int shift = 0; shift < 8; shift += 2) {
                for (int k = 0; k < 2; k++) {
                    int sc = u8(s, p + is++);
                    float dl = d * (sc & 0xF), ml = dmin * (sc >>> 4);
                    for (int l = 0; l < 16; l++) y[o++] = dl * ((u8(s, q + 16 * k + l) >>> shift) & 3) - ml;
                }
            }
        }
    }

    /** Q3_K: 16 sub-blocks of 16 with signed 6-bit scales (offset 32); 2 low bits in qs, 3rd bit in hmask (bit clear = -4). */
    private static void q3_K(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p + 108);
        long hm = p, qs = p + 32, sc = p + 96;
        int is = 0;
        for (int half = 0; half < 2; half++) {
            long q = qs + 32L * half;
            for (int j = 0; j < 4; j++) {
                int shift = 2 * j, m = 1 << (4 * half + j);
                for (int k = 0; k < 2; k++) {
                    float dl = d * (q3kScale(s, sc, is++) - 32);
                    for (int l = 16 * k; l < 16 * k + 16; l++) {
                        int v = ((u8(s, q + l) >>> shift) & 3) - ((u8(s, hm + l) & m) != 0 ? 0 : 4);
                        y[o++] = dl * v;
                    }
                }
            }
        }
    }

    /**
     * Q3_K 6-bit scale {@code i} (0..15), unsigned: low 4 bits are the low (i < 8) or high (i >= 8)
     * nibble of byte {@code i % 8}; the top 2 bits are bits {@code 2*(i/4)..} of byte {@code 8 + i % 4}.
     */
    static int q3kScale(MemorySegment s, long sc, int i) {
        int lo = u8(s, sc + (i & 7));
        lo = i < 8 ? lo & 0xF : lo >>> 4;
        int hi = (u8(s, sc + 8 + (i & 3)) >>> (2 * (i >>> 2))) & 3;
        return lo | hi << 4;
    }

    /** Q4_K / Q5_K 6-bit scale of sub-block {@code j} (0..7), as ggml's get_scale_min_k4. */
    static int kScale(MemorySegment s, long sc, int j) {
        return j < 4
                ? u8(s, sc + j) & 63
                : (u8(s, sc + j + 4) & 0xF) | ((u8(s, sc + j - 4) >>> 6) << 4);
    }

    /** Q4_K / Q5_K 6-bit min of sub-block {@code j} (0..7), as ggml's get_scale_min_k4. */
    static int kMin(MemorySegment s, long sc, int j) {
        return j < 4
                ? u8(s, sc + j + 4) & 63
                : (u8(s, sc + j + 4) >>> 4) | ((u8(s, sc + j) >>> 6) << 4);
    }

    /**
     * Q3_K's 6-bit scales {@code 8 * part .. 8 * part + 7} (unsigned, byte i of the result = scale {@code 8 * part + i}),
     * from the 12 packed bytes read as one long ({@code lo}: bytes 0-7) and one int ({@code hi}: bytes 8-11): low 4
     * bits from the low (part 0) or high (part 1) nibbles of {@code lo}, top 2 bits from bits {@code 2 (i / 4)} of byte
     * {@code 8 + i % 4}. Same values as {@link #q3kScale}, with two memory reads per block instead of two per scale.
     */
    static long q3kScales(long lo, int hi, int part) {
        long h = (hi & 0xFFFF_FFFFL) >>> 4 * part;
        return lo >>> 4 * part & 0x0F0F_0F0F_0F0F_0F0FL | ((h & 0x0303_0303L) | (h >>> 2 & 0x0303_0303L) << 32) << 4;
    }

    /**
     * The 8 scales of a Q4_K/Q5_K block (byte j of the result = scale j), from its 12 packed bytes read
     * as one long ({@code lo}: bytes 0-7) and one int ({@code hi}: bytes 8-11). Same values as
     * {@link #kScale}, with two memory reads per block instead of one or two per scale.
     */
    static long kScales(long lo, int hi) {
        // j < 4: low 6 bits of byte j; j >= 4: low nibble of byte j+4 | top 2 bits of byte j-4 << 4
        long low = lo & 0x3F3F3F3FL;
        long high = (hi & 0x0F0F0F0FL) | ((lo >>> 6 & 0x03030303L) << 4);
        return low | high << 32;
    }

    /** The 8 mins of a Q4_K/Q5_K block (byte j = min j), as {@link #kScales}. */
    static long kMins(long lo, int hi) {
        // j < 4: low 6 bits of byte j+4; j >= 4: high nibble of byte j+4 | top 2 bits of byte j << 4
        long low = (lo >>> 32) & 0x3F3F3F3FL;
        long high = ((hi & 0xF0F0F0F0L) >>> 4) | ((lo >>> 38 & 0x03030303L) << 4);
        return low | high << 32;
    }

    /** Q4_K: 8 sub-blocks of 32; per 64 values, 32 bytes of qs: low nibbles first sub-block, high nibbles second. */
    private static void q4_K(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p), dmin = f16(s, p + 2);
        long sc = p + 4, qs = p + 16;
        for (int g = 0; g < 4; g++) {
            float d1 = d * kScale(s, sc, 2 * g), m1 = dmin * kMin(s, sc, 2 * g);
            float d2 = d * kScale(s, sc, 2 * g + 1), m2 = dmin * kMin(s, sc, 2 * g + 1);
            long q = qs + 32L * g;
            for (int l = 0; l < 32; l++) y[o + 64 * g + l] = d1 * (u8(s, q + l) & 0xF) - m1;
            for (int l = 0; l < 32; l++) y[o + 64 * g + 32 + l] = d2 * (u8(s, q + l) >>> 4) - m2;
        }
    }

    /** Q5_K: as Q4_K plus a 5th bit: bit {@code 2g} of qh[l] for the low-nibble half of group g, bit {@code 2g+1} for the high. */
    private static void q5_K(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p), dmin = f16(s, p + 2);
        long sc = p + 4, qh = p + 16, qs = p + 48;
        for (int g = 0; g < 4; g++) {
            float d1 = d * kScale(s, sc, 2 * g), m1 = dmin * kMin(s, sc, 2 * g);
            float d2 = d * kScale(s, sc, 2 * g + 1), m2 = dmin * kMin(s, sc, 2 * g + 1);
            long q = qs + 32L * g;
            for (int l = 0; l < 32; l++) {
                int h = u8(s, qh + l);
                int q1 = (u8(s, q + l) & 0xF) | (((h >>> (2 * g)) & 1) << 4);
                int q2 = (u8(s, q + l) >>> 4) | (((h >>> (2 * g + 1)) & 1) << 4);
                y[o + 64 * g + l] = d1 * q1 - m1;
                y[o + 64 * g + 32 + l] = d2 * q2 - m2;
            }
        }
    }

    /** Q6_K: 16 sub-blocks of 16 with int8 scales; 4 low bits in ql, 2 high bits in qh, offset 32. */
    private static void q6_K(MemorySegment s, long p, float[] y, int o) {
        float d = f16(s, p + 208);
        for (int half = 0; half < 2; half++) {
            long ql = p + 64L * half, qh = p + 128 + 32L * half, sc = p + 192 + 8L * half;
            int base = o + 128 * half;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int a = u8(s, ql + l), b = u8(s, ql + l + 32), h = u8(s, qh + l);
                int q1 = ((a & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((b & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((a >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((b >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[base + l] = d * s.get(I8, sc + is) * q1;
                y[base + l + 32] = d * s.get(I8, sc + is + 2) * q2;
                y[base + l + 64] = d * s.get(I8, sc + is + 4) * q3;
                y[base + l + 96] = d * s.get(I8, sc + is + 6) * q4;
            }
        }
    }

    static int u8(MemorySegment s, long offset) {
        return s.get(I8, offset) & 0xFF;
    }

    static float f16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(I16, offset));
    }

    static float bf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
