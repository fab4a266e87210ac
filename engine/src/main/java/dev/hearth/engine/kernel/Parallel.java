package dev.hearth.engine.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of worker threads for the forward pass. {@link #run} splits {@code [0, n)} into
 * contiguous chunks, one per thread, runs them (the caller takes chunk 0) and returns when all are
 * done. No thread is created and nothing is queued per call: workers spin briefly, then park, waiting
 * for the next generation number.
 */
public final class Parallel implements AutoCloseable {
    /** A body over a range {@code [from, to)} of work items. */
    @FunctionalInterface
    public interface Range {
        void run(int from, int to);
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Range task;
    private volatile int n;
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Thread caller;
    private volatile boolean closed;
    private volatile Throwable failure;

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 1; i < threads; i++) {
            final int id = i;
            Thread t = new Thread(() -> workerLoop(id), "hearth-worker-" + i);
            t.setDaemon(true);
            workers[i - 1] = t;
            t.start();
        }
    }

    /** Physical cores are not visible to Java; available processors is the best default. */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code [0, n)} split in contiguous chunks across the pool. */
    public void run(int n, Range body) {
        if (threads == 1 || n <= 1) {
            body.run(0, n);
            return;
        }
        synchronized (this) {
            this.task = body;
            this.n = n;
            this.caller = Thread.currentThread();
            this.failure = null;
            pending.set(threads - 1);
            generation.incrementAndGet();
            for (Thread w : workers) LockSupport.unpark(w);
            int[] r = chunk(0, n);
            body.run(r[0], r[1]);
            int spins = 0;
            while (pending.get() > 0) {
                if (++spins > 20_000) LockSupport.parkNanos(10_000);
                else Thread.onSpinWait();
            }
            task = null;
            Throwable f = failure;
            if (f != null) {
                if (f instanceof RuntimeException re) throw re;
                if (f instanceof Error e) throw e;
                throw new RuntimeException(f);
            }
        }
    }

    private int[] chunk(int id, int n) {
        long from = (long) n * id / threads, to = (long) n * (id + 1) / threads;
        return new int[] {(int) from, (int) to};
    }

    private void workerLoop(int id) {
        int seen = 0;
        while (!closed) {
            int spins = 0;
            while (generation.get() == seen && !closed) {
                if (++spins > 50_000) LockSupport.parkNanos(200_000);
                else Thread.onSpinWait();
            }
            if (closed) return;
            seen = generation.get();
            try {
                Range body = task;
                int total = n;
                int from = (int) ((long) total * id / threads), to = (int) ((long) total * (id + 1) / threads);
                if (body != null && from < to) body.run(from, to);
            } catch (Throwable t) {
                failure = t;
            } finally {
                if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
