package dev.hearth.engine.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * A persistent pool of worker threads for the forward pass. {@link #run} splits {@code [0, n)} into
 * contiguous chunks, long ones first and shorter ones towards the end ({@link #GUIDE}), and the
 * caller and the workers claim chunks until none is left; it returns when all are done. No thread is
 * created per call: workers spin briefly, then park, waiting for the next job.
 *
 * <p>Chunks are claimed, not assigned, so a worker that the OS has not scheduled yet (a busy or
 * oversubscribed machine) does not hold the call up: the caller and the other workers take its
 * share. The caller only waits for chunks already running.
 */
public final class Parallel implements AutoCloseable {
    /** A body over a range {@code [from, to)} of work items. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    /**
     * Guided chunks: a claim takes {@code 1 / (GUIDE * threads)} of the items still unclaimed, so the first
     * chunks are long (few claims, long runs of weight rows) and the last ones short, and the threads
     * finish within a short chunk of each other. With fixed chunks (4 per thread) a decode profile showed
     * each thread waiting for the other's last chunk: up to an eighth of every matrix.
     */
    private static final int GUIDE = 2;
    /** The shortest chunk, as a fraction of the items ({@code n / MIN_CHUNK_DIVISOR}), unless the caller asks for longer ones. */
    private static final int MIN_CHUNK_DIVISOR = 64;
    private static final int SPINS_BEFORE_PARK = 20_000;

    /** One call of {@link #run}; immutable but for its counters, so a late worker can never mix calls. */
    private static final class Job {
        final Range body;
        final int n, guide, minChunk;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread caller;

        Job(Range body, int n, int threads, int minChunk, Thread caller) {
            this.body = body;
            this.n = n;
            this.guide = GUIDE * threads;
            // a minimum chunk asked for, but never more than an even share: with 2 threads and a 256-row matrix
            // whose minimum is 240 rows, the caller took 240 and the worker 16 (a 20M-parameter model's decode
            // ran mostly on one thread)
            int share = (n + threads - 1) / threads;
            int chunk = Math.max(Math.max(1, Math.min(minChunk, share)), n / MIN_CHUNK_DIVISOR);
            // a minimum asked for that makes fewer than two chunks per thread: even shares instead. A 20M model's
            // 256 x 768 down matrix (80-row chunks) went as 80, 80, 80 and 16 rows, so one thread did 160 and the other
            // 96; in even shares its decode row took 4.4-4.9 instead of 5.6-5.7 us (MatMulBench, two threads;
            // docs/perf.md, seventeenth block). Not for items claimed one at a time (no minimum): their costs may
            // differ (attention items of 4, 2 and 1 heads), and single claims balance them.
            if (minChunk > 1 && n / chunk < 2 * threads) chunk = share;
            this.minChunk = chunk;
            this.caller = caller;
        }

        /** Claims and runs chunks until none is left. */
        void work() {
            int from;
            while ((from = next.get()) < n) {
                int to = Math.min(n, from + Math.max(minChunk, (n - from) / guide));
                if (!next.compareAndSet(from, to)) continue;
                try {
                    if (failure.get() == null) body.run(from, to);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (done.addAndGet(to - from) == n) LockSupport.unpark(caller);
                }
            }
        }
    }

    private final int threads;
    private final BooleanSupplier callerOnly;
    private final Thread[] workers;
    private volatile Job job;
    private volatile boolean closed;
    /**
     * Workers that may be parked. A worker counts itself in before its last look at {@link #job} and
     * parks only if that look finds no new job; the caller publishes the job before reading this count.
     * So the caller skips {@code unpark} (a mutex and maybe a futex call, 7 % of the caller's time in a
     * decode profile) while every worker is still spinning, and a parked worker is never missed.
     */
    private final AtomicInteger parked = new AtomicInteger();

    public Parallel(int threads) {
        this(threads, () -> false);
    }

    /**
     * A pool whose {@link #run} keeps to the calling thread whenever {@code callerOnly} says so (it is asked on every
     * call). {@link #whileJitBusy()} is the one the engine uses.
     */
    public Parallel(int threads, BooleanSupplier callerOnly) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.callerOnly = callerOnly;
        this.workers = new Thread[threads - 1];
        for (int i = 1; i < threads; i++) {
            Thread t = new Thread(this::workerLoop, "hearth-worker-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    /**
     * True while the JIT compiler is busy in the first seconds of the JVM ({@link JitWatch}), then false for good: the
     * policy for {@link #Parallel(int, BooleanSupplier)} that the engine's models use. In a fresh JVM the kernels
     * run interpreted until C2 has compiled them, and C2 compiles on the same cores: a second thread running
     * interpreted chunks slowed the compiler down more than it helped. {@code hearth run} with 2 threads (this
     * 2-core machine, jars alternated three times): the brown model, 64 tokens, 1.65-1.84 -> 1.47-1.60 s; 600
     * tokens 2.98-3.26 -> 2.79-2.84 s; the 1.1B Q4_0 file, 32 tokens, 4.54-5.63 -> 4.42-4.47 s.
     */
    public static BooleanSupplier whileJitBusy() {
        JitWatch watch = JitWatch.jvm();
        watch.start();
        return watch::busy;
    }

    /**
     * Whether the JIT compiler counts as busy ({@link #whileJitBusy()}): false before a pool has started the watch,
     * once the compiler has been quiet, or where it cannot be watched.
     */
    public static boolean jitBusy() {
        return JitWatch.jvm().busy();
    }

    /** Physical cores are not visible to Java; available processors is the best default. */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over disjoint ranges covering {@code [0, n)}, in parallel, and returns when all
     * are done. An exception thrown by the body (on any thread) is rethrown here; the remaining chunks
     * are then skipped. Calls from several threads are serialized.
     */
    public void run(int n, Range body) {
        run(n, 1, body);
    }

    /**
     * {@link #run(int, Range)} with chunks of at least {@code minChunk} items (but for the last), or of an
     * even share of {@code n} per thread where that is less: for cheap items, where a claim (an atomic update
     * of a line both cores write) would cost a real share of a short chunk's work.
     */
    public void run(int n, int minChunk, Range body) {
        if (threads == 1 || n <= 1 || callerOnly.getAsBoolean()) {
            if (n > 0) body.run(0, n);
            return;
        }
        synchronized (this) {
            if (closed) throw new IllegalStateException("this Parallel pool is closed");
            var j = new Job(body, n, threads, minChunk, Thread.currentThread());
            job = j;
            if (parked.get() > 0) for (Thread w : workers) LockSupport.unpark(w);
            j.work();
            int spins = 0;
            while (j.done.get() < j.n) {
                if (++spins < SPINS_BEFORE_PARK) Thread.onSpinWait();
                else LockSupport.parkNanos(50_000);
            }
            Throwable f = j.failure.get();
            if (f != null) {
                if (f instanceof RuntimeException re) throw re;
                if (f instanceof Error e) throw e;
                throw new RuntimeException(f);
            }
        }
    }

    private void workerLoop() {
        Job seen = null;
        while (!closed) {
            Job j = job;
            int spins = 0;
            while (j == seen && !closed) {
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    parked.incrementAndGet();
                    if (job == seen && !closed) LockSupport.parkNanos(1_000_000);
                    parked.decrementAndGet();
                }
                j = job;
            }
            if (closed) return;
            seen = j;
            j.work();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
