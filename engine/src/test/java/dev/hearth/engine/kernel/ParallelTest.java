package dev.hearth.engine.kernel;

import static java.util.Map.entry;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ParallelTest {

    /**
     * The ranges that one run of {@code n} items with a minimum chunk of {@code minChunk} (1: none) is cut into on a
     * pool of {@code threads}: the same whichever thread claims each.
     */
    private static NavigableMap<Integer, Integer> chunks(int threads, int n, int minChunk) {
        try (var pool = new Parallel(threads)) {
            var ranges = new ConcurrentSkipListMap<Integer, Integer>();
            pool.run(n, minChunk, (from, to) -> ranges.put(from, to));
            return ranges;
        }
    }

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
    void chunksShrinkTowardsTheEnd() {
        // each claim takes 1 / (2 * threads) of what is left, at least n / 64: the same ranges whichever thread claims them
        int n = 6_400;
        var ranges = chunks(3, n, 1);
        int expectFrom = 0;
        for (var r : ranges.entrySet()) {
            assertThat(r.getKey()).isEqualTo(expectFrom);
            assertThat(r.getValue() - r.getKey()).as("chunk at %d", r.getKey()).isEqualTo(Math.min(n - expectFrom, Math.max(n / 64, (n - expectFrom) / 6)));
            expectFrom = r.getValue();
        }
        assertThat(expectFrom).isEqualTo(n);
        assertThat(ranges.firstEntry().getValue()).isEqualTo(n / 6);
        assertThat(ranges.lastEntry().getValue() - ranges.lastEntry().getKey()).isLessThanOrEqualTo(n / 64);
    }

    @Test
    void aMinimumChunkIsHonouredButForTheLast() {
        // a quarter of what is left while that is more than 300 rows, then 300 at a time
        assertThat(chunks(2, 2_000, 300)).containsExactly(entry(0, 500), entry(500, 875), entry(875, 1_175),
                entry(1_175, 1_475), entry(1_475, 1_775), entry(1_775, 2_000));
    }

    @Test
    void fewerThanTwoMinimumChunksPerThreadBecomeEvenShares() {
        // 256 rows with a minimum of 80 on 2 threads: two halves, not 80, 80, 80 and 16 (one thread doing 160)
        assertThat(chunks(2, 256, 80)).containsExactly(entry(0, 128), entry(128, 256));
        assertThat(chunks(3, 300, 60)).containsExactly(entry(0, 100), entry(100, 200), entry(200, 300));
        // items without a minimum stay one a claim, whatever their number: they may cost unlike amounts
        assertThat(chunks(2, 3, 1)).containsExactly(entry(0, 1), entry(1, 2), entry(2, 3));
    }

    @Test
    void callerOnlyRunsTheWholeRangeOnTheCallerWhileItSaysSo() {
        var callerOnly = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (var pool = new Parallel(2, callerOnly::get)) {
            var ranges = new ConcurrentSkipListMap<Integer, Integer>();
            var threads = java.util.concurrent.ConcurrentHashMap.<Thread>newKeySet();
            pool.run(1_000, (from, to) -> {
                ranges.put(from, to);
                threads.add(Thread.currentThread());
            });
            assertThat(ranges).containsExactly(entry(0, 1_000));
            assertThat(threads).containsExactly(Thread.currentThread());

            callerOnly.set(false);   // asked on every call: chunks again
            ranges.clear();
            pool.run(1_000, 300, (from, to) -> ranges.put(from, to));
            assertThat(ranges).hasSize(2);   // even shares: 1,000 / 300 is fewer than two chunks per thread
        }
    }

    @Test
    void aMinimumChunkLargerThanAnEvenShareIsCutToIt() {
        // 256 rows with a minimum of 240 on 2 threads: two halves, not 240 and 16
        assertThat(chunks(2, 256, 240)).containsExactly(entry(0, 128), entry(128, 256));
        assertThat(chunks(3, 10, 100)).containsExactly(entry(0, 4), entry(4, 8), entry(8, 10));
    }

    @Test
    void workersParkedWhileIdleAreWokenForTheNextCall() throws Exception {
        try (var pool = new Parallel(2)) {
            pool.run(2, (from, to) -> {});
            Thread.sleep(50);   // long past the spinning phase: the worker has parked
            var threadsSeen = java.util.concurrent.ConcurrentHashMap.<Thread>newKeySet();
            var both = new java.util.concurrent.CountDownLatch(2);
            long t0 = System.nanoTime();
            pool.run(2, (from, to) -> {
                threadsSeen.add(Thread.currentThread());
                both.countDown();
                try {
                    // the caller takes one item and waits here for the worker to take the other
                    assertThat(both.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(threadsSeen).hasSize(2);
            assertThat(System.nanoTime() - t0).isLessThan(5_000_000_000L);
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
    void exceptionsPropagateAndPoolStaysUsable() {
        try (var pool = new Parallel(3)) {
            // whichever thread runs the failing chunks, the caller sees the exception
            assertThatThrownBy(() -> pool.run(9, (from, to) -> {
                if (from >= 6) throw new IllegalStateException("boom at " + from);
            })).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("boom at ");
            assertThatThrownBy(() -> pool.run(1000, (from, to) -> {
                throw new ArithmeticException("every chunk");
            })).isInstanceOf(ArithmeticException.class);
            var sum = new AtomicLong();
            pool.run(9, (from, to) -> sum.addAndGet(to - from));
            assertThat(sum.get()).isEqualTo(9);
        }
    }

    @Test
    void callsFromSeveralThreadsAreSerializedAndCorrect() throws Exception {
        try (var pool = new Parallel(2)) {
            var errors = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
            Thread[] callers = new Thread[3];
            for (int t = 0; t < callers.length; t++) {
                callers[t] = new Thread(() -> {
                    try {
                        for (int call = 0; call < 300; call++) {
                            var sum = new AtomicLong();
                            pool.run(101, (from, to) -> {
                                for (int i = from; i < to; i++) sum.addAndGet(i);
                            });
                            if (sum.get() != 5050) throw new AssertionError("sum " + sum.get());
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                callers[t].start();
            }
            for (Thread t : callers) t.join();
            assertThat(errors).isEmpty();
        }
    }

    @Test
    void closedPoolRefusesWork() {
        var pool = new Parallel(2);
        pool.close();
        assertThatThrownBy(() -> pool.run(10, (from, to) -> {})).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void rejectsZeroThreads() {
        assertThatThrownBy(() -> new Parallel(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Parallel.defaultThreads()).isPositive();
    }
}
