package dev.hearth.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.kernel.Parallel;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.TinyModels;
import dev.hearth.engine.model.Transformer;
import dev.hearth.engine.model.Weights;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** {@link Bench}, {@link BenchResult}, {@link BenchTest}, {@link ModelSummary} and {@link MemoryBandwidth}. */
class BenchRunTest {
    static final Parallel POOL = new Parallel(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    @Test
    void testNamesAsLlamaBench() {
        assertThat(BenchTest.prompt(512).name()).isEqualTo("pp512");
        assertThat(BenchTest.gen(128).name()).isEqualTo("tg128");
        assertThat(new BenchTest(512, 128).name()).isEqualTo("pp512+tg128");
        assertThat(BenchTest.gen(128).isGeneration()).isTrue();
        assertThat(BenchTest.prompt(8).isGeneration()).isFalse();
        assertThatThrownBy(() -> new BenchTest(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(BenchTest.gen(128).atDepth(2048).name()).isEqualTo("tg128 @ d2048");
        assertThat(BenchTest.prompt(512).atDepth(4096).name()).isEqualTo("pp512 @ d4096");
        assertThat(BenchTest.gen(128).atDepth(0)).isEqualTo(BenchTest.gen(128));
        assertThat(BenchTest.gen(8).atDepth(100).tokens()).isEqualTo(8);
        assertThatThrownBy(() -> BenchTest.gen(8).atDepth(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("depth");
        // several sequences decoding together: named after the sequences, counted for all of them
        assertThat(BenchTest.gen(128).inParallel(4).name()).isEqualTo("tg128 x4");
        assertThat(BenchTest.gen(128).atDepth(128).inParallel(16).name()).isEqualTo("tg128 x16 @ d128");
        assertThat(BenchTest.gen(128).inParallel(4).tokens()).isEqualTo(512);
        assertThat(BenchTest.gen(128).inParallel(1)).isEqualTo(BenchTest.gen(128));
        assertThat(BenchTest.gen(8).inParallel(3).atDepth(5).nParallel()).isEqualTo(3);
        assertThatThrownBy(() -> BenchTest.gen(8).inParallel(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> BenchTest.prompt(8).inParallel(2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("generation tests only");
    }

    @Test
    void statisticsOverRepetitions() {
        // 100 tokens in 1 s, 0.5 s and 0.25 s: 100, 200, 400 t/s.
        var r = new BenchResult(BenchTest.gen(100), 2, new long[] {1_000_000_000L, 500_000_000L, 250_000_000L}, 2_000_000_000L);
        assertThat(r.samplesTs()).containsExactly(100, 200, 400);
        assertThat(r.avgTs()).isCloseTo(233.333, within(1e-3));
        assertThat(r.stddevTs()).isCloseTo(Math.sqrt((133.333 * 133.333 + 33.333 * 33.333 + 166.667 * 166.667) / 2), within(1e-2));
        assertThat(r.avgNs()).isCloseTo(583_333_333.3, within(1.0));
        assertThat(r.warmupTs()).isEqualTo(50);
        var single = new BenchResult(BenchTest.prompt(10), 1, new long[] {1_000_000L}, 0);
        assertThat(single.stddevTs()).isZero();
        assertThat(single.warmupTs()).isNaN();
    }

    @Test
    void runsWarmUpThenTimedRepetitionsOnAFreshCache() {
        GgufFile file = TinyModels.build(TinyModels.Spec.of("llama", GgmlType.Q8_0));
        ModelConfig config = ModelConfig.from(file);
        var model = new Transformer(config, new Weights(file, config), POOL);
        List<Integer> calls = new ArrayList<>();
        var pp = Bench.run(model, 1, BenchTest.prompt(24), 3, 0, 0, 42, (t, rep, reps) -> calls.add(rep));
        assertThat(calls).containsExactly(-1, 0, 1, 2);
        assertThat(pp.samplesNs()).hasSize(3);
        for (long ns : pp.samplesNs()) assertThat(ns).isPositive();
        assertThat(pp.warmupNs()).isPositive();
        assertThat(pp.threads()).isEqualTo(2);
        assertThat(pp.avgTs()).isPositive();
        // The session holds exactly the test's 40 tokens: repeated runs fit only because each starts from an empty cache.
        var tg = Bench.run(model, 1, BenchTest.gen(40), 2, -1, 0, 7, null);
        assertThat(tg.samplesNs()).hasSize(2);
        assertThat(tg.warmupNs()).isZero();
        // At a depth the session holds depth + test tokens: each run rewinds to the depth, never past it.
        var deep = Bench.run(model, 1, BenchTest.gen(8).atDepth(600), 3, 0, 0, 7, null);
        assertThat(deep.samplesNs()).hasSize(3);
        for (long ns : deep.samplesNs()) assertThat(ns).isPositive();
        assertThat(deep.test().name()).isEqualTo("tg8 @ d600");
        // Several sequences: each cache holds depth + test tokens, and every run rewinds them all to the depth (a run
        // past the capacity would throw); the rate counts every sequence's tokens.
        var test = BenchTest.gen(8).atDepth(20).inParallel(3);
        var sequences = new Bench.Sequences(model, 1, test, new java.util.SplittableRandom(7));
        assertThat(sequences.steps()).as("forward passes per run: one per generated token of a sequence").isEqualTo(8);
        assertThat(sequences.caches()).hasSize(3).allSatisfy(c -> assertThat(c.capacity()).isEqualTo(28));
        var together = Bench.run(model, 1, test, 3, 0, 0, 7, null);
        assertThat(together.samplesNs()).hasSize(3);
        for (long ns : together.samplesNs()) assertThat(ns).isPositive();
        for (int i = 0; i < 3; i++) assertThat(together.samplesTs()[i]).isCloseTo(24e9 / together.samplesNs()[i], within(1e-9 * together.samplesTs()[i]));
    }

    /**
     * A test of several sequences computes what the scheduler's batches compute: its forward passes give each sequence
     * the logits of that sequence decoded alone (decode rows are batch-invariant, see MatMul), so the bench times
     * the same work a server does.
     */
    @Test
    void sequencesTogetherDecodeAsEachAlone() {
        GgufFile file = TinyModels.build(TinyModels.Spec.of("llama", GgmlType.Q8_0));
        ModelConfig config = ModelConfig.from(file);
        var model = new Transformer(config, new Weights(file, config), POOL);
        int[][] tokens = {{1, 5, 9, 2}, {1, 7, 3, 4}};
        var caches = new dev.hearth.engine.model.KvCache[] {new dev.hearth.engine.model.KvCache(config, 4), new dev.hearth.engine.model.KvCache(config, 4)};
        var batch = new dev.hearth.engine.model.Batch();
        float[][] together = null;
        for (int i = 0; i < 4; i++) {
            batch.clear();
            for (int s = 0; s < 2; s++) batch.addDecode(tokens[s][i], i, caches[s]);
            together = model.forward(batch);
        }
        for (int s = 0; s < 2; s++) {
            var alone = new dev.hearth.engine.model.Session(model, 4);
            float[] logits = null;
            for (int t : tokens[s]) logits = alone.next(t);
            assertThat(together[s]).as("sequence %d", s).containsExactly(logits);
        }
    }

    /** Past its minimum the warm-up goes on while the JIT compiles, but stops at its limit (here, the JIT of a fresh test JVM is busy). */
    @Test
    void warmUpExtendedWhileTheJitCompilesStopsAtItsLimit() {
        GgufFile file = TinyModels.build(TinyModels.Spec.of("llama", GgmlType.Q8_0));
        ModelConfig config = ModelConfig.from(file);
        var model = new Transformer(config, new Weights(file, config), POOL);
        long t0 = System.nanoTime();
        var r = Bench.run(model, 1, BenchTest.gen(16), 1, 0, 300_000_000L, 3, null);
        long took = System.nanoTime() - t0;
        assertThat(r.warmupNs()).isPositive();
        // the JVM's allocation count over the timed run (HotSpot keeps one), per token of it
        assertThat(r.allocatedBytes()).isNotNegative();
        assertThat(r.allocatedBytesPerToken()).isEqualTo(r.allocatedBytes() / 16.0);
        // at most the limit, one more warm-up run started just before it, and the timed run
        assertThat(took).isLessThan(300_000_000L + 2 * r.warmupNs() + 500_000_000L);
    }

    @Test
    void modelSummaryAsLlamaBenchDescribesIt() {
        var w = TinyModels.writer(TinyModels.Spec.of("llama", GgmlType.Q8_0));
        GgufFile noType = w.toGguf("tiny");
        var s = ModelSummary.of(noType);
        long bytes = 0, params = 0;
        for (var t : noType.tensors().values()) {
            bytes += t.byteSize();
            params += t.elements();
        }
        assertThat(s.sizeBytes()).isEqualTo(bytes);
        assertThat(s.params()).isEqualTo(params);
        // No general.file_type: the type holding most bytes names it.
        assertThat(s.quant()).isEqualTo("Q8_0");
        assertThat(s.type()).isEqualTo("llama " + Math.round(params / 1e6) + "M Q8_0");
        assertThat(s.sizeText()).endsWith(" MiB");
        assertThat(s.paramsText()).endsWith(" M");

        w.putU32("general.file_type", 15);
        assertThat(ModelSummary.of(w.toGguf("typed")).quant()).isEqualTo("Q4_K - Medium");
        assertThat(ModelSummary.sizeClass(1_100_048_384L)).isEqualTo("1B");
        assertThat(ModelSummary.sizeClass(21_110_000L)).isEqualTo("21M");
        var big = new ModelSummary("llama", "1B", "Q4_0", 622_000_000L, 1_100_048_384L);
        assertThat(big.sizeText()).isEqualTo("593.19 MiB");
        assertThat(big.paramsText()).isEqualTo("1.10 B");
        assertThat(new ModelSummary("llama", "1B", "Q8_0", 1_174_000_000L, 1).sizeText()).isEqualTo("1.09 GiB");
    }

    @Test
    void bandwidthProbeSumsTheBufferAndReportsARate() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var seg = arena.allocate(4096 + 12, 64);
            float expected = 0;
            for (int i = 0; i < (4096 + 12) / 4; i++) {
                seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, i % 7);
                expected += i % 7;
            }
            assertThat(MemoryBandwidth.sum(seg, 0, 4096 + 12)).isEqualTo(expected);
            assertThat(MemoryBandwidth.sum(seg, 64, 128)).isEqualTo(sum(seg, 64, 128));
        }
        var r = MemoryBandwidth.measure(POOL, 32L << 20, 2);
        assertThat(r.threads()).isEqualTo(2);
        assertThat(r.bufferBytes()).isEqualTo(32L << 20);
        assertThat(r.passes()).hasSize(2);
        // Any machine streams memory at more than 0.1 GB/s and less than 10 TB/s.
        assertThat(r.gbPerSecond()).isBetween(0.1, 10_000.0).isEqualTo(Math.max(r.passes()[0], r.passes()[1]));
    }

    /** Two probes as one: the best pass of both, every pass in order; probes of other sizes or threads are refused. */
    @Test
    void bandwidthProbesCombine() {
        var first = new MemoryBandwidth.Result(40.0, 1 << 20, 2, new double[] {35.0, 40.0});
        var later = new MemoryBandwidth.Result(55.5, 1 << 20, 2, new double[] {55.5, 50.0, 52.0});
        var both = first.and(later);
        assertThat(both.gbPerSecond()).isEqualTo(55.5);
        assertThat(both.passes()).containsExactly(35.0, 40.0, 55.5, 50.0, 52.0);
        assertThat(both.bufferBytes()).isEqualTo(1 << 20);
        assertThat(both.threads()).isEqualTo(2);
        assertThat(later.and(first).gbPerSecond()).isEqualTo(55.5);
        assertThatThrownBy(() -> first.and(new MemoryBandwidth.Result(50, 1 << 20, 1, new double[] {50})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 and 1 threads");
    }

    private static float sum(java.lang.foreign.MemorySegment seg, long off, long len) {
        float s = 0;
        for (long i = off; i < off + len; i += 4) s += seg.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
        return s;
    }
}
