package dev.hearth.engine.tokenizer;

import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The vocabulary part of the {@code tokenizer.ggml.*} metadata: token texts, scores, attributes,
 * special token ids and the add-BOS/EOS flags, with the defaults and fix-ups llama.cpp applies
 * (src/llama-vocab.cpp, llama_vocab::impl::load), so that Hearth tokenizes exactly as llama.cpp does.
 */
final class Vocab {
    static final String KEY_MODEL = "tokenizer.ggml.model";
    static final String KEY_PRE = "tokenizer.ggml.pre";
    static final String KEY_TOKENS = "tokenizer.ggml.tokens";
    static final String KEY_SCORES = "tokenizer.ggml.scores";
    static final String KEY_TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String KEY_MERGES = "tokenizer.ggml.merges";

    // Token attributes (llama_token_attr); token_type values 1..6 map onto the first six.
    static final int ATTR_UNKNOWN = 1;
    static final int ATTR_UNUSED = 1 << 1;
    static final int ATTR_NORMAL = 1 << 2;
    static final int ATTR_CONTROL = 1 << 3;
    static final int ATTR_USER_DEFINED = 1 << 4;
    static final int ATTR_BYTE = 1 << 5;
    static final int ATTR_LSTRIP = 1 << 7;
    static final int ATTR_RSTRIP = 1 << 8;

    /** Token texts that end a turn or the text; found by text because converters often omit the ids. */
    private static final Set<String> EOG_TEXTS = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
            "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>");
    /** Texts llama.cpp takes as the end-of-turn token when tokenizer.ggml.eot_token_id is absent. */
    private static final List<String> EOT_TEXTS = List.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
            "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<end_of_utterance>");

    final String source;
    final String model;
    final String[] tokens;
    final float[] scores;
    final int[] attrs;
    final Map<String, Integer> ids;
    /** The longest token text, in chars: longer strings need no lookup. */
    final int maxTokenChars;
    final int bos, eos, eot, eom, unk;
    final boolean addBos, addEos, addSpacePrefix;
    /** Control, user-defined and unknown tokens, longest text (in UTF-8 bytes) first. */
    final int[] specialTokens;
    final BitSet endOfGeneration = new BitSet();

    Vocab(GgufFile f) {
        source = f.source();
        if (!f.has(KEY_MODEL)) {
            throw new GgufException(source + ": metadata key '" + KEY_MODEL + "' is missing, so the file has no "
                    + "tokenizer; Hearth needs the vocabulary embedded in the GGUF file (convert the model with "
                    + "llama.cpp's convert_hf_to_gguf.py)");
        }
        model = f.getString(KEY_MODEL);
        boolean spm = model.equals("llama");
        if (!spm && !model.equals("gpt2")) {
            throw new GgufException(source + ": unsupported tokenizer model '" + model + "' (" + KEY_MODEL
                    + "); supported: 'llama' (SentencePiece BPE) and 'gpt2' (byte-level BPE)");
        }
        if (!f.has(KEY_TOKENS)) {
            throw new GgufException(source + ": metadata key '" + KEY_TOKENS + "' is missing; the '" + model
                    + "' tokenizer cannot be built without its vocabulary");
        }
        tokens = f.getStringArray(KEY_TOKENS).clone();
        int n = tokens.length;
        if (n == 0) throw new GgufException(source + ": '" + KEY_TOKENS + "' is empty");

        scores = new float[n];
        GgufValue sv = f.get(KEY_SCORES);
        if (sv != null) {
            if (sv.isArray() && sv.value() instanceof float[] a) {
                checkLength(KEY_SCORES, a.length, n);
                System.arraycopy(a, 0, scores, 0, n);
            } else if (sv.isArray() && sv.value() instanceof int[] a) {
                checkLength(KEY_SCORES, a.length, n);
                for (int i = 0; i < n; i++) scores[i] = a[i];
            } else {
                throw new GgufException(source + ": metadata '" + KEY_SCORES + "' should be an array of float32 or int32");
            }
        }

        attrs = new int[n];
        int[] types = f.has(KEY_TOKEN_TYPE) ? f.getIntArray(KEY_TOKEN_TYPE) : null;
        if (types != null) checkLength(KEY_TOKEN_TYPE, types.length, n);
        ids = HashMap.newHashMap(n);
        int maxChars = 0;
        for (int i = 0; i < n; i++) {
            if (tokens[i].isEmpty()) tokens[i] = "[EMPTY_" + i + "]"; // as llama.cpp: never match empty text
            maxChars = Math.max(maxChars, tokens[i].length());
            ids.put(tokens[i], i); // a duplicated text resolves to its last id
            attrs[i] = types == null ? ATTR_NORMAL : switch (types[i]) {
                case 1 -> ATTR_NORMAL;
                case 2 -> ATTR_UNKNOWN;
                case 3 -> ATTR_CONTROL;
                case 4 -> ATTR_USER_DEFINED;
                case 5 -> ATTR_UNUSED;
                case 6 -> ATTR_BYTE;
                default -> 0; // undefined: never printed, never matched as special
            };
        }
        maxTokenChars = maxChars;

        // Defaults as llama.cpp: SentencePiece vocabularies put <unk>, <s>, </s> at 0, 1, 2.
        bos = specialId(f, "tokenizer.ggml.bos_token_id", spm ? 1 : -1);
        eos = specialId(f, "tokenizer.ggml.eos_token_id", spm ? 2 : -1);
        unk = specialId(f, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1);
        int eotId = specialId(f, "tokenizer.ggml.eot_token_id", -1);
        int eomId = specialId(f, "tokenizer.ggml.eom_token_id", -1);

        String pre = f.has(KEY_PRE) ? f.getString(KEY_PRE) : "";
        addBos = f.getBool("tokenizer.ggml.add_bos_token", spm || PreTokenizer.addsBosByDefault(pre));
        addEos = f.getBool("tokenizer.ggml.add_eos_token", false);
        addSpacePrefix = f.getBool("tokenizer.ggml.add_space_prefix", spm);
        if (addBos && bos < 0) {
            throw new GgufException(source + ": tokenizer.ggml.add_bos_token is true but tokenizer.ggml.bos_token_id is not set");
        }
        if (addEos && eos < 0) {
            throw new GgufException(source + ": tokenizer.ggml.add_eos_token is true but tokenizer.ggml.eos_token_id is not set");
        }

        // End-of-turn tokens found by text; llama.cpp also makes them control tokens, so that they are
        // hidden when printing without special tokens and only parsed from text when asked to.
        var forcedControl = new BitSet();
        if (eotId < 0) {
            for (String t : EOT_TEXTS) {
                Integer id = ids.get(t);
                if (id != null) { eotId = id; forcedControl.set(id); break; }
            }
        }
        if (eomId < 0) {
            Integer id = ids.get("<|eom_id|>");
            if (id != null) { eomId = id; forcedControl.set(id); }
        }
        eot = eotId;
        eom = eomId;
        for (String t : EOG_TEXTS) {
            Integer id = ids.get(t);
            if (id != null) { endOfGeneration.set(id); forcedControl.set(id); }
        }
        for (int id : new int[] {eos, eot, eom}) {
            if (id >= 0) endOfGeneration.set(id);
        }
        for (int id = forcedControl.nextSetBit(0); id >= 0; id = forcedControl.nextSetBit(id + 1)) {
            attrs[id] |= ATTR_CONTROL;
        }

        var special = new ArrayList<Integer>();
        for (int i = 0; i < n; i++) {
            if ((attrs[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0) special.add(i);
        }
        int[] byteLen = new int[n];
        for (int i : special) byteLen[i] = tokens[i].getBytes(StandardCharsets.UTF_8).length;
        special.sort((a, b) -> byteLen[a] != byteLen[b] ? Integer.compare(byteLen[b], byteLen[a]) : Integer.compare(a, b));
        specialTokens = special.stream().mapToInt(Integer::intValue).toArray();

        // Phi-3 strips whitespace after its special tokens (llama.cpp sets these attributes by model name).
        String name = f.has("general.name") ? f.getString("general.name").toLowerCase(Locale.ROOT) : "";
        if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id : specialTokens) attrs[id] |= ATTR_RSTRIP;
            setRstrip("</s>", true);
            setRstrip("<unk>", false);
            setRstrip("<s>", false);
            setRstrip("<|endoftext|>", false);
        }
    }

    private void setRstrip(String text, boolean on) {
        Integer id = ids.get(text);
        if (id != null) attrs[id] = on ? attrs[id] | ATTR_RSTRIP : attrs[id] & ~ATTR_RSTRIP;
    }

    private void checkLength(String key, int len, int n) {
        if (len < n) {
            throw new GgufException(source + ": metadata '" + key + "' has " + len + " entries but '" + KEY_TOKENS
                    + "' has " + n + "; the file is damaged");
        }
    }

    private int specialId(GgufFile f, String key, int fallback) {
        if (fallback >= tokens.length) fallback = -1;
        if (!f.has(key)) return fallback;
        long v = f.getLong(key);
        if (v < 0 || v >= tokens.length) {
            System.err.println("hearth: warning: " + source + ": " + key + " = " + v + " is outside the vocabulary of "
                    + tokens.length + " tokens; using " + fallback);
            return fallback;
        }
        return (int) v;
    }

    int size() { return tokens.length; }

    /** The id of a token text, or -1. */
    int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }
}
