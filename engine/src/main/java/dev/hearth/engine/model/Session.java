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
    private int[] history = new int[64];   // the tokens at positions [0, position)

    public Session(Transformer model, int contextLength) {
        this.model = model;
        this.cache = new KvCache(model.config(), contextLength);
    }

    public int position() { return position; }
    public int contextLength() { return cache.capacity(); }
    public KvCache cache() { return cache; }

    /** The tokens this session holds, in order. */
    public int[] tokens() {
        return java.util.Arrays.copyOf(history, position);
    }

    /** Length of the longest common prefix of this session's tokens and {@code tokens}. */
    public int commonPrefix(int[] tokens) {
        int n = Math.min(position, tokens.length), i = 0;
        while (i < n && history[i] == tokens[i]) i++;
        return i;
    }

    /** Forgets everything from position {@code keep} on (0 = start over). */
    public void rewind(int keep) {
        if (keep < 0 || keep > position) throw new IllegalArgumentException("cannot rewind to " + keep + " from " + position);
        position = keep;
    }

    /**
     * Feeds prompt tokens (prompt rows, or decode rows for a short prompt: see {@link Batch}) at the next positions and
     * returns the logits after the last one.
     *
     * @throws ContextOverflowException when the tokens do not fit in the remaining context
     */
    public float[] feed(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens to feed");
        return run(tokens, false)[tokens.length - 1];
    }

    /**
     * Feeds one generated token (a decode row, see {@link Batch}) and returns the logits after it.
     *
     * @throws ContextOverflowException when the context is full
     */
    public float[] next(int token) {
        if (position + 1 > cache.capacity()) throw new ContextOverflowException(position + 1, cache.capacity());
        batch.clear();
        batch.addDecode(token, position, cache);
        float[] logits = model.forward(batch)[0];
        record(new int[] {token}, 0, 1);
        return logits;
    }

    /** Feeds tokens and returns the logits after every one of them (teacher forcing, perplexity). */
    public float[][] feedAll(int[] tokens) {
        return run(tokens, true);
    }

    /**
     * Feeds tokens in chunks of {@link #CHUNK}; logits for every token, or only the last when {@code all} is false. A
     * short prompt ({@link Transformer#isShortPrompt}) goes as decode rows.
     */
    private float[][] run(int[] tokens, boolean all) {
        if (position + tokens.length > cache.capacity()) {
            throw new ContextOverflowException(position + tokens.length, cache.capacity());
        }
        float[][] logits = new float[tokens.length][];
        for (int start = 0; start < tokens.length; start += CHUNK) {
            int end = Math.min(tokens.length, start + CHUNK);
            batch.clear();
            for (int i = start; i < end; i++) {
                batch.addPromptToken(model, tokens.length, tokens[i], position + i - start, cache, all || i == tokens.length - 1);
            }
            float[][] out = model.forward(batch);
            System.arraycopy(out, 0, logits, start, end - start);
            record(tokens, start, end);
        }
        return logits;
    }

    private void record(int[] tokens, int start, int end) {
        if (position + end - start > history.length) {
            history = java.util.Arrays.copyOf(history, Math.max(history.length * 2, position + end - start));
        }
        System.arraycopy(tokens, start, history, position, end - start);
        position += end - start;
    }
}
