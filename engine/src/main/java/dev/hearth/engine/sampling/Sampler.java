package dev.hearth.engine.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses next tokens for one sequence, in llama.cpp's default order: penalties (repeat, frequency,
 * presence) over the last {@code repeatLastN} accepted tokens, top-k, top-p, min-p, temperature, then a
 * seeded random draw. Temperature 0 takes the argmax after penalties (lowest id on ties).
 *
 * <p>Not thread-safe: one sampler per sequence. It allocates its buffers once (a few arrays of
 * {@code vocabSize}); {@link #sample} allocates nothing when top-k is on (the default), and otherwise sorts
 * only the tokens that survive min-p (all of them when min-p is off and top-p on).
 */
public final class Sampler {
    private final SamplerParams params;
    private final int vocabSize;
    private SplittableRandom random;

    // Candidates after filtering: ids and their (penalized) logits, best first when sorted.
    private final int[] candIds;
    private final float[] candLogits;
    private final float[] probs;
    private long[] keys; // packed (logit, id) sort keys; see key()

    // Penalty history: a ring of the last repeatLastN tokens (growing when repeatLastN is -1) and per-token counts.
    private int[] ring;
    private int ringStart, ringSize;
    private final int[] counts;
    private final int[] applied; // epoch stamp: was this token's penalty applied in the current sample()
    private int epoch;

    public Sampler(SamplerParams params, int vocabSize) {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocabSize must be > 0, got " + vocabSize);
        this.params = params;
        this.vocabSize = vocabSize;
        this.random = new SplittableRandom(params.seed());
        boolean filtered = params.temperature() > 0;
        int cap = filtered && params.topK() > 0 ? Math.min(params.topK(), vocabSize) : vocabSize;
        this.candIds = new int[filtered ? cap : 0];
        this.candLogits = new float[filtered ? cap : 0];
        this.probs = new float[filtered ? cap : 0];
        this.keys = filtered && params.topK() > 0 ? new long[cap] : null;
        boolean track = params.penalizes();
        this.counts = track ? new int[vocabSize] : null;
        this.applied = track ? new int[vocabSize] : null;
        this.ring = track ? new int[params.repeatLastN() > 0 ? params.repeatLastN() : 256] : null;
    }

    public SamplerParams params() { return params; }
    public int vocabSize() { return vocabSize; }

    /**
     * Picks the next token. {@code logits} (length {@code vocabSize}) may be modified in place (penalties are
     * applied to it): compute {@link Logprobs} first if you need them from the raw logits. NaN logits count as
     * impossible tokens.
     */
    public int sample(float[] logits) {
        if (logits.length != vocabSize) {
            throw new IllegalArgumentException("logits has " + logits.length + " entries but the sampler was made for a vocabulary of " + vocabSize);
        }
        if (counts != null) applyPenalties(logits);
        if (params.temperature() <= 0) return argmax(logits);

        int n = params.topK() > 0 && params.topK() < vocabSize ? topK(logits, params.topK()) : all(logits);
        boolean sorted = params.topK() > 0 && params.topK() < vocabSize;
        float max = sorted ? candLogits[0] : max(candLogits, n);
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("every token has logit -infinity or NaN; cannot sample (check the model output or the logit bias)");
        }
        float minLogit = params.minP() > 0 ? max + (float) Math.log(params.minP()) : Float.NEGATIVE_INFINITY;

        if (params.topP() < 1f) {
            // Top-p's probabilities are over every current candidate, so take the denominator before min-p
            // shrinks the set; min-p keeps a prefix of the same order, so it can cut before the sort.
            double total = 0;
            for (int i = 0; i < n; i++) total += Math.exp(candLogits[i] - max);
            if (!sorted) {
                n = filterMin(n, minLogit);
                n = sortNucleus(n, max, params.topP() * total);
            }
            double cum = 0, target = params.topP() * total;
            int keep = n;
            for (int i = 0; i < n; i++) {
                cum += Math.exp(candLogits[i] - max);
                if (cum >= target) {
                    keep = i + 1;
                    break;
                }
            }
            n = keep;
        }
        n = filterMin(n, minLogit);
        return draw(n, max);
    }

    /** Records a token (prompt or generated) in the penalty history. */
    public void accept(int token) {
        if (token < 0 || token >= vocabSize) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (0.." + (vocabSize - 1) + ")");
        }
        if (counts == null) return;
        int limit = params.repeatLastN();
        if (limit > 0 && ringSize == limit) {
            counts[ring[ringStart]]--;
            ring[ringStart] = token;
            ringStart = (ringStart + 1) % limit;
        } else {
            if (ringSize == ring.length) ring = Arrays.copyOf(ring, ring.length * 2); // only when repeatLastN is -1
            ring[(ringStart + ringSize) % ring.length] = token;
            ringSize++;
        }
        counts[token]++;
    }

    /** Forgets the penalty history and restarts the random sequence from the seed. */
    public void reset() {
        if (counts != null) {
            for (int i = 0; i < ringSize; i++) counts[ring[(ringStart + i) % ring.length]] = 0;
            ringStart = 0;
            ringSize = 0;
        }
        random = new SplittableRandom(params.seed());
    }

    private void applyPenalties(float[] logits) {
        float repeat = params.repeatPenalty(), freq = params.frequencyPenalty(), presence = params.presencePenalty();
        if (++epoch == 0) { // wrapped: clear stamps so old ones cannot match
            Arrays.fill(applied, 0);
            epoch = 1;
        }
        for (int i = 0; i < ringSize; i++) {
            int t = ring[(ringStart + i) % ring.length];
            if (applied[t] == epoch) continue; // each distinct token once
            applied[t] = epoch;
            int c = counts[t];
            float l = logits[t];
            l = l <= 0 ? l * repeat : l / repeat;
            logits[t] = l - c * freq - presence;
        }
    }

    /** Index of the largest logit, the lowest such index on ties; NaN never wins. */
    static int argmax(float[] logits) {
        int best = -1;
        float bestVal = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] > bestVal) {
                bestVal = logits[i];
                best = i;
            }
        }
        if (best < 0) {
            // Every logit is -inf or NaN: pick the first -inf one if any, as the only defined answer.
            for (int i = 0; i < logits.length; i++) if (logits[i] == Float.NEGATIVE_INFINITY) return i;
            throw new IllegalStateException("every logit is NaN; the model output is broken");
        }
        return best;
    }

    /** Copies every token as a candidate, unsorted. */
    private int all(float[] logits) {
        for (int i = 0; i < vocabSize; i++) {
            candIds[i] = i;
            float l = logits[i];
            candLogits[i] = l != l ? Float.NEGATIVE_INFINITY : l;
        }
        return vocabSize;
    }

    /**
     * The k best tokens, best first (lowest id first on ties), by a min-heap of packed keys: one compare per
     * token for the many that cannot enter, O(log k) for the few that do.
     */
    private int topK(float[] logits, int k) {
        long[] heap = keys;
        int size = 0;
        float floor = Float.NEGATIVE_INFINITY; // logit at the heap root once full
        for (int i = 0; i < vocabSize; i++) {
            float l = logits[i];
            if (size < k) {
                if (l != l) l = Float.NEGATIVE_INFINITY;
                heap[size] = key(l, i);
                siftUp(heap, size++);
                if (size == k) floor = logitOf(heap[0]);
            } else if (l > floor) { // strict: an equal logit has a higher id than the one it would replace
                heap[0] = key(l, i);
                siftDown(heap, k);
                floor = logitOf(heap[0]);
            }
        }
        Arrays.sort(heap, 0, size);
        for (int j = 0; j < size; j++) {
            long key = heap[size - 1 - j];
            candIds[j] = idOf(key);
            candLogits[j] = logitOf(key);
        }
        return size;
    }

    /** Keeps candidates with logit >= min, preserving order. */
    private int filterMin(int n, float min) {
        if (min == Float.NEGATIVE_INFINITY) return n;
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (candLogits[i] >= min) {
                candIds[m] = candIds[i];
                candLogits[m] = candLogits[i];
                m++;
            }
        }
        return m;
    }

    private static final int BUCKETS = 256;
    private static final float BUCKET_RANGE = 32f; // logits more than 32 below the best weigh < e^-32 each
    private final double[] bucketMass = new double[BUCKETS + 1];

    /**
     * Sorts enough of the n unsorted candidates, best first, for top-p, and returns how many are now at the
     * front (the rest are dropped). Rather than sorting the whole vocabulary, bucket the tokens by logit, find
     * the bucket where the cumulative mass reaches the target, and sort only the tokens at or above it.
     */
    private int sortNucleus(int n, float max, double target) {
        if (keys == null || keys.length < n) keys = new long[vocabSize];
        float cutoff = Float.NEGATIVE_INFINITY;
        if (n > 1024) {
            Arrays.fill(bucketMass, 0);
            float scale = BUCKETS / BUCKET_RANGE;
            for (int i = 0; i < n; i++) {
                float d = max - candLogits[i];
                int b = d < BUCKET_RANGE ? (int) (d * scale) : BUCKETS; // -inf lands in the last bucket too
                bucketMass[b] += Math.exp(-d);
            }
            double cum = 0;
            for (int b = 0; b < BUCKETS; b++) {
                cum += bucketMass[b];
                if (cum >= target) {
                    cutoff = max - (b + 1) / scale;
                    break;
                }
            }
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (candLogits[i] >= cutoff) keys[m++] = key(candLogits[i], candIds[i]);
        }
        Arrays.sort(keys, 0, m);
        unpackDescending(m);
        return m;
    }

    /** Writes keys[0..m) (ascending) into the candidate arrays, best first. */
    private void unpackDescending(int m) {
        for (int j = 0; j < m; j++) {
            long key = keys[m - 1 - j];
            candIds[j] = idOf(key);
            candLogits[j] = logitOf(key);
        }
    }

    private static float max(float[] a, int n) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) if (a[i] > m) m = a[i];
        return m;
    }

    /** Softmax of the candidates at the temperature, then one draw from the seeded generator. */
    private int draw(int n, float max) {
        float invTemp = 1f / params.temperature();
        double total = 0;
        for (int i = 0; i < n; i++) {
            float p = (float) Math.exp((candLogits[i] - max) * invTemp);
            probs[i] = p;
            total += p;
        }
        double u = random.nextDouble() * total;
        double cum = 0;
        for (int i = 0; i < n; i++) {
            cum += probs[i];
            if (u < cum) return candIds[i];
        }
        // Rounding left u at the very top: take the last token that has any probability.
        for (int i = n - 1; i >= 0; i--) if (probs[i] > 0) return candIds[i];
        return candIds[0];
    }

    // ---- packed keys: larger key = better token (higher logit, then lower id) -------------------

    static long key(float logit, int id) {
        return ((long) orderedBits(logit) << 32) | (0xFFFFFFFFL - id);
    }

    private static int idOf(long key) {
        return (int) (0xFFFFFFFFL - (key & 0xFFFFFFFFL));
    }

    private static float logitOf(long key) {
        int bits = (int) (key >> 32);
        return Float.intBitsToFloat(bits < 0 ? bits ^ 0x7FFFFFFF : bits);
    }

    /** Float bits as an int whose signed order is the float order (for non-NaN values). */
    private static int orderedBits(float f) {
        int bits = Float.floatToRawIntBits(f);
        return bits < 0 ? bits ^ 0x7FFFFFFF : bits;
    }

    private static void siftUp(long[] h, int i) {
        long x = h[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (h[parent] <= x) break;
            h[i] = h[parent];
            i = parent;
        }
        h[i] = x;
    }

    private static void siftDown(long[] h, int size) {
        long x = h[0];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && h[child + 1] < h[child]) child++;
            if (h[child] >= x) break;
            h[i] = h[child];
            i = child;
        }
        h[i] = x;
    }
}
