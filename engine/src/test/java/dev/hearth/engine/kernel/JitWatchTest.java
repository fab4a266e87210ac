package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JitWatchTest {
    private static long millisUntilQuiet(JitWatch w, long timeoutMillis) throws InterruptedException {
        long t0 = System.nanoTime();
        while (w.busy()) {
            assertThat((System.nanoTime() - t0) / 1_000_000).as("still busy").isLessThan(timeoutMillis);
            Thread.sleep(5);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void notBusyBeforeItStartsBusyUntilTheCompilerHasBeenQuiet() throws Exception {
        var w = new JitWatch(() -> 1_000, 150_000_000L, 10_000_000_000L);
        assertThat(w.busy()).isFalse();
        w.start();
        assertThat(w.busy()).isTrue();
        assertThat(millisUntilQuiet(w, 5_000)).isGreaterThanOrEqualTo(100);
        w.start();   // once only: it stays quiet
        assertThat(w.busy()).isFalse();
    }

    @Test
    void aCompilerThatNeverRestsIsWaitedForUntilTheLimit() throws Exception {
        // 1 ms of compile time per 1 ms: always busy
        var w = new JitWatch(() -> System.nanoTime() / 1_000_000, 50_000_000L, 400_000_000L);
        w.start();
        long waited = millisUntilQuiet(w, 5_000);
        assertThat(waited).isGreaterThanOrEqualTo(350);
    }

    @Test
    void aCompileTimeThatCannotBeKnownIsNeverBusy() {
        var w = new JitWatch(() -> -1, 50_000_000L, 400_000_000L);
        w.start();
        assertThat(w.busy()).isFalse();
    }
}
