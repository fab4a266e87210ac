package dev.hearth.engine.kernel;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Watches the JIT compiler's accumulated compile time from the first use until it has been quiet for
 * {@link #QUIET_NANOS} (or {@link #LIMIT_NANOS} have passed), then says "not busy" for the rest of the JVM's
 * life and its thread ends. "Busy": at least {@link #BUSY_MILLIS} of compile time in a {@link #WINDOW_MILLIS}
 * window, i.e. compiler threads on 40 % of a core or more. Later compilations (a rare deoptimisation) are
 * not watched.
 */
final class JitWatch {
    static final long WINDOW_MILLIS = 25, BUSY_MILLIS = 10;
    static final long QUIET_NANOS = 500_000_000L, LIMIT_NANOS = 30_000_000_000L;

    private static volatile boolean busy = true;
    private static boolean started;

    private JitWatch() {}

    static boolean busy() {
        return busy;
    }

    static synchronized void start() {
        if (started) return;
        started = true;
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            busy = false;
            return;
        }
        Thread t = new Thread(() -> {
            long begin = System.nanoTime(), quietSince = begin, last = jit.getTotalCompilationTime();
            try {
                while (true) {
                    Thread.sleep(WINDOW_MILLIS);
                    long now = System.nanoTime(), compiled = jit.getTotalCompilationTime();
                    if (compiled - last >= BUSY_MILLIS) quietSince = now;
                    last = compiled;
                    if (now - quietSince >= QUIET_NANOS || now - begin >= LIMIT_NANOS) break;
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
}
