package dev.hearth.engine.bench;

import dev.hearth.engine.kernel.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures how fast this machine streams memory into the cores: every thread of a pool sums its
 * share of an off-heap buffer much larger than the caches with vector loads, and the best of a few
 * passes gives bytes read per second. Decode reads every weight once per token, so this bounds it:
 * {@code tokens/s <= bandwidth / bytes read per token}.
 */
public final class MemoryBandwidth {
    /** Default buffer: 1 GiB, far beyond any L3 cache of the machines this runs on. */
    public static final long DEFAULT_BYTES = 1L << 30;
    /** Default number of timed passes; the best one counts (the others met interference). */
    public static final int DEFAULT_PASSES = 5;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    // Work is handed out in slices of this size so the kernel is a short, often-called method
    // that the JIT compiles early (a single long loop would run interpreted until OSR kicks in).
    private static final long SLICE = 4L << 20;
    private static volatile double sink;

    /**
     * @param gbPerSecond best pass, in 10^9 bytes per second
     * @param passes      every timed pass, in GB/s, in the order run
     */
    public record Result(double gbPerSecond, long bufferBytes, int threads, double[] passes) {
        /** This probe and a later one of the same size and threads as one: the best pass of both, every pass in order. */
        public Result and(Result later) {
            if (later.bufferBytes != bufferBytes || later.threads != threads) {
                throw new IllegalArgumentException("probes of " + bufferBytes + " and " + later.bufferBytes + " bytes, "
                        + threads + " and " + later.threads + " threads cannot be combined");
            }
            double[] all = java.util.Arrays.copyOf(passes, passes.length + later.passes.length);
            System.arraycopy(later.passes, 0, all, passes.length, later.passes.length);
            return new Result(Math.max(gbPerSecond, later.gbPerSecond), bufferBytes, threads, all);
        }
    }

    private MemoryBandwidth() {}

    /** Streams a {@link #DEFAULT_BYTES} buffer {@link #DEFAULT_PASSES} times with all threads of {@code pool}. */
    public static Result measure(Parallel pool) {
        return measure(pool, DEFAULT_BYTES, DEFAULT_PASSES);
    }

    /**
     * Streams a buffer of {@code bytes} bytes (rounded down to whole slices, at least one per thread)
     * {@code passes} times, after an untimed warm-up over a small part of it so the read kernel is
     * compiled before the clock starts.
     */
    public static Result measure(Parallel pool, long bytes, int passes) {
        if (passes < 1) throw new IllegalArgumentException("passes must be >= 1, got " + passes);
        int threads = pool.threads();
        long slices = Math.max(threads, bytes / SLICE);
        long size = slices * SLICE;
        double[] rates = new double[passes];
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(size, 64);
            // Touch every page (and give the floats a value) so page faults are not timed.
            for (long off = 0; off < size; off += SLICE) {
                buf.asSlice(off, SLICE).fill((byte) 0x3F);   // floats of 0.747: normal numbers, no denormal slow path
            }
            // Warm-up: enough calls on small slices for C2 to compile the kernel.
            long warmSlices = Math.min(slices, 64);
            for (int round = 0; round < 40; round++) {
                pool.run((int) warmSlices, (from, to) -> {
                    double s = 0;
                    for (int i = from; i < to; i++) s += sum(buf, i * SLICE, SLICE);
                    if (s == 42) sink = s;   // the sum is used, so the reads cannot be dropped
                });
            }
            double best = 0;
            for (int p = 0; p < passes; p++) {
                long t0 = System.nanoTime();
                pool.run((int) slices, (from, to) -> {
                    double s = 0;
                    for (int i = from; i < to; i++) s += sum(buf, i * SLICE, SLICE);
                    if (s == 42) sink = s;
                });
                long ns = System.nanoTime() - t0;
                rates[p] = size / (double) ns;   // bytes per ns == GB/s
                best = Math.max(best, rates[p]);
            }
            return new Result(best, size, threads, rates);
        }
    }

    /** Sum of the floats in {@code [off, off + len)}; four independent accumulators keep loads in flight. */
    static float sum(MemorySegment seg, long off, long len) {
        long step = F.vectorByteSize();
        var a0 = FloatVector.zero(F);
        var a1 = FloatVector.zero(F);
        var a2 = FloatVector.zero(F);
        var a3 = FloatVector.zero(F);
        long end = off + len, i = off;
        for (; i + 4 * step <= end; i += 4 * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(F, seg, i, ByteOrder.nativeOrder()));
            a1 = a1.add(FloatVector.fromMemorySegment(F, seg, i + step, ByteOrder.nativeOrder()));
            a2 = a2.add(FloatVector.fromMemorySegment(F, seg, i + 2 * step, ByteOrder.nativeOrder()));
            a3 = a3.add(FloatVector.fromMemorySegment(F, seg, i + 3 * step, ByteOrder.nativeOrder()));
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i + Float.BYTES <= end; i += Float.BYTES) s += seg.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i);
        return s;
    }
}
