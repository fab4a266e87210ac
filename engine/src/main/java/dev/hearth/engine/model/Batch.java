package dev.hearth.engine.model;

import java.util.Arrays;

/**
 * The token positions one forward pass computes: a prompt chunk of one sequence, one decode token
 * from each of many sequences, or any mix. Row {@code i} feeds {@code token(i)} at position
 * {@code position(i)} of the sequence whose cache is {@code cache(i)}; rows of one sequence must be in
 * increasing position order. Logits are produced only for rows that ask for them.
 */
public final class Batch {
    private int size;
    private int[] tokens = new int[16];
    private int[] positions = new int[16];
    private KvCache[] caches = new KvCache[16];
    private boolean[] logits = new boolean[16];

    public Batch add(int token, int position, KvCache cache, boolean wantLogits) {
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
        caches[size] = cache;
        logits[size] = wantLogits;
        size++;
        return this;
    }

    public void clear() {
        Arrays.fill(caches, 0, size, null);
        size = 0;
    }

    public int size() { return size; }
    public int token(int i) { return tokens[i]; }
    public int position(int i) { return positions[i]; }
    public KvCache cache(int i) { return caches[i]; }
    public boolean wantsLogits(int i) { return logits[i]; }
}
