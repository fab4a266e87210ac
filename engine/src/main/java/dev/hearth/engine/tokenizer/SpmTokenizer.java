package dev.hearth.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * SentencePiece-style BPE over token scores, as llama.cpp's llm_tokenizer_spm: spaces become '▁'
 * (with one prepended at the start and after each special token when add_space_prefix), the text is
 * split into characters, and the adjacent pair whose concatenation is the highest-scoring token is
 * merged until none is left (ties: leftmost first). Characters no token covers fall back to their
 * UTF-8 bytes as &lt;0xNN&gt; tokens.
 */
final class SpmTokenizer extends BaseTokenizer {
    private static final char SPACE_MARK = '\u2581';
    /** byte -> its &lt;0xNN&gt; token (or one-character token), -1 when the vocabulary has neither. */
    private final int[] byteTokens = new int[256];

    SpmTokenizer(Vocab vocab) {
        super(vocab);
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = vocab.id(String.valueOf((char) b));
            byteTokens[b] = id >= 0 ? id : vocab.unk;
        }
    }

    @Override
    byte[] normalPiece(String text) {
        return text.replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    void encodeText(String text, boolean afterSpecial, IntList out) {
        String s = (vocab.addSpacePrefix && afterSpecial ? " " + text : text).replace(' ', SPACE_MARK);
        int n = s.codePointCount(0, s.length());
        if (n == 0) return;
        // Symbols: code points as char ranges in s, linked in a list; merged ones get length 0.
        int[] start = new int[n], len = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            int cl = Character.charCount(s.codePointAt(pos));
            start[i] = pos;
            len[i] = cl;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            pos += cl;
        }
        var heap = new LongHeap();
        for (int i = 1; i < n; i++) tryPair(s, start, len, i - 1, i, heap);
        while (!heap.isEmpty()) {
            int left = (int) heap.topKey();
            long val = heap.topVal();
            heap.pop();
            int right = (int) (val >>> 32);
            int size = (int) val;
            // Stale entry: one side has merged since (lengths only grow, so the sum tells).
            if (len[left] == 0 || len[right] == 0 || len[left] + len[right] != size) continue;
            len[left] += len[right];
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) tryPair(s, start, len, prev[left], left, heap);
            if (next[left] >= 0) tryPair(s, start, len, left, next[left], heap);
        }
        for (int i = 0; i != -1; i = next[i]) {
            String piece = s.substring(start[i], start[i] + len[i]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
            } else {
                for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                    int bt = byteTokens[b & 0xFF];
                    if (bt >= 0) out.add(bt);
                }
            }
        }
    }

    /** Queues the pair (left, right) when their concatenation is a token: best score first, then leftmost. */
    private void tryPair(String s, int[] start, int[] len, int left, int right, LongHeap heap) {
        int from = start[left];
        int to = start[right] + len[right];
        if (to - from > vocab.maxTokenChars) return;
        int id = vocab.id(s.substring(from, to));
        if (id < 0) return;
        float score = vocab.scores[id];
        if (score == 0f) score = 0f; // -0.0 ties with 0.0, as in C++
        int bits = Float.floatToRawIntBits(score);
        int ordered = bits ^ ((bits >> 31) & 0x7FFFFFFF); // monotonic in the float value
        long key = ((long) ~ordered << 32) | (left & 0xFFFFFFFFL);
        heap.push(key, ((long) right << 32) | (to - from));
    }
}
