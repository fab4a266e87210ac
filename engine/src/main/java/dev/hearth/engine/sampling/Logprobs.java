package dev.hearth.engine.sampling;

import java.util.Arrays;

/**
 * Log-probabilities for OpenAI's {@code logprobs}/{@code top_logprobs}: the natural-log softmax of the raw
 * logits (before penalties, filters and temperature, as the API reports them).
 */
public final class Logprobs {
    private Logprobs() {}

    /**
     * @param token     the chosen token
     * @param logprob   its log-probability
     * @param topIds    the {@code topN} most likely tokens, best first (lowest id first on ties)
     * @param topLogprobs their log-probabilities
     */
    public record Result(int token, float logprob, int[] topIds, float[] topLogprobs) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && r.token == token && Float.compare(r.logprob, logprob) == 0
                    && Arrays.equals(r.topIds, topIds) && Arrays.equals(r.topLogprobs, topLogprobs);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * token + Float.hashCode(logprob)) + Arrays.hashCode(topIds);
        }

        @Override
        public String toString() {
            return "Result[token=" + token + ", logprob=" + logprob + ", topIds=" + Arrays.toString(topIds)
                    + ", topLogprobs=" + Arrays.toString(topLogprobs) + "]";
        }
    }

    /**
     * Log-softmax probability of {@code token} and of the {@code topN} most likely tokens, computed from
     * {@code logits} (not modified). Call it before {@link Sampler#sample}, which may change the logits in place.
     * NaN logits count as impossible (-infinity).
     */
    public static Result of(float[] logits, int token, int topN) {
        if (token < 0 || token >= logits.length) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (0.." + (logits.length - 1) + ")");
        }
        if (topN < 0) throw new IllegalArgumentException("topN must be >= 0, got " + topN);
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) if (l > max) max = l;
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every logit is -infinity or NaN; log-probabilities are undefined");
        }
        double sum = 0;
        for (float l : logits) if (l == l) sum += Math.exp(l - max);
        float logZ = (float) (max + Math.log(sum));

        int n = Math.min(topN, logits.length);
        int[] ids = topIds(logits, n);
        float[] lps = new float[n];
        for (int i = 0; i < n; i++) lps[i] = logprob(logits[ids[i]], logZ);
        return new Result(token, logprob(logits[token], logZ), ids, lps);
    }

    private static float logprob(float logit, float logZ) {
        return logit != logit ? Float.NEGATIVE_INFINITY : logit - logZ;
    }

    /** The n best ids, best first, by a min-heap of packed (logit, id) keys. */
    private static int[] topIds(float[] logits, int n) {
        if (n == 0) return new int[0];
        long[] heap = new long[n];
        int size = 0;
        for (int i = 0; i < logits.length; i++) {
            float l = logits[i];
            if (l != l) l = Float.NEGATIVE_INFINITY;
            long key = Sampler.key(l, i);
            if (size < n) {
                heap[size++] = key;
                for (int c = size - 1; c > 0; ) { // sift up
                    int p = (c - 1) >>> 1;
                    if (heap[p] <= heap[c]) break;
                    long t = heap[p]; heap[p] = heap[c]; heap[c] = t;
                    c = p;
                }
            } else if (key > heap[0]) {
                heap[0] = key;
                for (int c = 0; ; ) { // sift down
                    int ch = 2 * c + 1;
                    if (ch >= size) break;
                    if (ch + 1 < size && heap[ch + 1] < heap[ch]) ch++;
                    if (heap[ch] >= heap[c]) break;
                    long t = heap[ch]; heap[ch] = heap[c]; heap[c] = t;
                    c = ch;
                }
            }
        }
        Arrays.sort(heap, 0, size);
        int[] ids = new int[size];
        for (int j = 0; j < size; j++) ids[j] = (int) (0xFFFFFFFFL - (heap[size - 1 - j] & 0xFFFFFFFFL));
        return ids;
    }
}
