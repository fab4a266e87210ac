package dev.hearth.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.SharedFiles;
import dev.hearth.engine.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Encoding a prompt of about 2,000 tokens must take well under 100 ms, also with a cold word cache. */
class TokenizerSpeedTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "gpt-2", "deepseek-llm"})
    void twoThousandTokenPromptEncodesQuickly(String vocab) throws IOException {
        Path gguf = SharedFiles.require("reference/tokenizer/ggml-vocab-" + vocab + ".gguf");
        String corpus = Files.readString(SharedFiles.require("reference/brown-val.txt"));
        Tokenizer tok;
        try (GgufFile f = GgufFile.open(gguf)) {
            tok = Tokenizer.fromGguf(f);
        }
        // Warm the JIT on the first part of the corpus, then time fresh 9,000-character slices
        // (about 2,000 tokens each) whose words are mostly not yet cached.
        for (int i = 0; i < 20; i++) tok.encode(corpus.substring(i * 9000, (i + 1) * 9000), true, true);
        long best = Long.MAX_VALUE;
        int tokens = 0;
        for (int i = 20; i < 30; i++) {
            String prompt = corpus.substring(i * 9000, (i + 1) * 9000);
            long t0 = System.nanoTime();
            tokens = tok.encode(prompt, true, true).length;
            best = Math.min(best, System.nanoTime() - t0);
        }
        System.out.printf("%s: %d tokens encoded in %.2f ms (best of 10)%n", vocab, tokens, best / 1e6);
        assertThat(tokens).isBetween(1500, 3500);
        assertThat(best / 1e6).as("milliseconds for ~2,000 tokens").isLessThan(50.0);
    }
}
