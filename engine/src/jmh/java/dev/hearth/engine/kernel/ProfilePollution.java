package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reproduces the decode kernels' "compile lottery" (docs/kernels.md) on demand: the JDK's Vector API methods
 * are first profiled by 128-bit vectors ({@link #pollute}, the kernels' kinds of operations on 128-bit species,
 * run in the interpreter), then a 512-bit decode kernel is run and timed. Not a JMH
 * benchmark: what it shows is which code C2 makes of the kernel after that history, read from the heap
 * allocated per call (0 when C2 intrinsified every vector operation) and the time per call.
 *
 * <pre>
 * ./mvnw -B -q -pl engine -Pjmh package -DskipTests
 * java --add-modules jdk.incubator.vector -XX:CompileCommand=quiet \
 *      -XX:CompileCommand=exclude,dev.hearth.engine.kernel.ProfilePollution::pollute \
 *      -cp engine/target/hearth-engine-benchmarks.jar dev.hearth.engine.kernel.ProfilePollution 400
 * </pre>
 * The arguments are the number of polluting calls (0: none, the kernel's usual code), the weight type (Q4_0,
 * Q8_0, Q4_K, Q5_K or Q6_K: their decode layouts' kernels, as {@code InterleaveBench.interleaved}; Q2_K or Q3_K:
 * their kernels on the file's layout) and the row length
 * (default 2048; 256 for a 20M model's short rows), over 2M weights.
 */
public final class ProfilePollution {
    private ProfilePollution() {}

    private static final VectorSpecies<Integer> I4 = IntVector.SPECIES_128;
    private static final VectorSpecies<Short> S8 = ShortVector.SPECIES_128;
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;
    private static final VectorShuffle<Float> HALVES = VectorShuffle.fromOp(F4, j -> j / 2);

    /**
     * The decode kernels' kinds of operations (masks, shifts, widening, reinterpretations, pair sums, scale lookups,
     * FMA) on 128-bit vectors of bytes, shorts, ints and floats, in the convenience forms most code uses.
     */
    static float pollute(int[] w, short[] xs, float[] xf, int n) {
        var acc = FloatVector.zero(F4);
        for (int i = 0; i + 16 <= n; i += 16) {
            var q = IntVector.fromArray(I4, w, i);
            var x = ShortVector.fromArray(S8, xs, i);
            var h = (IntVector) x.convertShape(VectorOperators.S2I, I4, 0);
            var d = h.lanewise(VectorOperators.LSHL, 13).and(0x8FFF_E000).reinterpretAsFloats()
                    .mul(FloatVector.fromArray(F4, xf, i).rearrange(HALVES));
            var s = q.and(0x000F_000F).reinterpretAsShorts().mul(x)
                    .add(q.lanewise(VectorOperators.LSHR, 4).and(0x000F_000F).or(q.lanewise(VectorOperators.LSHL, 2)).reinterpretAsShorts().sub(x).mul(x));
            var b = q.reinterpretAsBytes();
            var bs = (ShortVector) b.convertShape(VectorOperators.B2S, S8, 0);
            s = s.add(bs.and((short) 0x0F).mul(x)).add(bs.lanewise(VectorOperators.LSHR, 4).mul(x))
                    .add(b.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).reinterpretAsShorts());
            var scales = (IntVector) b.convertShape(VectorOperators.B2I, I4, 0);
            var f = (FloatVector) s.reinterpretAsInts().mul(65537).lanewise(VectorOperators.ASHR, 16).sub(q)
                    .mul(h.and(3).selectFrom(scales)).convertShape(VectorOperators.I2F, F4, 0);
            acc = f.fma(d.rearrange(HALVES), acc).add(FloatVector.broadcast(F4, xf[i]));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        var type = GgmlType.valueOf(args.length > 1 ? args[1] : "Q4_0");
        int[] w = new int[4096];
        short[] xs = new short[4096];
        float[] xf = new float[4096];
        for (int i = 0; i < 4096; i++) {
            w[i] = i * 0x9E3779B9;
            xs[i] = (short) (i % 97);
            xf[i] = i * 0.001f;
        }
        float sink = 0;
        long t0 = System.nanoTime();
        for (int k = 0; k < calls; k++) sink += pollute(w, xs, xf, k < 200 ? 64 : 4096);
        System.out.printf("%d polluting calls in %.1f s (%s)%n", calls, (System.nanoTime() - t0) / 1e9, sink);

        var arena = Arena.ofShared();
        int cols = args.length > 2 ? Integer.parseInt(args[2]) : 2048, rows = (1 << 21) / cols;
        var x4 = BenchData.matrix(arena, type, rows, cols, 42).interleave(bytes -> arena.allocate(bytes, 64));
        float[] out = new float[rows];
        var q8 = new Q8Activations(Q8Activations.kindFor(type)).quantize(BenchData.activations(cols, 7), 1, cols);
        Q8Kernels.prepare(x4, q8, 1);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 12; round++) {
            long a0 = threads.getCurrentThreadAllocatedBytes(), t = System.nanoTime();
            int n = 2000;
            for (int c = 0; c < n; c++) {
                if (x4.interleaved()) Q8Kernels.layoutDots(x4, 0, rows, q8, 0, out, 0);
                else Q8Kernels.dots(type, x4.data(), 0, x4.rowBytes(), rows, q8, 0, out, 0);
            }
            long a1 = threads.getCurrentThreadAllocatedBytes();
            System.out.printf("round %2d: %7.1f us per call, %9.0f bytes per call%n", round, (System.nanoTime() - t) / 1e3 / n, (a1 - a0) / (double) n);
        }
    }
}
