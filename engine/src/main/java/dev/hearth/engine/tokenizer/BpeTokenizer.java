package dev.hearth.engine.tokenizer;

import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufFile;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GPT-2-style byte-level BPE, as llama.cpp's llm_tokenizer_bpe: the pre-tokenizer named by
 * tokenizer.ggml.pre splits the text into words, each word's UTF-8 bytes become byte characters,
 * and adjacent pairs are merged by their rank in tokenizer.ggml.merges (lowest first, ties leftmost)
 * until no listed pair is left.
 */
final class BpeTokenizer extends BaseTokenizer {
    private static final int CACHE_LIMIT = 1 << 16;

    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    /** (left id, right id) -> rank. */
    private final LongIntMap ranks;
    /** rank -> ids of its left part, right part and result. */
    private final int[] mergeLeft, mergeRight, mergeResult;
    /** byte -> the token of its byte character, -1 when missing. */
    private final int[] byteTokens = new int[256];
    /** word -> its token ids; words repeat a lot in real text. */
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    BpeTokenizer(Vocab vocab, GgufFile f) {
        super(vocab);
        String pre = f.has(Vocab.KEY_PRE) ? f.getString(Vocab.KEY_PRE) : "";
        PreTokenizer p = PreTokenizer.forName(pre.isEmpty() ? "default" : pre);
        if (p == null) {
            System.err.println("hearth: warning: " + f.source() + ": unknown pre-tokenizer '" + pre + "' ("
                    + Vocab.KEY_PRE + "); using 'default', so tokens may differ from the model's own tokenizer");
            p = PreTokenizer.forName("default");
        } else if (pre.isEmpty()) {
            System.err.println("hearth: warning: " + f.source() + ": no " + Vocab.KEY_PRE
                    + " in the file; using the 'default' pre-tokenizer (generation quality may suffer; re-convert the model)");
        }
        preTokenizer = p;
        ignoreMerges = PreTokenizer.ignoresMerges(pre);

        if (!f.has(Vocab.KEY_MERGES)) {
            throw new GgufException(f.source() + ": metadata key '" + Vocab.KEY_MERGES
                    + "' is missing; the gpt2 (byte-level BPE) tokenizer needs its merge list");
        }
        String[] merges = f.getStringArray(Vocab.KEY_MERGES);
        ranks = new LongIntMap(merges.length);
        mergeLeft = new int[merges.length];
        mergeRight = new int[merges.length];
        mergeResult = new int[merges.length];
        for (int r = 0; r < merges.length; r++) {
            String m = merges[r];
            int sp = m.indexOf(' ', 1);
            mergeResult[r] = -1;
            if (sp < 0) continue;
            String a = m.substring(0, sp), b = m.substring(sp + 1);
            int ia = vocab.id(a), ib = vocab.id(b), ir = vocab.id(a + b);
            // A merge whose parts or result are not tokens can never yield a token; skip it.
            if (ia < 0 || ib < 0 || ir < 0) continue;
            mergeLeft[r] = ia;
            mergeRight[r] = ib;
            mergeResult[r] = ir;
            ranks.putIfAbsent(pairKey(ia, ib), r);
        }
        for (int b = 0; b < 256; b++) byteTokens[b] = vocab.id(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    @Override
    byte[] normalPiece(String text) {
        var out = new java.io.ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int b = ByteLevel.charToByte(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                byte[] raw = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(raw, 0, raw.length);
            }
        }
        return out.toByteArray();
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        for (String word : preTokenizer.split(text)) {
            int[] ids = cache.get(word);
            if (ids == null) {
                ids = encodeWord(word);
                if (cache.size() >= CACHE_LIMIT) cache.clear();
                cache.put(word, ids);
            }
            out.addAll(ids);
        }
    }

    private int[] encodeWord(String word) {
        byte[] utf8 = word.getBytes(StandardCharsets.UTF_8);
        int n = utf8.length;
        if (n == 0) return new int[0];
        if (ignoreMerges) {
            int id = vocab.id(ByteLevel.encode(utf8, 0, n));
            if (id >= 0) return new int[] {id};
        }
        int[] sym = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteTokens[utf8[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        var heap = new LongHeap();
        for (int i = 1; i < n; i++) tryPair(sym, i - 1, i, heap);
        while (!heap.isEmpty()) {
            long key = heap.topKey();
            int right = (int) heap.topVal();
            heap.pop();
            int rank = (int) (key >>> 32);
            int left = (int) key;
            // Stale entry: either side has changed since it was queued.
            if (sym[left] != mergeLeft[rank] || sym[right] != mergeRight[rank] || next[left] != right) continue;
            sym[left] = mergeResult[rank];
            sym[right] = -2; // merged away
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) tryPair(sym, prev[left], left, heap);
            if (next[left] >= 0) tryPair(sym, left, next[left], heap);
        }
        var ids = new IntList(n);
        for (int i = 0; i != -1; i = next[i]) {
            if (sym[i] >= 0) ids.add(sym[i]); // a byte without a token is dropped, as in llama.cpp
        }
        return ids.toArray();
    }

    private void tryPair(int[] sym, int left, int right, LongHeap heap) {
        if (sym[left] < 0 || sym[right] < 0) return;
        int rank = ranks.get(pairKey(sym[left], sym[right]));
        if (rank >= 0) heap.push(((long) rank << 32) | left, right);
    }
}
