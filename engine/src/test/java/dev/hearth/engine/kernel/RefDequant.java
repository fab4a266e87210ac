package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;

/**
 * An independent scalar decoder for tests, written element by element from the ggml format
 * definitions: for element {@code i} of a block it finds that element's bits and scale directly
 * (no loop structure shared with {@link Quant}), reading a plain byte array, in double precision,
 * with its own float16 decoding.
 */
final class RefDequant {
    private RefDequant() {}

    /** All {@code n} values starting at element {@code first} (a block boundary) of {@code data}. */
    static double[] decode(GgmlType type, byte[] data, long first, int n) {
        double[] out = new double[n];
        int bs = type.blockSize();
        for (int k = 0; k < n; k++) {
            long e = first + k;
            int block = Math.toIntExact(e / bs);
            int p = block * type.blockBytes();
            out[k] = element(type, data, p, (int) (e % bs));
        }
        return out;
    }

    /** Element {@code i} of the block at byte {@code p}. */
    static double element(GgmlType type, byte[] b, int p, int i) {
        return switch (type) {
            case F32 -> Float.intBitsToFloat(i32(b, p));
            case F16 -> half(b, p);
            case BF16 -> Float.intBitsToFloat(u16(b, p) << 16);
            case Q4_0 -> half(b, p) * (nibble(b, p + 2, i) - 8);
            case Q4_1 -> half(b, p) * nibble(b, p + 4, i) + half(b, p + 2);
            case Q5_0 -> half(b, p) * ((nibble(b, p + 6, i) | bit(i32(b, p + 2), i) << 4) - 16);
            case Q5_1 -> half(b, p) * (nibble(b, p + 8, i) | bit(i32(b, p + 4), i) << 4) + half(b, p + 2);
            case Q8_0 -> half(b, p) * b[p + 2 + i];
            case Q2_K -> {
                // 2 halves of 128; in a half, quarter j uses bits 2j..2j+1 of qs[32*half + l], l = 0..31
                int half = i / 128, j = (i % 128) / 32, l = i % 32;
                int q = (u8(b, p + 16 + 32 * half + l) >> (2 * j)) & 3;
                int sc = u8(b, p + i / 16);
                yield half(b, p + 80) * (sc & 15) * q - half(b, p + 82) * (sc >> 4);
            }
            case Q3_K -> {
                int half = i / 128, j = (i % 128) / 32, l = i % 32;
                int q = (u8(b, p + 32 + 32 * half + l) >> (2 * j)) & 3;
                int high = bit(u8(b, p + l), 4 * half + j);
                int s = i / 16;
                int lo4 = s < 8 ? u8(b, p + 96 + s) & 15 : u8(b, p + 96 + s - 8) >> 4;
                int hi2 = (u8(b, p + 96 + 8 + s % 4) >> (2 * (s / 4))) & 3;
                yield half(b, p + 108) * ((lo4 | hi2 << 4) - 32) * (q - (high == 1 ? 0 : 4));
            }
            case Q4_K -> {
                int g = i / 64, l = i % 32, sub = i / 32;
                int byteQ = u8(b, p + 16 + 32 * g + l);
                int q = (i % 64) < 32 ? byteQ & 15 : byteQ >> 4;
                yield half(b, p) * scaleK(b, p + 4, sub) * q - half(b, p + 2) * minK(b, p + 4, sub);
            }
            case Q5_K -> {
                int g = i / 64, l = i % 32, sub = i / 32;
                boolean upper = (i % 64) >= 32;
                int byteQ = u8(b, p + 48 + 32 * g + l);
                int q = (upper ? byteQ >> 4 : byteQ & 15) | bit(u8(b, p + 16 + l), 2 * g + (upper ? 1 : 0)) << 4;
                yield half(b, p) * scaleK(b, p + 4, sub) * q - half(b, p + 2) * minK(b, p + 4, sub);
            }
            case Q6_K -> {
                int half = i / 128, quarter = (i % 128) / 32, l = i % 32;
                int qlByte = u8(b, p + 64 * half + l + (quarter % 2 == 1 ? 32 : 0));
                int lo4 = quarter < 2 ? qlByte & 15 : qlByte >> 4;
                int hi2 = (u8(b, p + 128 + 32 * half + l) >> (2 * quarter)) & 3;
                yield half(b, p + 208) * b[p + 192 + i / 16] * ((lo4 | hi2 << 4) - 32);
            }
            default -> throw new IllegalArgumentException("no reference decoder for " + type);
        };
    }

    /** Byte offset of element 0 of a block-aligned element index. */
    static long byteOffset(GgmlType type, long element) {
        return element / type.blockSize() * type.blockBytes();
    }

    /** Q4_K/Q5_K sub-block scale: 6 bits; sub-blocks 0-3 in bytes 0-3, 4-7 split over byte 8+j (low nibble) and bytes 0-3 (top 2 bits). */
    private static int scaleK(byte[] b, int s, int j) {
        if (j < 4) return u8(b, s + j) & 63;
        return (u8(b, s + 4 + j) & 15) | (u8(b, s + j - 4) >> 6) << 4;
    }

    /** Q4_K/Q5_K sub-block min: 6 bits; 0-3 in bytes 4-7, 4-7 split over byte 8+j (high nibble) and bytes 4-7 (top 2 bits). */
    private static int minK(byte[] b, int s, int j) {
        if (j < 4) return u8(b, s + 4 + j) & 63;
        return (u8(b, s + 4 + j) >> 4) | (u8(b, s + j) >> 6) << 4;
    }

    /** 4-bit quant of element i (0..31) of a 16-byte nibble array: low nibbles hold 0..15, high 16..31. */
    private static int nibble(byte[] b, int qs, int i) {
        return i < 16 ? u8(b, qs + i) & 15 : u8(b, qs + i - 16) >> 4;
    }

    private static int bit(int v, int k) {
        return (v >>> k) & 1;
    }

    private static int u8(byte[] b, int p) {
        return b[p] & 0xFF;
    }

    private static int u16(byte[] b, int p) {
        return u8(b, p) | u8(b, p + 1) << 8;
    }

    private static int i32(byte[] b, int p) {
        return u16(b, p) | u16(b, p + 2) << 16;
    }

    /** IEEE binary16 at p, decoded by hand: sign, 5-bit exponent (bias 15), 10-bit fraction. */
    static double half(byte[] b, int p) {
        int h = u16(b, p);
        int sign = h >> 15, exp = (h >> 10) & 31, frac = h & 1023;
        double v;
        if (exp == 0) v = frac * Math.pow(2, -24);
        else if (exp == 31) v = frac == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else v = (1 + frac / 1024.0) * Math.pow(2, exp - 15);
        return sign == 1 ? -v : v;
    }
}
