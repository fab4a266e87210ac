package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyIndexIsVisitedExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (var pool = new Parallel(threads)) {
                for (int n : new int[] {0, 1, 2, 3, 4, 7, 100, 1001}) {
                    var hits = new AtomicIntegerArray(n);
                    pool.run(n, (from, to) -> {
                        for (int i = from; i < to; i++) hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("threads %d n %d index %d", threads, n, i).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void sumsOverRangesAreExact() {
        try (var pool = new Parallel(4)) {
            var sum = new AtomicLong();
            pool.run(100_000, (from, to) -> {
                long s = 0;
                for (int i = from; i < to; i++) s += i;
                sum.addAndGet(s);
            });
            assertThat(sum.get()).isEqualTo(100_000L * 99_999 / 2);
        }
    }

    @Test
    void manyCallsInARow() {
        try (var pool = new Parallel(3)) {
            long total = 0;
            for (int call = 0; call < 3_000; call++) {
                final int c = call;
                var sum = new AtomicLong();
                pool.run(10, (from, to) -> {
                    long s = 0;
                    for (int i = from; i < to; i++) s += i + c;
                    sum.addAndGet(s);
                });
                assertThat(sum.get()).isEqualTo(45 + 10L * c);
                total += sum.get();
            }
            assertThat(total).isEqualTo(3_000L * 45 + 10L * 3_000 * 2_999 / 2);
        }
    }

    @Test
    void exceptionFromAWorkerPropagatesAndPoolStaysUsable() {
        try (var pool = new Parallel(3)) {
            // the last chunk runs on a worker thread, not the caller
            assertThatThrownBy(() -> pool.run(9, (from, to) -> {
                if (to == 9) throw new IllegalStateException("boom at " + from);
            })).isInstanceOf(IllegalStateException.class).hasMessage("boom at 6");
            // the caller's own chunk
            assertThatThrownBy(() -> pool.run(9, (from, to) -> {
                if (from == 0) throw new ArithmeticException("caller chunk");
            })).isInstanceOf(ArithmeticException.class);
            var sum = new AtomicLong();
            pool.run(9, (from, to) -> sum.addAndGet(to - from));
            assertThat(sum.get()).isEqualTo(9);
        }
    }

    @Test
    void rejectsZeroThreads() {
        assertThatThrownBy(() -> new Parallel(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Parallel.defaultThreads()).isPositive();
    }
}
