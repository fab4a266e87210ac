package dev.hearth.engine.bench;

import dev.hearth.engine.kernel.JitWatch;
import dev.hearth.engine.kernel.Parallel;
import dev.hearth.engine.model.Batch;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.model.Transformer;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * Runs llama-bench's tests on a model. As llama-bench does: random token ids (BOS first when the
 * model adds one), a fresh KV cache for each repetition, {@code pp<N>} as one {@link Session#feed} of
 * N tokens (one forward pass for N up to {@link Session#CHUNK}), {@code tg<N>} as N calls of
 * {@link Session#next}. A test at a depth D ({@link BenchTest#nDepth}) first fills the cache with D random
 * tokens, untimed and once per test (as prompt rows, in chunks): every run then rewinds to D, so it
 * attends over the same D positions as llama-bench's {@code -d} run, which refills them each time.
 * Unlike llama-bench, whose warm-up for tg is a single token, the warm-up here
 * is whole untimed runs of the test, repeated for a given time ({@link #DEFAULT_WARMUP_NANOS}) and then for
 * as long as the JIT is still compiling ({@link #DEFAULT_MAX_WARMUP_NANOS}): the Vector API kernels run
 * interpreted (several times slower) until the JIT has compiled them, and on a small model one run is over
 * long before C2 has finished. With two threads busy with the model, the compiler threads get little CPU:
 * after 2 s of warm-up, the first timed runs of a 20M-parameter model decoded at 300-450 t/s and the later
 * ones at 950-1,380.
 *
 * <p>A test of B sequences together ({@link BenchTest#nParallel}) keeps B caches, each filled with its own D random
 * tokens (untimed, once per test), and a run is N forward passes of one decode row per sequence, as
 * llama-batched-bench's decode phase ({@code -npp D -ntg N -npl B}) and a server's continuous batching.
 */
public final class Bench {
    /** Default warm-up: untimed runs are repeated until 2 s have passed (at least one run). */
    public static final long DEFAULT_WARMUP_NANOS = 2_000_000_000L;
    /** Default limit of the warm-up's extension: runs go on while the JIT is compiling ({@link #QUIET_NANOS}) until this much time has passed. */
    public static final long DEFAULT_MAX_WARMUP_NANOS = 30_000_000_000L;
    /**
     * The warm-up's extension ends once the JIT has finished no compilation for this long. Checking one run was not
     * enough for short tests: a C2 compilation in flight at the end of a 3 ms run finished during the timed ones, and
     * a 20M model's pp16, the first test of a list, ran at 2,000-4,300 t/s against 5,100-5,600 for the same test after
     * it (docs/kernels.md, twenty-sixth session).
     */
    static final long QUIET_NANOS = 500_000_000L;

    private Bench() {}

    /** Called before each run: {@code rep} is -1 for the warm-up, then 0, 1, ... */
    @FunctionalInterface
    public interface Progress {
        void starting(BenchTest test, int rep, int reps);
    }

    /**
     * @param transformer the model's forward pass (with its thread pool)
     * @param bos         token put first, or -1 for none (llama-bench: BOS when the vocabulary adds it)
     * @param warmupNanos untimed runs before the timed ones: negative = none, else at least one, repeated
     *                    until this many nanoseconds have passed
     * @param maxWarmupNanos after {@code warmupNanos}, untimed runs go on until the JIT has finished no compilation (as far
     *                    as the JVM tells) for {@link #QUIET_NANOS} and {@link Parallel#jitBusy()} no longer holds (a
     *                    model's pool runs on one thread until then), or until this many nanoseconds have passed in all
     * @param seed        seed of the random token ids
     */
    public static BenchResult run(Transformer transformer, int bos, BenchTest test, int repetitions, long warmupNanos,
                                  long maxWarmupNanos, long seed, Progress progress) {
        if (repetitions < 1) throw new IllegalArgumentException("repetitions must be >= 1, got " + repetitions);
        int vocab = transformer.config().vocabSize(), depth = test.nDepth();
        var rnd = new SplittableRandom(seed);
        LongSupplier once;
        if (test.nParallel() == 1) {
            int[] all = new int[depth + test.tokens()];
            for (int i = 0; i < all.length; i++) all[i] = rnd.nextInt(vocab);
            if (bos >= 0) all[0] = bos;
            int[] tokens = java.util.Arrays.copyOfRange(all, depth, all.length);
            int[] prompt = java.util.Arrays.copyOf(tokens, test.nPrompt());
            var session = new Session(transformer, all.length);
            if (depth > 0) session.feed(java.util.Arrays.copyOf(all, depth));
            once = () -> once(session, depth, prompt, tokens);
        } else {
            once = new Sequences(transformer, bos, test, rnd)::run;
        }

        long firstWarmNs = 0;
        if (warmupNanos >= 0) {
            if (progress != null) progress.starting(test, -1, repetitions);
            long start = System.nanoTime(), compiled = JitWatch.compileMillis(), changed = start - QUIET_NANOS;
            firstWarmNs = once.getAsLong();
            while (true) {
                long t = System.nanoTime(), elapsed = t - start, now = JitWatch.compileMillis();   // -1 throughout where unknown: time only
                // a model's pool keeps to one thread while the JIT is busy (Parallel.whileJitBusy): time nothing before
                if (now != compiled || Parallel.jitBusy()) changed = t;
                compiled = now;
                boolean quiet = t - changed >= QUIET_NANOS;
                if (elapsed >= warmupNanos && (quiet || elapsed >= maxWarmupNanos)) break;
                once.getAsLong();
            }
        }
        long[] samples = new long[repetitions];
        long allocated = JitWatch.allocatedBytes();
        for (int r = 0; r < repetitions; r++) {
            if (progress != null) progress.starting(test, r, repetitions);
            samples[r] = once.getAsLong();
        }
        long after = JitWatch.allocatedBytes();
        return new BenchResult(test, transformer.pool().threads(), samples, firstWarmNs, allocated < 0 || after < 0 ? -1 : after - allocated);
    }

    /**
     * The sequences of a test of several ({@link BenchTest#nParallel}): their random tokens (BOS first, as a test of
     * one's), and their caches, filled to the depth at construction.
     */
    static final class Sequences {
        private final Transformer transformer;
        private final Session[] sessions;
        private final int[][] tokens;
        private final int depth;
        private final Batch batch = new Batch();

        Sequences(Transformer transformer, int bos, BenchTest test, SplittableRandom rnd) {
            this.transformer = transformer;
            this.depth = test.nDepth();
            int n = test.nParallel(), vocab = transformer.config().vocabSize();
            sessions = new Session[n];
            tokens = new int[n][];
            for (int s = 0; s < n; s++) {
                // each sequence's own tokens: the depth, then the test's (test.tokens() counts all sequences')
                int[] all = new int[depth + test.nPrompt() + test.nGen()];
                for (int i = 0; i < all.length; i++) all[i] = rnd.nextInt(vocab);
                if (bos >= 0) all[0] = bos;
                sessions[s] = new Session(transformer, all.length);
                tokens[s] = java.util.Arrays.copyOfRange(all, depth, all.length);
                if (depth > 0) sessions[s].feed(java.util.Arrays.copyOf(all, depth));   // untimed
            }
        }

        /** Forward passes per run: the generated tokens of one sequence. */
        int steps() {
            return tokens[0].length;
        }

        /** The sequences' caches. */
        KvCache[] caches() {
            var caches = new KvCache[sessions.length];
            for (int s = 0; s < sessions.length; s++) caches[s] = sessions[s].cache();
            return caches;
        }

        /** One run: every sequence's generated tokens, one decode row each per forward pass, from the depth; its wall time in nanoseconds. */
        long run() {
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens[0].length; i++) {
                batch.clear();
                for (int s = 0; s < sessions.length; s++) batch.addDecode(tokens[s][i], depth + i, sessions[s].cache());
                transformer.forward(batch);
            }
            return System.nanoTime() - t0;
        }
    }

    /** One run from a cache holding the first {@code depth} tokens only; returns its wall time in nanoseconds. */
    private static long once(Session session, int depth, int[] prompt, int[] tokens) {
        session.rewind(depth);
        long t0 = System.nanoTime();
        if (prompt.length > 0) session.feed(prompt);
        for (int i = prompt.length; i < tokens.length; i++) session.next(tokens[i]);
        return System.nanoTime() - t0;
    }
}
