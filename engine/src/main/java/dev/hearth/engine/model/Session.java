package dev.hearth.engine.model;

/**
 * One sequence being generated: its KV cache and how many positions are filled. Prompts are fed in
 * chunks of at most {@link #CHUNK} tokens per forward pass (bounded activation memory).
 */
public final class Session {
    public static final int CHUNK = 512;

    private final Transformer model;
    private final KvCache cache;
    private final Batch batch = new Batch();
    private int position;

    public Session(Transformer model, int contextLength) {
        this.model = model;
        this.cache = new KvCache(model.config(), contextLength);
    }

    public int position() { return position; }
    public int contextLength() { return cache.capacity(); }
    public KvCache cache() { return cache; }

    /** Forgets everything from position {@code keep} on (0 = start over). */
    public void rewind(int keep) {
        if (keep < 0 || keep > position) throw new IllegalArgumentException("cannot rewind to " + keep + " from " + position);
        position = keep;
    }

    /**
     * Feeds tokens at the next positions and returns the logits after the last one.
     *
     * @throws ContextOverflowException when the tokens do not fit in the remaining context
     */
    public float[] feed(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to feed");
        if (position + tokens.length > cache.capacity()) {
            throw new ContextOverflowException(position + tokens.length, cache.capacity());
        }
        float[] last = null;
        for (int start = 0; start < tokens.length; start += CHUNK) {
            int end = Math.min(tokens.length, start + CHUNK);
            batch.clear();
            for (int i = start; i < end; i++) batch.add(tokens[i], position + i - start, cache, i == tokens.length - 1);
            float[][] out = model.forward(batch);
            position += end - start;
            if (end == tokens.length) last = out[end - start - 1];
        }
        return last;
    }

    /** Feeds tokens and returns the logits after every one of them (teacher forcing, perplexity). */
    public float[][] feedAll(int[] tokens) {
        if (position + tokens.length > cache.capacity()) {
            throw new ContextOverflowException(position + tokens.length, cache.capacity());
        }
        float[][] all = new float[tokens.length][];
        for (int start = 0; start < tokens.length; start += CHUNK) {
            int end = Math.min(tokens.length, start + CHUNK);
            batch.clear();
            for (int i = start; i < end; i++) batch.add(tokens[i], position + i - start, cache, true);
            float[][] out = model.forward(batch);
            System.arraycopy(out, 0, all, start, end - start);
            position += end - start;
        }
        return all;
    }

    public float[] next(int token) {
        return feed(new int[] {token});
    }
}
