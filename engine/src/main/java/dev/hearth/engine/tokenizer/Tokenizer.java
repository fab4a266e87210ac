package dev.hearth.engine.tokenizer;

import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufFile;

/**
 * Text to token ids and back, built from a GGUF file's {@code tokenizer.ggml.*} metadata and
 * matching llama.cpp's tokenizer exactly. Implementations are immutable and thread-safe.
 */
public interface Tokenizer {
    /**
     * From tokenizer.ggml.* metadata: model "llama" -> SentencePiece-style BPE with scores; "gpt2" ->
     * byte-level BPE with merges and the pre-tokenizer regex chosen by tokenizer.ggml.pre. Unknown
     * model: GgufException naming it and listing supported ones.
     */
    static Tokenizer fromGguf(GgufFile file) {
        var vocab = new Vocab(file);
        return switch (vocab.model) {
            case "llama" -> new SpmTokenizer(vocab);
            case "gpt2" -> new BpeTokenizer(vocab, file);
            default -> throw new GgufException(file.source() + ": unsupported tokenizer model '" + vocab.model + "'");
        };
    }

    /**
     * addSpecial: prepend BOS / append EOS as tokenizer.ggml.add_bos_token / add_eos_token say (defaults
     * as llama.cpp: SPM adds BOS, gpt2 doesn't unless the flag says so). parseSpecial: recognise
     * control/user-defined token texts like &lt;|im_start|&gt; in the text as single tokens
     * (user-defined tokens are always recognised, as in llama.cpp).
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    /**
     * The raw bytes this token contributes to output text (SPM: '▁'->space, &lt;0xNN&gt; -> that byte;
     * gpt2: byte-level unmapping). Control tokens (BOS/EOS/&lt;|im_end|&gt;...) give their text only if
     * {@code special} is true, else nothing.
     */
    byte[] tokenBytes(int token, boolean special);

    /**
     * Whole-sequence decode to a String (invalid UTF-8 replaced): the tokens' bytes concatenated; for
     * SentencePiece vocabularies that add a space prefix, the space the first text token carries is dropped
     * (as SentencePiece and llama.cpp do), so that decode(encode(s)) == s.
     */
    String decode(int[] tokens, boolean special);

    int vocabSize();

    /** The vocab string as stored. */
    String tokenText(int token);

    /** -1 when absent. */
    int bos();

    /** -1 when absent. */
    int eos();

    /**
     * EOS, EOT (tokenizer.ggml.eot_token_id), EOM, and tokens whose text is an end-of-turn marker such as
     * &lt;|im_end|&gt;, &lt;|eot_id|&gt;, &lt;|end|&gt;, &lt;|endoftext|&gt; (made control tokens, as llama.cpp
     * does) — everything that should stop generation.
     */
    boolean isEndOfGeneration(int token);

    boolean addBos();

    /** "llama" or "gpt2". */
    String modelType();
}
