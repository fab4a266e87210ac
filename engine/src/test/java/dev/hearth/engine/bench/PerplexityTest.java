package dev.hearth.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.hearth.engine.Model;
import dev.hearth.engine.SharedFiles;
import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.kernel.Parallel;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.model.TinyModels;
import dev.hearth.engine.model.Transformer;
import dev.hearth.engine.model.Weights;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link Perplexity}: the llama-perplexity method checked against a direct computation on a tiny
 * model, and the figure on brown-llama-spm-q8_0 checked against llama.cpp's.
 */
class PerplexityTest {
    static final Parallel POOL = new Parallel(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    static Transformer tiny(GgmlType type) {
        GgufFile file = TinyModels.build(TinyModels.Spec.of("llama", type));
        ModelConfig config = ModelConfig.from(file);
        return new Transformer(config, new Weights(file, config), POOL);
    }

    @Test
    void logSoftmaxIsTheLogOfTheNormalisedExponential() {
        float[] logits = {1.5f, -2f, 0.25f, 3f, 3f};
        double z = 0;
        for (float l : logits) z += Math.exp(l);
        for (int t = 0; t < logits.length; t++) {
            assertThat(Perplexity.logSoftmax(logits, logits.length, t)).isCloseTo(Math.log(Math.exp(logits[t]) / z), within(1e-6));
        }
        // Large logits do not overflow: the maximum is subtracted first.
        float[] big = {1000f, 999f};
        assertThat(Perplexity.logSoftmax(big, 2, 0)).isCloseTo(-Math.log1p(Math.exp(-1)), within(1e-6));
    }

    /**
     * Each chunk from an empty cache with BOS first, scored over its second half, remainder dropped:
     * recomputed here with Session.feedAll (logits at every position) and plain sums.
     */
    @Test
    void chunksScoredOverTheSecondHalfWithBosFirst() {
        Transformer model = tiny(GgmlType.F32);
        int vocab = model.config().vocabSize();
        var rnd = new SplittableRandom(3);
        int ctx = 16;
        int[] tokens = new int[3 * ctx + 5];   // 3 chunks and 5 tokens that are not used
        for (int i = 0; i < tokens.length; i++) tokens[i] = 3 + rnd.nextInt(vocab - 3);
        tokens[0] = 1;

        List<Double> nlls = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            int[] chunk = java.util.Arrays.copyOfRange(tokens, c * ctx, (c + 1) * ctx);
            chunk[0] = 1;   // BOS replaces the chunk's first token
            float[][] logits = new Session(model, ctx).feedAll(chunk);
            for (int p = ctx / 2; p < ctx - 1; p++) {
                float[] l = logits[p];
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (float v : l) max = Math.max(max, v);
                for (float v : l) sum += Math.exp(v - max);
                nlls.add(-(l[tokens[c * ctx + p + 1]] - max - Math.log(sum)));
            }
        }
        double mean = 0, sq = 0;
        for (double v : nlls) mean += v;
        mean /= nlls.size();
        for (double v : nlls) sq += (v - mean) * (v - mean);
        double expectedPpl = Math.exp(mean);
        double expectedErr = Math.sqrt(sq / nlls.size() / (nlls.size() - 1)) * expectedPpl;

        var r = Perplexity.compute(model, tokens, ctx, 1, 0, null);
        assertThat(r.chunks()).isEqualTo(3);
        assertThat(r.scoredTokens()).isEqualTo(3L * (ctx - ctx / 2 - 1)).isEqualTo(nlls.size());
        assertThat(r.ppl()).isCloseTo(expectedPpl, within(expectedPpl * 1e-4));
        assertThat(r.error()).isCloseTo(expectedErr, within(expectedErr * 1e-3));
        assertThat(r.runningPpl()).hasSize(3);
        assertThat(r.runningPpl()[2]).isEqualTo(r.ppl());

        // --chunks 2 stops after two chunks; the first chunk's running figure is the same either way.
        var two = Perplexity.compute(model, tokens, ctx, 1, 2, null);
        assertThat(two.chunks()).isEqualTo(2);
        assertThat(two.runningPpl()[0]).isCloseTo(r.runningPpl()[0], within(r.runningPpl()[0] * 1e-6));
    }

    @Test
    void withoutBosTheChunkKeepsItsOwnFirstToken() {
        Transformer model = tiny(GgmlType.F32);
        int ctx = 8;
        int[] tokens = new int[2 * ctx];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 5 + i;
        var withBos = Perplexity.compute(model, tokens, ctx, 1, 0, null);
        var without = Perplexity.compute(model, tokens, ctx, -1, 0, null);
        assertThat(without.scoredTokens()).isEqualTo(withBos.scoredTokens());
        assertThat(without.ppl()).isNotEqualTo(withBos.ppl());
    }

    @Test
    void tooShortTextIsRefusedAsLlamaPerplexityDoes() {
        Transformer model = tiny(GgmlType.F32);
        assertThatThrownBy(() -> Perplexity.compute(model, new int[31], 16, 1, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs at least 32");
        assertThatThrownBy(() -> Perplexity.compute(model, new int[100], 2, 1, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 4");
    }

    /**
     * brown-llama-spm-q8_0 on the first {@link #LLAMA_CPP_CHUNKS} chunks of brown-val.txt at -c 256
     * against llama.cpp: {@code llama-perplexity -m brown-llama-spm-q8_0.gguf -f brown-val.txt -c 256
     * --chunks 20 -t 2} printed "Final estimate: PPL = 208.8775 +/- 15.71610" (commit c392e5094, the
     * peers' commit, built for AVX2 because the shared AVX-512 binaries stop with "illegal
     * instruction" on this machine). Within 0.5 %, as reference/README.md asks of the whole-file
     * figure; the whole file is compared in docs/accuracy.md.
     */
    static final int LLAMA_CPP_CHUNKS = 20;
    static final double LLAMA_CPP_PPL = 208.8775;

    @Test
    void brownLlamaQ8MatchesLlamaCppOnTheFirstChunks() throws Exception {
        var modelFile = SharedFiles.require("models/brown-llama-spm-q8_0.gguf");
        var text = SharedFiles.require("reference/brown-val.txt");
        try (Model m = Model.load(modelFile, new Model.Options(256, 2, null))) {
            int[] tokens = m.tokenizer().encode(Files.readString(text), true, false);
            var r = Perplexity.compute(m.transformer(), tokens, 256, m.tokenizer().bos(), LLAMA_CPP_CHUNKS, null);
            System.out.printf("brown-llama-spm-q8_0, first %d chunks of 256: Hearth PPL %.4f +/- %.4f, llama.cpp %.4f (%+.3f %%)%n",
                    r.chunks(), r.ppl(), r.error(), LLAMA_CPP_PPL, 100 * (r.ppl() / LLAMA_CPP_PPL - 1));
            assertThat(r.chunks()).isEqualTo(LLAMA_CPP_CHUNKS);
            assertThat(r.ppl()).isCloseTo(LLAMA_CPP_PPL, within(LLAMA_CPP_PPL * 0.005));
        }
    }
}
