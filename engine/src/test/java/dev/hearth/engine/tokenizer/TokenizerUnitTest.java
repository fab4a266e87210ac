package dev.hearth.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Self-contained checks on tiny vocabularies written with GgufWriter. */
class TokenizerUnitTest {

    // ---- a tiny SentencePiece vocabulary ----

    private static final List<String> SPM_TEXTS = new ArrayList<>();
    private static final List<Float> SPM_SCORES = new ArrayList<>();
    private static final List<Integer> SPM_TYPES = new ArrayList<>();

    private static void spm(String text, float score, int type) {
        SPM_TEXTS.add(text);
        SPM_SCORES.add(score);
        SPM_TYPES.add(type);
    }

    static {
        spm("<unk>", 0, 2);
        spm("<s>", 0, 3);
        spm("</s>", 0, 3);
        for (int b = 0; b < 256; b++) spm(String.format("<0x%02X>", b), 0, 6);
        spm("▁", -1, 1);       // 259
        spm("a", -2, 1);       // 260
        spm("b", -2, 1);       // 261
        spm("c", -2, 1);       // 262
        spm("ab", -3, 1);      // 263
        spm("bc", -1.5f, 1);   // 264: beats "ab", so "abc" -> a + bc
        spm("▁a", -1.2f, 1);   // 265
        spm("<|im_end|>", 0, 1); // 266: a normal token by type, but an end-of-turn text
        spm("<|user|>", 0, 4);   // 267: user-defined
        spm("<ctl>", 0, 3);      // 268: control
        spm("▁▁", -0.5f, 1);   // 269
    }

    private static GgufWriter spmWriter() {
        float[] scores = new float[SPM_SCORES.size()];
        int[] types = new int[SPM_TYPES.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = SPM_SCORES.get(i);
            types[i] = SPM_TYPES.get(i);
        }
        return new GgufWriter()
                .putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", SPM_TEXTS.toArray(String[]::new))
                .putFloats("tokenizer.ggml.scores", scores)
                .putInts("tokenizer.ggml.token_type", types)
                .putU32("tokenizer.ggml.bos_token_id", 1)
                .putU32("tokenizer.ggml.eos_token_id", 2);
    }

    private static Tokenizer spmTokenizer() {
        return Tokenizer.fromGguf(spmWriter().toGguf("tiny-spm"));
    }

    @Test
    void spmMergesByScoreAndAddsSpacePrefixAndBos() {
        Tokenizer t = spmTokenizer();
        assertThat(t.modelType()).isEqualTo("llama");
        assertThat(t.addBos()).isTrue();
        assertThat(t.bos()).isEqualTo(1);
        assertThat(t.eos()).isEqualTo(2);
        // " abc" -> ▁ a b c: "bc" (-1.5) scores above "▁a" (-1.2)? no: -1.2 > -1.5, so ▁a first, then b+c.
        assertThat(t.encode("abc", true, false)).containsExactly(1, 265, 264);
        assertThat(t.encode("abc", false, false)).containsExactly(265, 264);
        // Without the prefix "bc" beats "ab": a + bc.
        Tokenizer noPrefix = Tokenizer.fromGguf(spmWriter().putBool("tokenizer.ggml.add_space_prefix", false).toGguf("np"));
        assertThat(noPrefix.encode("abc", false, false)).containsExactly(260, 264);
        assertThat(t.encode("", true, false)).containsExactly(1);
        assertThat(t.encode("", false, false)).isEmpty();
        // Two spaces: ▁▁ (-0.5) then "▁a" cannot form; "  a" -> ▁▁▁a -> ▁▁ + ▁a.
        assertThat(t.encode("  a", false, false)).containsExactly(269, 265);
    }

    @Test
    void spmFallsBackToBytesForUnknownCharacters() {
        Tokenizer t = spmTokenizer();
        // é = C3 A9 -> <0xC3> <0xA9> (ids 3 + byte)
        assertThat(t.encode("é", false, false)).containsExactly(259, 3 + 0xC3, 3 + 0xA9);
        assertThat(t.tokenBytes(3 + 0xC3, false)).containsExactly(0xC3);
        assertThat(t.decode(t.encode("é abc", true, false), false)).isEqualTo("é abc");
    }

    @Test
    void specialTokensArePartitionedOnlyWhenAsked() {
        Tokenizer t = spmTokenizer();
        // Control text: one token with parseSpecial, plain characters without.
        assertThat(t.encode("a<ctl>a", false, true)).containsExactly(265, 268, 265);
        assertThat(t.encode("a<ctl>a", false, false)).doesNotContain(268);
        // User-defined tokens are always recognised, like llama.cpp.
        assertThat(t.encode("a<|user|>", false, false)).containsExactly(265, 267);
        // <|im_end|> is typed normal but is an end-of-turn marker: made a control token.
        assertThat(t.encode("<|im_end|>", false, true)).containsExactly(266);
    }

    @Test
    void tokenBytesHideControlTokensUnlessSpecial() {
        Tokenizer t = spmTokenizer();
        assertThat(t.tokenBytes(1, false)).isEmpty();
        assertThat(t.tokenBytes(1, true)).isEqualTo("<s>".getBytes(StandardCharsets.UTF_8));
        assertThat(t.tokenBytes(266, false)).isEmpty();
        assertThat(t.tokenBytes(267, false)).isEqualTo("<|user|>".getBytes(StandardCharsets.UTF_8));
        assertThat(t.tokenBytes(265, false)).isEqualTo(" a".getBytes(StandardCharsets.UTF_8));
        assertThat(t.tokenText(265)).isEqualTo("▁a");
        assertThat(t.decode(new int[] {1, 265, 264, 2}, false)).isEqualTo("abc");
        assertThat(t.decode(new int[] {1, 265, 264, 2}, true)).isEqualTo("<s>abc</s>");
        assertThatThrownBy(() -> t.tokenBytes(t.vocabSize(), true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void endOfGenerationCoversEosEotAndTurnMarkers() {
        Tokenizer t = Tokenizer.fromGguf(spmWriter().putU32("tokenizer.ggml.eot_token_id", 268).toGguf("eot"));
        assertThat(t.isEndOfGeneration(2)).isTrue();   // EOS
        assertThat(t.isEndOfGeneration(268)).isTrue(); // EOT from metadata
        assertThat(t.isEndOfGeneration(266)).isTrue(); // <|im_end|> by text
        assertThat(t.isEndOfGeneration(1)).isFalse();
        assertThat(t.isEndOfGeneration(265)).isFalse();
        assertThat(t.isEndOfGeneration(-1)).isFalse();
    }

    // ---- a tiny byte-level BPE vocabulary ----

    private static GgufWriter gpt2Writer(String pre) {
        var tokens = new ArrayList<String>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
        // ids 256..: merge results
        String[] merges = {"b c", "a b", "Ġ a", "Ġa bc", "h e", "l l", "he ll", "hell o", "Ġ hello"};
        for (String m : merges) tokens.add(m.replace(" ", ""));
        tokens.add("<|endoftext|>");
        tokens.add("<|im_start|>");
        int[] types = new int[tokens.size()];
        java.util.Arrays.fill(types, 1);
        types[tokens.size() - 2] = 3;
        types[tokens.size() - 1] = 3;
        var w = new GgufWriter()
                .putString("tokenizer.ggml.model", "gpt2")
                .putStrings("tokenizer.ggml.tokens", tokens.toArray(String[]::new))
                .putInts("tokenizer.ggml.token_type", types)
                .putStrings("tokenizer.ggml.merges", merges)
                .putU32("tokenizer.ggml.eos_token_id", tokens.size() - 2);
        if (pre != null) w.putString("tokenizer.ggml.pre", pre);
        return w;
    }

    @Test
    void gpt2MergesByRank() {
        Tokenizer t = Tokenizer.fromGguf(gpt2Writer("gpt-2").toGguf("tiny-gpt2"));
        assertThat(t.modelType()).isEqualTo("gpt2");
        assertThat(t.addBos()).isFalse();
        assertThat(t.bos()).isEqualTo(-1);
        int bc = 256, ab = 257, spA = 258, spAbc = 259, hello = 263, spHello = 264;
        assertThat(t.encode("abc", true, false)).containsExactly((int) 'a', bc); // "b c" ranks before "a b"
        assertThat(t.encode(" abc", false, false)).containsExactly(spAbc);
        assertThat(t.encode("hello hello", false, false)).containsExactly(hello, spHello);
        assertThat(t.tokenBytes(spHello, false)).isEqualTo(" hello".getBytes(StandardCharsets.UTF_8));
        assertThat(t.decode(t.encode("hello, wörld ab\n", false, false), false)).isEqualTo("hello, wörld ab\n");
        assertThat(ab).isEqualTo(t.encode("ab", false, false)[0]);
        assertThat(spA).isEqualTo(t.encode(" a", false, false)[0]);
    }

    @Test
    void gpt2SpecialParsingAndEndOfText() {
        Tokenizer t = Tokenizer.fromGguf(gpt2Writer("gpt-2").toGguf("tiny-gpt2"));
        int eot = t.vocabSize() - 2, imStart = t.vocabSize() - 1;
        assertThat(t.encode("<|im_start|>hello<|endoftext|>", false, true)).containsExactly(imStart, 263, eot);
        assertThat(t.encode("<|im_start|>", false, false)).doesNotContain(imStart);
        assertThat(t.isEndOfGeneration(eot)).isTrue();
        assertThat(t.isEndOfGeneration(imStart)).isFalse();
        assertThat(t.tokenBytes(eot, false)).isEmpty();
    }

    @Test
    void unknownPreTokenizerFallsBackToDefault() {
        Tokenizer t = Tokenizer.fromGguf(gpt2Writer("no-such-pre").toGguf("odd-pre"));
        assertThat(t.encode("hello", false, false)).containsExactly(263);
        Tokenizer none = Tokenizer.fromGguf(gpt2Writer(null).toGguf("no-pre"));
        assertThat(none.encode("hello", false, false)).containsExactly(263);
    }

    @Test
    void addBosFlagIsHonouredForGpt2() {
        Tokenizer t = Tokenizer.fromGguf(gpt2Writer("gpt-2").putU32("tokenizer.ggml.bos_token_id", 265)
                .putBool("tokenizer.ggml.add_bos_token", true).toGguf("bos"));
        assertThat(t.addBos()).isTrue();
        assertThat(t.encode("hello", true, false)).containsExactly(265, 263);
        assertThat(t.encode("hello", false, false)).containsExactly(263);
    }

    // ---- errors ----

    @Test
    void missingTokensIsAClearError() {
        var w = new GgufWriter().putString("tokenizer.ggml.model", "llama");
        assertThatThrownBy(() -> Tokenizer.fromGguf(w.toGguf("no-tokens")))
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("tokenizer.ggml.tokens")
                .hasMessageContaining("no-tokens");
    }

    @Test
    void missingModelIsAClearError() {
        var w = new GgufWriter().putStrings("tokenizer.ggml.tokens", "a", "b");
        assertThatThrownBy(() -> Tokenizer.fromGguf(w.toGguf("no-model")))
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("tokenizer.ggml.model");
    }

    @Test
    void unknownModelNamesItAndTheSupportedOnes() {
        var w = new GgufWriter().putString("tokenizer.ggml.model", "bert").putStrings("tokenizer.ggml.tokens", "a", "b");
        assertThatThrownBy(() -> Tokenizer.fromGguf(w.toGguf("bert-file")))
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("'bert'")
                .hasMessageContaining("llama")
                .hasMessageContaining("gpt2");
    }

    @Test
    void gpt2WithoutMergesIsAClearError() {
        var w = new GgufWriter().putString("tokenizer.ggml.model", "gpt2").putStrings("tokenizer.ggml.tokens", "a", "b");
        assertThatThrownBy(() -> Tokenizer.fromGguf(w.toGguf("no-merges")))
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("tokenizer.ggml.merges");
    }

    @Test
    void addBosWithoutBosIdIsAClearError() {
        var w = gpt2Writer("gpt-2").putBool("tokenizer.ggml.add_bos_token", true);
        assertThatThrownBy(() -> Tokenizer.fromGguf(w.toGguf("bos-missing")))
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("tokenizer.ggml.bos_token_id");
    }

    @Test
    void shortScoresArrayIsAClearError() {
        var w = new GgufWriter().putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", "<unk>", "<s>", "</s>", "a")
                .putFloats("tokenizer.ggml.scores", 0f, 0f);
        assertThatThrownBy(() -> Tokenizer.fromGguf(w.toGguf("short-scores")))
                .isInstanceOf(GgufException.class)
                .hasMessageContaining("tokenizer.ggml.scores");
    }
}
