package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Random weights for benchmarks, off-heap like a mapped model: random quants, sane float16 scales. */
final class BenchData {
    private BenchData() {}

    static Matrix matrix(Arena arena, GgmlType type, int rows, int cols, long seed) {
        long bytes = type.byteSize((long) rows * cols);
        MemorySegment seg = arena.allocate(bytes, 64);
        var rnd = new SplittableRandom(seed);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < bytes; i += 4) seg.set(Quant.F32, i, (float) rnd.nextDouble(-1, 1));
            }
            case F16 -> {
                for (long i = 0; i < bytes; i += 2) seg.set(Quant.I16, i, Float.floatToFloat16((float) rnd.nextDouble(-1, 1)));
            }
            case BF16 -> {
                for (long i = 0; i < bytes; i += 2) seg.set(Quant.I16, i, (short) (Float.floatToRawIntBits((float) rnd.nextDouble(-1, 1)) >>> 16));
            }
            default -> {
                for (long i = 0; i < bytes; i += 8) seg.set(ValueLayout.JAVA_LONG_UNALIGNED, i, rnd.nextLong());
                int[] halves = switch (type) {
                    case Q4_0, Q5_0, Q8_0 -> new int[] {0};
                    case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
                    case Q2_K -> new int[] {80, 82};
                    case Q3_K -> new int[] {108};
                    case Q6_K -> new int[] {208};
                    default -> throw new IllegalArgumentException(type.toString());
                };
                for (long p = 0; p < bytes; p += type.blockBytes()) {
                    for (int h : halves) seg.set(Quant.I16, p + h, Float.floatToFloat16((float) rnd.nextDouble(0.0001, 0.001)));
                }
            }
        }
        return new Matrix(type + "-" + rows + "x" + cols, type, seg, rows, cols);
    }

    static float[] activations(int n, long seed) {
        var rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-1, 1);
        return x;
    }
}
