package dev.hearth.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.hearth.engine.SharedFiles;
import dev.hearth.engine.gguf.GgufFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Differential check against the reference tool itself (../shared/peers/llama.cpp, skipped when it is
 * absent or cannot run here): a hundred random strings mixing scripts, digits, punctuation, odd
 * whitespace, emoji, contractions and special-token texts, joined by the EOS text so that one
 * llama-tokenize run covers them all, must tokenize identically (parse_special on, no BOS).
 * It takes 10-20 s (llama.cpp's std::regex is slow), so it runs only with {@code -Dhearth.tokenizer.diff=true}.
 */
class LlamaTokenizeDiffTest {
    private static final String[] POOLS = {
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "0123456789٠١٢३४५๑²³½Ⅻ",
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2009", "\u0085",
        "\u000b", "\u000c", "\u001c", "éèêëàâäôöûüçñßøåæœÉÀÇ", "\u0300\u0301\u0302\u0303\u0308", "привет мир Български",
        "你好世界我想在工作天", "こんにちはカタカナ", "한국어 문자", "😀🎉🦙😶‍🌫️✅🚀👍🏽", "αβγδΩΣ ΐΰ ώ \u2126 \u212a", "ﬁﬂ",
        "'s", "'S", "'ll", "'LL", "'re", "'ve", "'d", "'m", "'t", "'", "’", "\u200b", "\u200d", "\ufeff", "\ue000",
        "\u0378", "µ", "ℂ", "…。，、", "！？（）", "“”‘’«»", "–—", "×÷±", "<s>", "</s>", "<unk>", "<|endoftext|>",
        "<|end|>", "<|user|>", "<|EOT|>", "ü", "õ", ">>TITLE<<", "<fim_prefix>", "[PAD32022]", "Hello", " world",
        "def f(x):\n    return x", "   ", "\n\n", "333", "1234567",
    };

    static List<String> randomStrings(long seed, int count) {
        var rnd = new Random(seed);
        var out = new ArrayList<String>();
        for (int k = 0; k < count; k++) {
            var sb = new StringBuilder();
            int n = 1 + rnd.nextInt(12);
            for (int i = 0; i < n; i++) {
                String pool = POOLS[rnd.nextInt(POOLS.length)];
                if (rnd.nextBoolean()) {
                    int[] cps = pool.codePoints().toArray();
                    sb.appendCodePoint(cps[rnd.nextInt(cps.length)]);
                } else {
                    sb.append(pool);
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "deepseek-llm", "deepseek-coder", "falcon", "starcoder"})
    void matchesLlamaTokenize(String vocab) throws Exception {
        assumeTrue(Boolean.getBoolean("hearth.tokenizer.diff"),
                "SKIPPED: differential run against llama-tokenize is off; enable with -Dhearth.tokenizer.diff=true");
        Path gguf = SharedFiles.require("reference/tokenizer/ggml-vocab-" + vocab + ".gguf");
        Path tool = SharedFiles.require("peers/llama.cpp/llama");
        Tokenizer tok;
        try (GgufFile f = GgufFile.open(gguf)) {
            tok = Tokenizer.fromGguf(f);
        }
        String sep = tok.tokenText(tok.eos());
        String text = String.join(sep, randomStrings(vocab.hashCode(), 100));

        long t0 = System.nanoTime();
        int[] expected = runLlamaTokenize(tool, gguf, text);
        long t1 = System.nanoTime();
        int[] got = tok.encode(text, false, true);
        System.out.printf("%s: %d chars, llama-tokenize %d tokens in %.0f ms, Hearth %d tokens%n", vocab, text.length(),
                expected.length, (t1 - t0) / 1e6, got.length);
        if (!Arrays.equals(expected, got)) {
            int i = 0;
            while (i < Math.min(expected.length, got.length) && expected[i] == got[i]) i++;
            int from = Math.max(0, i - 5);
            assertThat(Arrays.copyOfRange(got, from, Math.min(got.length, i + 10)))
                    .as("%s: first difference at token %d", vocab, i)
                    .containsExactly(Arrays.copyOfRange(expected, from, Math.min(expected.length, i + 10)));
        }
        assertThat(got).containsExactly(expected);
    }

    private static int[] runLlamaTokenize(Path tool, Path gguf, String text) throws IOException, InterruptedException {
        Path in = Files.createTempFile("hearth-tok", ".txt");
        try {
            Files.writeString(in, text, StandardCharsets.UTF_8);
            var pb = new ProcessBuilder(tool.toString(), "tokenize", "-m", gguf.toString(), "--stdin", "--ids",
                    "--log-disable", "--no-bos", "--no-escape").redirectInput(in.toFile()).redirectErrorStream(false);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                assumeTrue(false, "SKIPPED: cannot start llama-tokenize: " + e.getMessage());
                throw e;
            }
            byte[] out = p.getInputStream().readAllBytes();
            p.getErrorStream().readAllBytes();
            boolean done = p.waitFor(60, TimeUnit.SECONDS);
            assumeTrue(done && p.exitValue() == 0, "SKIPPED: llama-tokenize did not run here (exit "
                    + (done ? p.exitValue() : "timeout") + "; it needs AVX-512)");
            String s = new String(out, StandardCharsets.UTF_8).strip();
            String last = s.substring(s.lastIndexOf('\n') + 1).strip();
            assertThat(last).startsWith("[").endsWith("]");
            String body = last.substring(1, last.length() - 1).strip();
            return body.isEmpty() ? new int[0] : Arrays.stream(body.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
        } finally {
            Files.deleteIfExists(in);
        }
    }
}
