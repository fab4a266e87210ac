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

    @Test
    void allocationLooksLikeBoxingAboveATenthOfTheWeightBytesPerToken() {
        long weights = 600_000_000L;   // a 1.1B Q4_0 model: compiled ~0.16 MB per decode token, boxing 200-370 MB
        assertThat(JitWatch.boxing(160_000, weights)).isFalse();
        assertThat(JitWatch.boxing(200_000_000, weights)).isTrue();
        assertThat(JitWatch.boxing(60_000_000, weights)).isFalse();
        assertThat(JitWatch.boxing(61_000_000, weights)).isTrue();
        // a small model: at least 1 MiB per token
        assertThat(JitWatch.boxing(1_000_000, 5_000_000L)).isFalse();
        assertThat(JitWatch.boxing(1_100_000, 5_000_000L)).isTrue();
        assertThat(JitWatch.boxing(Double.NaN, weights)).isFalse();
    }
}
