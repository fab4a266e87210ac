package dev.hearth.engine.kernel;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Watches the JIT compiler's accumulated compile time from {@link #start} until it has been quiet for a while
 * (or a limit has passed), then says "not busy" for the rest of the JVM's life and its thread ends. "Busy": at
 * least {@link #BUSY_MILLIS} of compile time in a {@link #WINDOW_MILLIS} window, i.e. compiler threads on 40 % of a
 * core or more. Later compilations (a rare deoptimisation) are not watched. {@link #jvm()} is the JVM's own watch.
 */
public final class JitWatch {
    static final long WINDOW_MILLIS = 25, BUSY_MILLIS = 10;
    static final long QUIET_NANOS = 500_000_000L, LIMIT_NANOS = 30_000_000_000L;

    private static final JitWatch JVM = new JitWatch(JitWatch::compileMillis, QUIET_NANOS, LIMIT_NANOS);

    private final LongSupplier compiledMillis;
    private final long quietNanos, limitNanos;
    /** False until {@link #start}: without a watch nothing keeps to one thread (and nothing waits for it). */
    private volatile boolean busy;
    private boolean started;

    /**
     * @param compiledMillis the compile time so far in milliseconds, or negative where it cannot be known (then the
     *                       watch never says busy)
     */
    JitWatch(LongSupplier compiledMillis, long quietNanos, long limitNanos) {
        this.compiledMillis = compiledMillis;
        this.quietNanos = quietNanos;
        this.limitNanos = limitNanos;
    }

    static JitWatch jvm() {
        return JVM;
    }

    boolean busy() {
        return busy;
    }

    synchronized void start() {
        if (started) return;
        started = true;
        if (compiledMillis.getAsLong() < 0) return;
        busy = true;
        Thread t = new Thread(() -> {
            long begin = System.nanoTime(), quietSince = begin, last = compiledMillis.getAsLong();
            try {
                while (true) {
                    Thread.sleep(WINDOW_MILLIS);
                    long now = System.nanoTime(), compiled = compiledMillis.getAsLong();
                    if (compiled - last >= BUSY_MILLIS) quietSince = now;
                    last = compiled;
                    if (now - quietSince >= quietNanos || now - begin >= limitNanos) break;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                busy = false;
            }
        }, "hearth-jit-watch");
        t.setDaemon(true);
        t.start();
    }

    /** Milliseconds the JIT has spent compiling so far, or -1 where the JVM does not say. */
    public static long compileMillis() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    /**
     * Heap bytes allocated so far by all threads of the JVM, or -1 where the JVM does not count them. The forward
     * pass allocates little once compiled (0.16 MB per decode token of a 1.1B model); code still interpreted, and a
     * kernel whose compiled code boxes its vectors, allocate per vector operation: hundreds of MB per token
     * (docs/kernels.md, "Slow decode after a prefill is boxing").
     */
    public static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()) {
            return t.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    /**
     * Heap allocation per token above this share of the weight bytes a token reads (and above {@link #BOXING_FLOOR})
     * means a kernel's compiled code boxes its vectors: such processes allocated hundreds of MB to GBs per token
     * of a 1.1B model, normal ones about 1 % of the weights or less (0.16 MB per token of the 1.1B Q4_K_M file,
     * 0.14 MB of the brown Q8_0 one, in tg64; a few hundred bytes per token in pp512).
     */
    public static final double BOXING_SHARE = 0.1;
    /** Below this many bytes per token no warning: a tiny model's per-token arrays (logits) and a cold JIT's. */
    public static final long BOXING_FLOOR = 1L << 20;

    /** Whether {@code heapBytesPerToken} looks like a kernel that boxes its vectors ({@link #BOXING_SHARE}); false for NaN. */
    public static boolean boxing(double heapBytesPerToken, long weightBytesPerToken) {
        return heapBytesPerToken > BOXING_SHARE * weightBytesPerToken && heapBytesPerToken > BOXING_FLOOR;
    }
}
