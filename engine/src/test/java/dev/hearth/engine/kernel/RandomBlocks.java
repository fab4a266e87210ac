package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.util.SplittableRandom;

/**
 * Random but valid encoded tensors of every supported type, for kernel tests and tiny random models.
 *
 * <p>Quantized types get uniformly random quant/scale bytes and finite, modest float16 super-block
 * scales: each {@code d} (and {@code dmin}/{@code m}) is drawn in [0.001, 0.05] and then divided by the
 * largest integer factor the format multiplies it by, over 8, so that every decoded weight stays within
 * about [-0.4, 0.4] whatever the type (e.g. Q4_0: d in [0.001, 0.05], |w| <= 8d; Q8_0: d in
 * [0.001, 0.05] * 8/127). Float types get values uniform in [-1, 1). Deterministic for a seed.
 */
public final class RandomBlocks {
    private RandomBlocks() {}

    /** {@code rows x cols} values of {@code type}, row-major; cols must be a multiple of the block size. */
    public static byte[] generate(GgmlType type, int rows, int cols, long seed) {
        if (!type.supported()) throw new IllegalArgumentException(type + " is not a supported type");
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + ": cols=" + cols + " is not a multiple of the block size " + type.blockSize());
        }
        var rnd = new SplittableRandom(seed);
        long elements = (long) rows * cols;
        byte[] out = new byte[Math.toIntExact(type.byteSize(elements))];
        switch (type) {
            case F32 -> {
                for (int i = 0; i < elements; i++) putInt(out, 4 * i, Float.floatToRawIntBits(uniform(rnd)));
            }
            case F16 -> {
                for (int i = 0; i < elements; i++) putShort(out, 2 * i, Float.floatToFloat16(uniform(rnd)));
            }
            case BF16 -> {
                for (int i = 0; i < elements; i++) putShort(out, 2 * i, (short) (Float.floatToRawIntBits(uniform(rnd)) >>> 16));
            }
            default -> {
                rnd.nextBytes(out);
                int bb = type.blockBytes();
                for (int p = 0; p < out.length; p += bb) fixScales(type, out, p, rnd);
            }
        }
        return out;
    }

    private static void fixScales(GgmlType type, byte[] b, int p, SplittableRandom rnd) {
        switch (type) {
            case Q4_0 -> half(b, p, scale(rnd, 8));
            case Q4_1 -> {
                float d = scale(rnd, 15);
                half(b, p, d);
                half(b, p + 2, -d * (float) rnd.nextDouble(4, 11)); // min: centres the weights around ~0
            }
            case Q5_0 -> half(b, p, scale(rnd, 16));
            case Q5_1 -> {
                float d = scale(rnd, 31);
                half(b, p, d);
                half(b, p + 2, -d * (float) rnd.nextDouble(8, 23));
            }
            case Q8_0 -> half(b, p, scale(rnd, 127));
            case Q2_K -> {
                half(b, p + 80, scale(rnd, 45));
                half(b, p + 82, scale(rnd, 45));
            }
            case Q3_K -> half(b, p + 108, scale(rnd, 128));
            case Q4_K -> {
                half(b, p, scale(rnd, 63 * 15));
                half(b, p + 2, scale(rnd, 63 * 15));
            }
            case Q5_K -> {
                half(b, p, scale(rnd, 63 * 31));
                half(b, p + 2, scale(rnd, 63 * 31));
            }
            case Q6_K -> half(b, p + 208, scale(rnd, 128 * 32));
            default -> throw new IllegalArgumentException("no random blocks for " + type);
        }
    }

    /** d in [0.001, 0.05] * 8 / maxFactor. */
    private static float scale(SplittableRandom rnd, int maxFactor) {
        return (float) (rnd.nextDouble(0.001, 0.05) * 8.0 / maxFactor);
    }

    private static float uniform(SplittableRandom rnd) {
        return (float) rnd.nextDouble(-1, 1);
    }

    private static void half(byte[] b, int p, float v) {
        putShort(b, p, Float.floatToFloat16(v));
    }

    private static void putShort(byte[] b, int p, short v) {
        b[p] = (byte) v;
        b[p + 1] = (byte) (v >>> 8);
    }

    private static void putInt(byte[] b, int p, int v) {
        for (int k = 0; k < 4; k++) b[p + k] = (byte) (v >>> (8 * k));
    }
}
