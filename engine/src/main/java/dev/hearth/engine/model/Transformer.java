package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.kernel.MatMul;
import dev.hearth.engine.kernel.Matrix;
import dev.hearth.engine.kernel.Parallel;
import dev.hearth.engine.kernel.VectorOps;

/**
 * The forward pass of a Llama-family decoder (Llama 2/3, Mistral, Qwen2 with QKV biases, Qwen3 with
 * Q/K norms) over a {@link Batch} of token positions. Every matrix multiplication takes all rows of the
 * batch at once, so each weight is read once per pass however many tokens it carries.
 *
 * <p>Per layer: {@code x += Wo . attention(rope(Wq.n), rope(Wk.n), Wv.n)} with {@code n = rmsnorm(x)},
 * then {@code x += Wdown . (silu(Wgate.m) * Wup.m)} with {@code m = rmsnorm(x)}. Not thread-safe: one
 * caller at a time (the scheduler owns the model).
 */
public final class Transformer {
    private final ModelConfig c;
    private final Weights w;
    private final Parallel pool;
    private final float ropeThetaScale;   // RoPE: ratio of the angles of consecutive rotated pairs
    private final int[] itemFirst, itemHeads;   // attention work items of one KV head (splitGroup)
    private final int shortPrompt;              // isShortPrompt

    // Workspace, grown to the largest batch seen.
    private int capacity;
    private float[] x, xb, q, k, v, att, hb, hb2, cos, sin;

    public Transformer(ModelConfig config, Weights weights, Parallel pool) {
        this.c = config;
        this.w = weights;
        this.pool = pool;
        ropeThetaScale = (float) Math.pow(c.ropeTheta(), -2.0 / c.headDim());
        int[][] split = splitGroup(c.heads() / c.kvHeads());
        itemFirst = split[0];
        itemHeads = split[1];
        shortPrompt = shortPromptTokens(weights.mainType(), weights.bytesPerToken());
    }

    public ModelConfig config() { return c; }
    public Weights weights() { return w; }
    public Parallel pool() { return pool; }

    /**
     * Prompts of at most this many tokens are fed as decode rows ({@link #isShortPrompt}): {@link #SHORT_PROMPT_Q4_0} for
     * models mainly of Q4_0 weights, {@link #SHORT_PROMPT_SMALL} for the others of at most {@link #SMALL_MODEL_BYTES} a
     * token, {@link #SHORT_PROMPT_K_QUANT} for models mainly of Q2_K to Q5_K, else {@link #SHORT_PROMPT}.
     *
     * <p>Where the two kinds of rows meet: a pass of decode rows costs about the same per row whatever their number; a
     * pass of prompt rows decodes every weight once, then costs little per row, and takes the rows a panel at a time (16
     * on the float tiles, 32 on Q4_0's integer ones), so 17 rows cost what 32 do. {@code hearth bench -t 2 -p ... -n 0}
     * with the limit set to 0 and to 64 (docs/perf.md, nineteenth block; 512-bit vectors): the 1.1B files meet at 13-14
     * rows (Q8_0), 16-24 (F16), 16 (Q5_K_M), 18-20 (Q4_K_M) and 48-56 (Q4_0: its decode kernel is the fastest per weight,
     * its prompt tiles are bound by 16-bit multiplies); the 20M files at 24-32 (brown Q8_0 and Q4_K_M, tiny Q5_K_M) and
     * about 40 (tiny Q4_0).
     */
    public int shortPromptTokens() {
        return shortPrompt;
    }

    /** {@link #shortPromptTokens()} of a model whose layers' weights are mainly of {@code type} ({@link Weights#mainType}) and whose matrices read per token take {@code bytes}. */
    static int shortPromptTokens(GgmlType type, long bytes) {
        if (type == GgmlType.Q4_0) return SHORT_PROMPT_Q4_0;
        if (bytes <= SMALL_MODEL_BYTES) return SHORT_PROMPT_SMALL;
        return switch (type) {
            case Q2_K, Q3_K, Q4_K, Q5_K -> SHORT_PROMPT_K_QUANT;
            default -> SHORT_PROMPT;
        };
    }

    /** Whether a prompt of {@code tokens} tokens (what one request feeds in one go) is fed as decode rows. */
    public boolean isShortPrompt(int tokens) {
        return tokens <= shortPrompt;
    }

    /**
     * Short prompts of the other large models (Q6_K, Q8_0, F16, BF16, F32). As prompt rows the 1.1B files took a
     * one-token prompt at 4-5 t/s and four tokens at 16-22 (llama.cpp 37-78 and 61-177); as decode rows 21-60 and 28-117
     * (two threads; docs/perf.md, eighteenth block).
     */
    public static final int SHORT_PROMPT = 12;
    /** Short prompts of large models mainly of Q2_K to Q5_K (Q4_K_M and Q5_K_M files; measured on those two). */
    public static final int SHORT_PROMPT_K_QUANT = 16;
    /** Short prompts of small models ({@link #SMALL_MODEL_BYTES}) not mainly Q4_0. */
    public static final int SHORT_PROMPT_SMALL = 24;
    /** Short prompts of models mainly of Q4_0 weights, large or small. */
    public static final int SHORT_PROMPT_Q4_0 = 40;
    /** Matrices of at most this many bytes a token make a small model for {@link #SHORT_PROMPT_SMALL}: the shared 20M files take 9-33 MB. */
    static final long SMALL_MODEL_BYTES = 64L << 20;

    private void ensureCapacity(int n) {
        if (n <= capacity) return;
        capacity = Math.max(n, capacity * 2);
        x = new float[capacity * c.dim()];
        xb = new float[capacity * Math.max(c.dim(), c.qDim())];
        q = new float[capacity * c.qDim()];
        k = new float[capacity * c.kvDim()];
        v = new float[capacity * c.kvDim()];
        att = new float[capacity * c.qDim()];
        hb = new float[capacity * c.ffnDim()];
        hb2 = new float[capacity * c.ffnDim()];
        cos = new float[capacity * c.headDim() / 2];
        sin = new float[capacity * c.headDim() / 2];
    }

    /**
     * Runs the batch through the model, writing each row's keys and values into its cache.
     *
     * @return for each batch row that wants logits, its {@code vocabSize} logits; null for other rows
     */
    public float[][] forward(Batch b) {
        return run(b, false);
    }

    /**
     * Runs the batch like {@link #forward} but returns, for each row that wants output, its final hidden
     * state after the output norm ({@code dim} floats) instead of logits: the input of embedding pooling.
     */
    public float[][] hiddenStates(Batch b) {
        return run(b, true);
    }

    private float[][] run(Batch b, boolean hiddenOnly) {
        final int n = b.size(), decode = b.decodeRows();
        final int dim = c.dim(), qDim = c.qDim(), kvDim = c.kvDim(), half = c.headDim() / 2;
        ensureCapacity(n);

        for (int i = 0; i < n; i++) {
            int token = b.token(i);
            if (token < 0 || token >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + c.vocabSize());
            }
        }
        perRow(n, dim, (from, to) -> {
            for (int i = from; i < to; i++) {
                w.tokenEmbd.row(b.token(i), x, i * dim);
                // Angles as llama.cpp computes them: pos * scale^j by repeated float multiplication.
                float theta = b.position(i);
                for (int j = 0; j < half; j++) {
                    float angle = c.ropeScale() * (w.ropeFreqs != null ? theta / w.ropeFreqs[j] : theta);
                    cos[i * half + j] = (float) Math.cos(angle);
                    sin[i * half + j] = (float) Math.sin(angle);
                    theta *= ropeThetaScale;
                }
            }
        });

        for (int l = 0; l < c.layers(); l++) {
            final Weights.Layer L = w.layers[l];
            final int layer = l;
            // attention block
            normRows(n, L.attnNorm());
            // one parallel run for the three projections of the same input
            MatMul.matmul(pool, new Matrix[] {L.wq(), L.wk(), L.wv()}, xb, new float[][] {q, k, v}, n, decode);
            perRow(n, qDim + 2 * kvDim, (from, to) -> qkvRows(b, L, layer, from, to));
            final long call = ATTENTION_CALLS.incrementAndGet();
            pool.run(n * attentionItemsPerRow(), (from, to) -> attention(b, layer, call, from, to));
            MatMul.matmul(pool, L.wo(), att, xb, n, decode);
            addInPlace(x, xb, n * dim);

            // feed-forward block
            normRows(n, L.ffnNorm());
            MatMul.matmul(pool, new Matrix[] {L.ffnGate(), L.ffnUp()}, xb, new float[][] {hb, hb2}, n, decode);
            final int ffn = c.ffnDim();
            perRow(n, ffn, (from, to) -> VectorOps.swiglu(hb, hb2, from * ffn, to * ffn));
            MatMul.matmul(pool, L.ffnDown(), hb, xb, n, decode);
            addInPlace(x, xb, n * dim);
        }
        return output(b, n, hiddenOnly);
    }

    /**
     * Rows per chunk of the per-row work of a pass (norms, rope, the cache, SwiGLU) when it runs on the pool: at least
     * this many floats, so that a decode step's few rows stay on the calling thread. A 512-token prompt's such work ran
     * on the calling thread alone: 11 % of a pass on the 20M brown model, 4 % on the 1.1B files (a timing build,
     * docs/kernels.md, twenty-sixth session).
     */
    private static final int ROW_WORK_FLOATS = 16 * 1024;

    /** {@code body} over rows {@code [0, n)} of about {@code floatsPerRow} floats of work each: on the pool where there is enough of it. */
    private void perRow(int n, int floatsPerRow, Parallel.Range body) {
        int minRows = Math.max(1, ROW_WORK_FLOATS / Math.max(1, floatsPerRow));
        if (n < 2 * minRows) body.run(0, n);
        else pool.run(n, minRows, body);
    }

    /** {@code xb = rmsNorm(x) * weight} for rows {@code [0, n)}. */
    private void normRows(int n, float[] weight) {
        final int dim = c.dim();
        perRow(n, dim, (from, to) -> {
            for (int i = from; i < to; i++) VectorOps.rmsNorm(xb, i * dim, x, i * dim, weight, dim, c.rmsEps());
        });
    }

    /** Rows {@code [from, to)} after the q/k/v projections: biases, Q/K norms, rope, and the keys and values into their caches. */
    private void qkvRows(Batch b, Weights.Layer L, int l, int from, int to) {
        final int qDim = c.qDim(), kvDim = c.kvDim(), hd = c.headDim();
        for (int i = from; i < to; i++) {
            if (L.bq() != null) {
                addInPlace(q, i * qDim, L.bq());
                addInPlace(k, i * kvDim, L.bk());
                addInPlace(v, i * kvDim, L.bv());
            }
            for (int h = 0; h < c.heads(); h++) {
                if (L.qNorm() != null) VectorOps.rmsNorm(q, i * qDim + h * hd, q, i * qDim + h * hd, L.qNorm(), hd, c.rmsEps());
                rope(q, i * qDim + h * hd, i);
            }
            for (int h = 0; h < c.kvHeads(); h++) {
                if (L.kNorm() != null) VectorOps.rmsNorm(k, i * kvDim + h * hd, k, i * kvDim + h * hd, L.kNorm(), hd, c.rmsEps());
                rope(k, i * kvDim + h * hd, i);
            }
            // Keys and values are kept at float16 precision, as in llama.cpp's default cache: with
            // 8-bit activations downstream, even this rounding must match (see roundToHalf).
            KvCache cache = b.cache(i);
            short[] keys = cache.keys[l], values = cache.values[l];
            int pos = b.position(i);
            for (int h = 0; h < c.kvHeads(); h++) {
                int ko = i * kvDim + h * hd;
                for (int e = 0; e < hd; e++) keys[cache.key(h, e, pos)] = Float.floatToFloat16(k[ko + e]);
                toHalf(v, ko, values, cache.value(h, pos), hd);
            }
        }
    }

    /** The final norm and, unless {@code hiddenOnly}, the classifier, for the rows of {@code b} that want output. */
    private float[][] output(Batch b, int n, boolean hiddenOnly) {
        final int dim = c.dim(), decode = b.decodeRows();
        if (hiddenOnly) {
            float[][] hidden = new float[n][];
            for (int i = 0; i < n; i++) {
                if (!b.wantsLogits(i)) continue;
                hidden[i] = new float[dim];
                VectorOps.rmsNorm(hidden[i], 0, x, i * dim, w.outputNorm, dim, c.rmsEps());
            }
            return hidden;
        }

        // final norm and classifier, only for the rows that need logits
        int wanted = 0, wantedDecode = 0;   // decode rows come first, so they stay first among the wanted rows
        for (int i = 0; i < n; i++) {
            if (b.wantsLogits(i)) {
                wanted++;
                if (i < decode) wantedDecode++;
            }
        }
        float[][] result = new float[n][];
        if (wanted == 0) return result;
        float[] normed = new float[wanted * dim];
        int r = 0;
        for (int i = 0; i < n; i++) {
            if (b.wantsLogits(i)) VectorOps.rmsNorm(normed, (r++) * dim, x, i * dim, w.outputNorm, dim, c.rmsEps());
        }
        float[] logits = new float[wanted * c.vocabSize()];
        MatMul.matmul(pool, w.output, normed, logits, wanted, wantedDecode);
        if (wanted == 1) {   // one row (a decode step, a prompt's last row): its logits as they are, not a copy
            for (int i = 0; i < n; i++) if (b.wantsLogits(i)) result[i] = logits;
            return result;
        }
        r = 0;
        for (int i = 0; i < n; i++) {
            if (b.wantsLogits(i)) {
                result[i] = java.util.Arrays.copyOfRange(logits, r * c.vocabSize(), (r + 1) * c.vocabSize());
                r++;
            }
        }
        return result;
    }

    /** Per-thread attention buffers: scores, keys, values, query, a decode row's block of keys or values and its scores (grown on demand, never per call). */
    private static final ThreadLocal<float[][]> ATTENTION = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0], new float[0], new float[0], new float[0], new float[0]});

    /**
     * KV positions per block of a decode row's attention ({@link #attendInBlocks}): a block's keys or values as
     * floats are 32 KiB at head dimension 64, in L1 while they are used.
     */
    private static final int KV_BLOCK = 128, KEY_BLOCK_STRIDE = keyStride(KV_BLOCK);

    /**
     * What a thread's attention buffers hold: KV positions {@code [0, converted[kvh])} of the cache of batch row
     * {@code row}, converted during attention call {@code call}. The caches do not change during a call, so a
     * thread's later chunks of the same call reuse them (each chunk converting from position 0 again cost as
     * much as the scores for a 512-token prompt split in 8 chunks). No reference is kept: the row is resolved
     * through the call's batch.
     */
    private static final class Converted {
        long call = -1;
        int row = -1;
        int[] converted = new int[0];
    }

    private static final ThreadLocal<Converted> CONVERTED = ThreadLocal.withInitial(Converted::new);
    /** Attention calls of every model (one per layer per forward pass), to tell them apart in {@link Converted}. */
    private static final java.util.concurrent.atomic.AtomicLong ATTENTION_CALLS = new java.util.concurrent.atomic.AtomicLong();

    /** Attention work items per batch row: {@link #itemHeads}'s items for each KV head. */
    private int attentionItemsPerRow() {
        return c.kvHeads() * itemHeads.length;
    }

    /**
     * How attention splits the {@code group} query heads of one KV head into work items: {@code {first, heads}} per
     * item, four heads at a time, then a pair, then a single one (a group of 7: 4 + 2 + 1), so that each key and value
     * load serves all heads of an item ({@link VectorOps#dotsTransposed4}, {@link VectorOps#dotsTransposed2}).
     */
    static int[][] splitGroup(int group) {
        int quads = group / 4, rest = group % 4;
        int count = quads + (rest == 3 ? 2 : rest > 0 ? 1 : 0);
        int[] first = new int[count], heads = new int[count];
        int j = 0, h = 0;
        for (; j < quads; j++, h += 4) {
            first[j] = h;
            heads[j] = 4;
        }
        if (rest >= 2) {
            first[j] = h;
            heads[j++] = 2;
            h += 2;
        }
        if (rest % 2 == 1) {
            first[j] = h;
            heads[j] = 1;
        }
        return new int[][] {first, heads};
    }

    /**
     * Scaled dot-product attention for the work items {@code [from, to)}, causal by position: item {@code p} is batch
     * row {@code p / attentionItemsPerRow()} and one, two or four query heads of one KV head ({@link #itemHeads}).
     */
    private void attention(Batch b, int layer, long call, int from, int to) {
        final int hd = c.headDim(), qDim = c.qDim();
        final int group = c.heads() / c.kvHeads(), perKv = itemHeads.length, items = attentionItemsPerRow();
        final float scale = (float) (1.0 / Math.sqrt(hd));
        // per-thread buffers, grown to the longest position seen: scores, the query, and per KV head its
        // keys (transposed: hd rows of n positions) and values (n rows of hd) as floats
        final int kvHeads = c.kvHeads(), n = Math.max(b.maxPosition() + 1, 64), ks = keyStride(n), perHead = hd * ks;
        float[][] buf = ATTENTION.get();
        if (buf[0].length < 4 * n) buf[0] = new float[4 * n];
        if (buf[1].length < kvHeads * perHead) {
            buf[1] = new float[kvHeads * perHead];
            buf[2] = new float[kvHeads * perHead];
        }
        if (buf[3].length < 4 * hd) buf[3] = new float[4 * hd];
        if (buf[4].length < KEY_BLOCK_STRIDE * hd) {
            buf[4] = new float[KEY_BLOCK_STRIDE * hd];
            buf[5] = new float[4 * KV_BLOCK];
        }
        final float[] scores = buf[0], keys = buf[1], values = buf[2], qh = buf[3];
        // positions [0, converted[kvh]) of KV head kvh of `cache` are in the buffers; rows of a sequence come
        // in position order, so each position is converted once per call (the caches do not change during
        // attention: this pass's rows were stored above)
        Converted state = CONVERTED.get();
        if (state.call != call) {
            state.call = call;
            state.row = -1;
            if (state.converted.length != kvHeads) state.converted = new int[kvHeads];
            else java.util.Arrays.fill(state.converted, 0);
        }
        KvCache cache = state.row < 0 ? null : b.cache(state.row);
        final int[] converted = state.converted;
        final short[] halves = halfBuffer(n);
        for (int p = from; p < to; p++) {
            int i = p / items, kvh = (p % items) / perKv, item = (p % items) % perKv;
            int h = kvh * group + itemFirst[item], heads = itemHeads[item];
            int pos = b.position(i), qo = i * qDim + h * hd;
            // llama.cpp multiplies the float16 cache with float16 copies of the query and of the
            // attention weights; rounding them the same way keeps the 8-bit activations after this
            // block identical to its own.
            roundToHalf(q, qo, qh, 0, heads * hd);   // the item's heads are adjacent in q
            if (i < b.decodeRows()) {
                // a decode row (its sequence's only row, or one of a short prompt's few): block by block, nothing shared
                attendInBlocks(b.cache(i), layer, kvh, pos, heads, qh, scores, n, scale, qo, buf[4], buf[5], halves);
                continue;
            }
            if (b.cache(i) != cache) {
                cache = b.cache(i);
                state.row = i;
                java.util.Arrays.fill(converted, 0);
            }
            int base = kvh * perHead;
            if (converted[kvh] <= pos) {
                // positions [t0, pos] of this KV head: per key dimension one contiguous run, the values one block
                int t0 = converted[kvh], len = pos + 1 - t0;
                short[] kc = cache.keys[layer];
                for (int e = 0; e < hd; e++) fromHalf(kc, cache.key(kvh, e, t0), keys, base + e * ks + t0, len);
                fromHalf(cache.values[layer], cache.value(kvh, t0), values, base + t0 * hd, len * hd);
                converted[kvh] = pos + 1;
            }
            headScores(heads, qh, keys, base, ks, pos + 1, scores, n);
            attentionWeights(scores, n, heads, pos + 1, scale, halves);
            weightedSums(heads, scores, n, pos + 1, values, base, att, qo, false);
        }
    }

    /** Scores of an item's {@code heads} query heads ({@code qh}) against {@code n} keys of one KV head ({@code kT} transposed, rows {@code stride} apart), head j's at {@code scores[j * ss]}. */
    private void headScores(int heads, float[] qh, float[] kT, int off, int stride, int n, float[] scores, int ss) {
        final int hd = c.headDim();
        if (heads == 4) VectorOps.dotsTransposed4(qh, hd, kT, off, stride, n, scores, ss);
        else if (heads == 2) VectorOps.dotsTransposed2(qh, hd, kT, off, stride, n, scores, ss);
        else VectorOps.dotsTransposed(qh, hd, kT, off, stride, n, scores);
    }

    /** An item's {@code heads} weighted sums of {@code n} value rows at {@code v[vo..]} (weights of head j at {@code s[j * ss]}) into {@code out[qo..]}; {@code add}: continue the sums. */
    private void weightedSums(int heads, float[] s, int ss, int n, float[] v, int vo, float[] out, int qo, boolean add) {
        final int hd = c.headDim();
        if (heads == 4) VectorOps.weightedSum4(s, ss, n, v, vo, hd, out, qo, add);
        else if (heads == 2) VectorOps.weightedSum2(s, ss, n, v, vo, hd, out, qo, qo + hd, add);
        else VectorOps.weightedSum(s, n, v, vo, hd, out, qo, add);
    }

    /** Scores {@code [0, len)} of each of {@code heads} heads (head j's at {@code j * n}) scaled, softmaxed, rounded to float16. */
    private static void attentionWeights(float[] scores, int n, int heads, int len, float scale, short[] halves) {
        for (int j = 0; j < heads; j++) {
            int so = j * n;
            for (int t = 0; t < len; t++) scores[so + t] *= scale;
            VectorOps.softmax(scores, so, len);
            weightsToHalf(scores, so, len, halves);
        }
    }

    /**
     * Attention of a decode row's item (query heads {@code qh}, float16-rounded, of KV head {@code kvh}) over
     * positions {@code [0, pos]} of {@code cache}, into {@code att[qo..]}: the cache converted {@link #KV_BLOCK}
     * positions at a time into {@code blk}, used at once from L1, instead of a whole KV head into buffers of 1 MiB
     * at 2,048 positions (the prompt rows' way, shared there by the rows of a sequence). What made decode at depth
     * slow was the conversion itself, left unvectorized by C2 (see {@link #blockFromHalf}): brown Q8_0 tg64 at depth
     * 900 with one thread 432-476 -> 660-675 t/s, the 1.1B Q4_0 file's tg32 at depth 2,048 with two 24.9-25.7 ->
     * 27.3-28.0. The blocks alone, with the shared conversion, measured within noise. Bit for bit the prompt rows'
     * path: each score is its own sum, and each weighted sum continues over the blocks in position order.
     */
    private void attendInBlocks(KvCache cache, int layer, int kvh, int pos, int heads, float[] qh, float[] scores, int n, float scale,
                                int qo, float[] blk, float[] sb, short[] halves) {
        final int hd = c.headDim(), len = pos + 1;
        final short[] kc = cache.keys[layer], vc = cache.values[layer];
        for (int t0 = 0; t0 < len; t0 += KV_BLOCK) {
            int m = Math.min(KV_BLOCK, len - t0);
            for (int e = 0; e < hd; e++) blockFromHalf(kc, cache.key(kvh, e, t0), blk, e * KEY_BLOCK_STRIDE, m);
            headScores(heads, qh, blk, 0, KEY_BLOCK_STRIDE, m, sb, KV_BLOCK);
            for (int j = 0; j < heads; j++) System.arraycopy(sb, j * KV_BLOCK, scores, j * n + t0, m);
        }
        attentionWeights(scores, n, heads, len, scale, halves);
        for (int t0 = 0; t0 < len; t0 += KV_BLOCK) {
            int m = Math.min(KV_BLOCK, len - t0);
            blockFromHalf(vc, cache.value(kvh, t0), blk, 0, m * hd);
            for (int j = 0; j < heads; j++) System.arraycopy(scores, j * n + t0, sb, j * KV_BLOCK, m);
            weightedSums(heads, sb, KV_BLOCK, m, blk, 0, att, qo, t0 > 0);
        }
    }

    /**
     * Floats between one key dimension's run of positions and the next in the attention buffers: {@code n} rounded
     * up to whole 64-byte lines, and an odd number of lines. The score loop reads all {@code headDim} runs at once;
     * with runs some multiple of 4 KiB apart (n near 1,024 or 2,048 positions) they all fall in a few sets of the L1
     * cache and evict each other at every step. An odd number of lines spreads them over every set (the four-head
     * score loop over 2,049 positions in L2: 14.1 us at a stride of 2,049, 13.1-13.4 at 2,064 to 2,112).
     */
    static int keyStride(int n) {
        int lines = (n + 15) / 16;
        return 16 * (lines | 1);
    }

    /** {@code dst[do..do+n) = src[so..so+n)} as floats (a plain loop, which C2 vectorizes only for a profile of long runs: {@link #blockFromHalf}). */
    private static void fromHalf(short[] src, int so, float[] dst, int dOff, int n) {
        for (int e = 0; e < n; e++) dst[dOff + e] = Float.float16ToFloat(src[so + e]);
    }

    /**
     * {@link #fromHalf} for {@link #attendInBlocks} alone. The same loop, a method of its own for its profile: C2
     * vectorizes such a loop only if its profile shows long runs, and {@code fromHalf}'s is dominated by the prompt
     * path's runs of one new position per row, so there it stays one {@code vcvtph2ps} per value (~1 ns) instead
     * of 16. At 2,048 positions that was most of the attention's time.
     */
    private static void blockFromHalf(short[] src, int so, float[] dst, int dOff, int n) {
        for (int e = 0; e < n; e++) dst[dOff + e] = Float.float16ToFloat(src[so + e]);
    }

    /** {@code dst[do..] = src[so..]} as float16 bits (round to nearest even, as llama.cpp's cache). */
    private static void toHalf(float[] src, int so, short[] dst, int dOff, int n) {
        for (int e = 0; e < n; e++) dst[dOff + e] = Float.floatToFloat16(src[so + e]);
    }

    /** Rotates one head's vector at {@code o} by the angles of batch row {@code row}. */
    private void rope(float[] vec, int o, int row) {
        final int half = c.headDim() / 2;
        for (int j = 0; j < half; j++) {
            float cs = cos[row * half + j], sn = sin[row * half + j];
            // NeoX pairs element j with j + half; the GGUF Llama layout pairs 2j with 2j + 1.
            int a = c.ropeNeox() ? o + j : o + 2 * j;
            int bIdx = c.ropeNeox() ? o + j + half : o + 2 * j + 1;
            float x0 = vec[a], x1 = vec[bIdx];
            vec[a] = x0 * cs - x1 * sn;
            vec[bIdx] = x0 * sn + x1 * cs;
        }
    }

    /** Per-thread float16 bits of one head's attention weights ({@link #weightsToHalf}), grown on demand. */
    private static final ThreadLocal<short[][]> HALVES = ThreadLocal.withInitial(() -> new short[][] {new short[0]});

    private static short[] halfBuffer(int n) {
        short[][] h = HALVES.get();
        if (h[0].length < n) h[0] = new short[n];
        return h[0];
    }

    /**
     * {@link #roundToHalf} in place for a head's attention weights, as two loops through {@code halves}: C2 compiles
     * the two conversions in one loop one value at a time, and vectorizes them as separate loops (in a harness 0.25
     * against 1.2 us for 2,049 values; in the engine the second loop at least, {@code vcvtph2ps zmm}). Same bits.
     * brown Q8_0 with one thread at depth 900 (jars alternated twice): pp512 3,157-3,257 -> 3,344-3,392 t/s, tg64
     * within noise.
     */
    private static void weightsToHalf(float[] x, int o, int n, short[] halves) {
        for (int e = 0; e < n; e++) halves[e] = Float.floatToFloat16(x[o + e]);
        for (int e = 0; e < n; e++) x[o + e] = Float.float16ToFloat(halves[e]);
    }

    /**
     * {@code dst[do..] = src[so..]} rounded to float16 precision (values stay floats). Why it matters:
     * quantized matmuls round their activations to 8 bits, and a float16-sized difference upstream flips
     * some of those roundings; each flip moves an output by a full 8-bit step, so the engine agrees with
     * llama.cpp to ~0.001 in log-probabilities with this rounding and only to ~0.01 without it.
     */
    private static void roundToHalf(float[] src, int so, float[] dst, int dOff, int n) {
        for (int e = 0; e < n; e++) dst[dOff + e] = Float.float16ToFloat(Float.floatToFloat16(src[so + e]));
    }

    private static void addInPlace(float[] dst, int off, float[] src) {
        for (int i = 0; i < src.length; i++) dst[off + i] += src[i];
    }

    private static void addInPlace(float[] dst, float[] src, int n) {
        for (int i = 0; i < n; i++) dst[i] += src[i];
    }
}
