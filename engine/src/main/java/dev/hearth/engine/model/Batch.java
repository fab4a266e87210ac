package dev.hearth.engine.model;

import java.util.Arrays;

/**
 * The token positions one forward pass computes: a prompt chunk of one sequence, one decode token
 * from each of many sequences, or any mix. Row {@code i} feeds {@code token(i)} at position
 * {@code position(i)} of the sequence whose cache is {@code cache(i)}; rows of one sequence must be in
 * increasing position order. Logits are produced only for rows that ask for them.
 *
 * <p>A row is a <b>decode row</b> (a token just generated, one per sequence, or a token of a short prompt) or a
 * <b>prompt row</b> (a token known in advance: prompts, teacher forcing). The kind picks the matmul path of the row
 * ({@link dev.hearth.engine.kernel.MatMul}: integer dots for decode rows, float tiles for prompt rows),
 * so a row's result depends on its kind but never on the other rows of the batch. Decode rows come
 * first: all of them are added before the first prompt row.
 *
 * <p>A short prompt ({@link Transformer#isShortPrompt}) is fed as decode rows too: the float tiles decode every weight
 * of the model to float once per pass whatever the number of rows, which for a few rows costs far more than their
 * integer dots. Whether a prompt is short depends only on the model and the prompt's own length, so a request's rows
 * still depend only on itself.
 */
public final class Batch {
    private int size, decodeRows, maxPosition;
    private int[] tokens = new int[16];
    private int[] positions = new int[16];
    private KvCache[] caches = new KvCache[16];
    private boolean[] logits = new boolean[16];

    /** Adds a decode row (a generated token); its logits are computed. */
    public Batch addDecode(int token, int position, KvCache cache) {
        return addDecode(token, position, cache, true);
    }

    /** Adds a decode row (a generated token, or a token of a short prompt); {@code wantLogits}: whether its logits are computed. */
    public Batch addDecode(int token, int position, KvCache cache, boolean wantLogits) {
        if (decodeRows < size) {
            throw new IllegalStateException("decode rows must come before prompt rows; this batch already has " + (size - decodeRows) + " prompt rows");
        }
        add(token, position, cache, wantLogits);
        decodeRows++;
        return this;
    }

    /** Adds a prompt row (a token known in advance); {@code wantLogits}: whether its logits are computed. */
    public Batch addPrompt(int token, int position, KvCache cache, boolean wantLogits) {
        return add(token, position, cache, wantLogits);
    }

    /**
     * Adds a token of a prompt of {@code model}'s: a decode row if the prompt, {@code promptTokens} long, is short
     * ({@link Transformer#isShortPrompt}), else a prompt row.
     */
    public Batch addPromptToken(Transformer model, int promptTokens, int token, int position, KvCache cache, boolean wantLogits) {
        return model.isShortPrompt(promptTokens) ? addDecode(token, position, cache, wantLogits) : addPrompt(token, position, cache, wantLogits);
    }

    private Batch add(int token, int position, KvCache cache, boolean wantLogits) {
        if (position < 0 || position >= cache.capacity()) {
            throw new IllegalArgumentException("position " + position + " is outside the sequence's context of " + cache.capacity() + " tokens");
        }
        if (size == tokens.length) {
            int n = size * 2;
            tokens = Arrays.copyOf(tokens, n);
            positions = Arrays.copyOf(positions, n);
            caches = Arrays.copyOf(caches, n);
            logits = Arrays.copyOf(logits, n);
        }
        tokens[size] = token;
        positions[size] = position;
        maxPosition = Math.max(maxPosition, position);
        caches[size] = cache;
        logits[size] = wantLogits;
        size++;
        return this;
    }

    public void clear() {
        Arrays.fill(caches, 0, size, null);
        size = 0;
        decodeRows = 0;
        maxPosition = 0;
    }

    public int size() { return size; }
    /** Rows {@code [0, decodeRows())} are decode rows, the rest prompt rows. */
    public int decodeRows() { return decodeRows; }
    public int token(int i) { return tokens[i]; }
    public int position(int i) { return positions[i]; }
    /** The largest position of any row (0 when empty). */
    public int maxPosition() { return maxPosition; }
    public KvCache cache(int i) { return caches[i]; }
    public boolean wantsLogits(int i) { return logits[i]; }
}
