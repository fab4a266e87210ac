package dev.hearth.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Element-wise and reduction helpers on float arrays used by the forward pass. */
public final class VectorOps {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Ints of {@link #F}'s shape. Conversions name their result species: see {@code Q8Kernels.F16}. */
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;

    private VectorOps() {}

    /**
     * {@code scores[t] = sum_d q[d] * kT[off + d * stride + t]} for {@code t < n}: attention scores against keys
     * stored transposed (one row per dimension), so that each vector lane is one key and no horizontal sum
     * is needed (a per-key dot of 64 values spends more on its lane sum than on its multiplies). Every
     * score is the chain {@code acc = fma(q[d], k[d], acc)} for {@code d = 0, 1, ..}, in a vector lane or
     * in the scalar tail alike ({@code FloatVector.fma} is {@code Math.fma} per lane), so its bits do not
     * depend on {@code n} or on where the key sits. Four blocks of keys at once keep four FMA chains going.
     */
    public static void dotsTransposed(float[] q, int dims, float[] kT, int off, int stride, int n, float[] scores) {
        final int l = F.length();
        int t = 0;
        for (; t + 4 * l <= n; t += 4 * l) {
            var a0 = FloatVector.zero(F);
            var a1 = FloatVector.zero(F);
            var a2 = FloatVector.zero(F);
            var a3 = FloatVector.zero(F);
            for (int d = 0; d < dims; d++) {
                var qd = FloatVector.broadcast(F, q[d]);
                int k = off + d * stride + t;
                a0 = qd.fma(FloatVector.fromArray(F, kT, k), a0);
                a1 = qd.fma(FloatVector.fromArray(F, kT, k + l), a1);
                a2 = qd.fma(FloatVector.fromArray(F, kT, k + 2 * l), a2);
                a3 = qd.fma(FloatVector.fromArray(F, kT, k + 3 * l), a3);
            }
            a0.intoArray(scores, t);
            a1.intoArray(scores, t + l);
            a2.intoArray(scores, t + 2 * l);
            a3.intoArray(scores, t + 3 * l);
        }
        for (; t + l <= n; t += l) {
            var a0 = FloatVector.zero(F);
            for (int d = 0; d < dims; d++) a0 = FloatVector.broadcast(F, q[d]).fma(FloatVector.fromArray(F, kT, off + d * stride + t), a0);
            a0.intoArray(scores, t);
        }
        for (; t < n; t++) {
            float acc = 0f;
            for (int d = 0; d < dims; d++) acc = Math.fma(q[d], kT[off + d * stride + t], acc);
            scores[t] = acc;
        }
    }

    /**
     * {@link #dotsTransposed} for two queries against the same keys (two query heads of one KV head): query 0 at
     * {@code q[0, dims)} into {@code scores[0, n)}, query 1 at {@code q[dims, 2 dims)} into {@code scores[s1, s1 + n)}.
     * Each block of keys is loaded once for both, which halves the loads per multiply-add (attention over a long
     * prompt reads the keys from L2); every score is the same chain as in {@code dotsTransposed}, bit for bit.
     */
    public static void dotsTransposed2(float[] q, int dims, float[] kT, int off, int stride, int n, float[] scores, int s1) {
        final int l = F.length();
        int t = 0;
        for (; t + 4 * l <= n; t += 4 * l) {
            var a0 = FloatVector.zero(F); var a1 = a0; var a2 = a0; var a3 = a0;
            var b0 = a0; var b1 = a0; var b2 = a0; var b3 = a0;
            for (int d = 0; d < dims; d++) {
                var qa = FloatVector.broadcast(F, q[d]);
                var qb = FloatVector.broadcast(F, q[dims + d]);
                int k = off + d * stride + t;
                var k0 = FloatVector.fromArray(F, kT, k);
                var k1 = FloatVector.fromArray(F, kT, k + l);
                var k2 = FloatVector.fromArray(F, kT, k + 2 * l);
                var k3 = FloatVector.fromArray(F, kT, k + 3 * l);
                a0 = qa.fma(k0, a0); a1 = qa.fma(k1, a1); a2 = qa.fma(k2, a2); a3 = qa.fma(k3, a3);
                b0 = qb.fma(k0, b0); b1 = qb.fma(k1, b1); b2 = qb.fma(k2, b2); b3 = qb.fma(k3, b3);
            }
            a0.intoArray(scores, t); a1.intoArray(scores, t + l); a2.intoArray(scores, t + 2 * l); a3.intoArray(scores, t + 3 * l);
            b0.intoArray(scores, s1 + t); b1.intoArray(scores, s1 + t + l); b2.intoArray(scores, s1 + t + 2 * l); b3.intoArray(scores, s1 + t + 3 * l);
        }
        for (; t + l <= n; t += l) {
            var a0 = FloatVector.zero(F);
            var b0 = a0;
            for (int d = 0; d < dims; d++) {
                var k0 = FloatVector.fromArray(F, kT, off + d * stride + t);
                a0 = FloatVector.broadcast(F, q[d]).fma(k0, a0);
                b0 = FloatVector.broadcast(F, q[dims + d]).fma(k0, b0);
            }
            a0.intoArray(scores, t);
            b0.intoArray(scores, s1 + t);
        }
        for (; t < n; t++) {
            float a = 0f, b = 0f;
            for (int d = 0; d < dims; d++) {
                float k = kT[off + d * stride + t];
                a = Math.fma(q[d], k, a);
                b = Math.fma(q[dims + d], k, b);
            }
            scores[t] = a;
            scores[s1 + t] = b;
        }
    }

    /**
     * {@link #dotsTransposed} for four queries against the same keys (four query heads of one KV head): query j at
     * {@code q[j * dims, (j + 1) * dims)} into {@code scores[j * ss, j * ss + n)}. Each pair of key vectors is loaded
     * once for the four; every score is the same chain as in {@code dotsTransposed}, bit for bit.
     */
    public static void dotsTransposed4(float[] q, int dims, float[] kT, int off, int stride, int n, float[] scores, int ss) {
        final int l = F.length(), q1 = dims, q2 = 2 * dims, q3 = 3 * dims;
        int t = 0;
        for (; t + 2 * l <= n; t += 2 * l) {
            var a0 = FloatVector.zero(F); var a1 = a0; var b0 = a0; var b1 = a0;
            var c0 = a0; var c1 = a0; var d0 = a0; var d1 = a0;
            for (int d = 0; d < dims; d++) {
                int k = off + d * stride + t;
                var k0 = FloatVector.fromArray(F, kT, k);
                var k1 = FloatVector.fromArray(F, kT, k + l);
                var qa = FloatVector.broadcast(F, q[d]);
                a0 = qa.fma(k0, a0); a1 = qa.fma(k1, a1);
                var qb = FloatVector.broadcast(F, q[q1 + d]);
                b0 = qb.fma(k0, b0); b1 = qb.fma(k1, b1);
                var qc = FloatVector.broadcast(F, q[q2 + d]);
                c0 = qc.fma(k0, c0); c1 = qc.fma(k1, c1);
                var qd = FloatVector.broadcast(F, q[q3 + d]);
                d0 = qd.fma(k0, d0); d1 = qd.fma(k1, d1);
            }
            a0.intoArray(scores, t); a1.intoArray(scores, t + l);
            b0.intoArray(scores, ss + t); b1.intoArray(scores, ss + t + l);
            c0.intoArray(scores, 2 * ss + t); c1.intoArray(scores, 2 * ss + t + l);
            d0.intoArray(scores, 3 * ss + t); d1.intoArray(scores, 3 * ss + t + l);
        }
        for (; t + l <= n; t += l) {
            var a0 = FloatVector.zero(F); var b0 = a0; var c0 = a0; var d0 = a0;
            for (int d = 0; d < dims; d++) {
                var k0 = FloatVector.fromArray(F, kT, off + d * stride + t);
                a0 = FloatVector.broadcast(F, q[d]).fma(k0, a0);
                b0 = FloatVector.broadcast(F, q[q1 + d]).fma(k0, b0);
                c0 = FloatVector.broadcast(F, q[q2 + d]).fma(k0, c0);
                d0 = FloatVector.broadcast(F, q[q3 + d]).fma(k0, d0);
            }
            a0.intoArray(scores, t); b0.intoArray(scores, ss + t); c0.intoArray(scores, 2 * ss + t); d0.intoArray(scores, 3 * ss + t);
        }
        for (; t < n; t++) {
            float a = 0f, b = 0f, c = 0f, e = 0f;
            for (int d = 0; d < dims; d++) {
                float k = kT[off + d * stride + t];
                a = Math.fma(q[d], k, a);
                b = Math.fma(q[q1 + d], k, b);
                c = Math.fma(q[q2 + d], k, c);
                e = Math.fma(q[q3 + d], k, e);
            }
            scores[t] = a; scores[ss + t] = b; scores[2 * ss + t] = c; scores[3 * ss + t] = e;
        }
    }

    /**
     * {@code out[oo + e] = sum_{t < n} s[t] * v[vo + t * hd + e]} for {@code e < hd}: attention's weighted sum
     * of value rows, each output summed over the rows in order (fused multiply-adds on the vector part, multiply
     * then add on the scalar tail), with up to four vector accumulators held in registers over all rows. With
     * {@code add}, each sum starts from {@code out}'s value instead of 0: rows given in runs, each run added to
     * the last, give the bits of one call over all of them.
     */
    public static void weightedSum(float[] s, int n, float[] v, int vo, int hd, float[] out, int oo, boolean add) {
        final int lanes = F.length(), bound = F.loopBound(hd);
        int e = 0;
        for (; e + 4 * lanes <= bound; e += 4 * lanes) {
            var a0 = start(add, out, oo + e);
            var a1 = start(add, out, oo + e + lanes);
            var a2 = start(add, out, oo + e + 2 * lanes);
            var a3 = start(add, out, oo + e + 3 * lanes);
            for (int t = 0; t < n; t++) {
                var st = FloatVector.broadcast(F, s[t]);
                int o = vo + t * hd + e;
                a0 = FloatVector.fromArray(F, v, o).fma(st, a0);
                a1 = FloatVector.fromArray(F, v, o + lanes).fma(st, a1);
                a2 = FloatVector.fromArray(F, v, o + 2 * lanes).fma(st, a2);
                a3 = FloatVector.fromArray(F, v, o + 3 * lanes).fma(st, a3);
            }
            a0.intoArray(out, oo + e);
            a1.intoArray(out, oo + e + lanes);
            a2.intoArray(out, oo + e + 2 * lanes);
            a3.intoArray(out, oo + e + 3 * lanes);
        }
        for (; e < bound; e += lanes) {
            var a0 = start(add, out, oo + e);
            for (int t = 0; t < n; t++) a0 = FloatVector.fromArray(F, v, vo + t * hd + e).fma(FloatVector.broadcast(F, s[t]), a0);
            a0.intoArray(out, oo + e);
        }
        for (; e < hd; e++) {
            float y = add ? out[oo + e] : 0f;
            for (int t = 0; t < n; t++) y += s[t] * v[vo + t * hd + e];
            out[oo + e] = y;
        }
    }

    /**
     * {@link #weightedSum} for two weight vectors over the same value rows (two query heads of one KV head):
     * {@code s[0, n)} into {@code out[o0, o0 + hd)} and {@code s[s1, s1 + n)} into {@code out[o1, o1 + hd)}. Each
     * value vector is loaded once for both; every output is the same sequence of operations as in
     * {@code weightedSum}, bit for bit.
     */
    public static void weightedSum2(float[] s, int s1, int n, float[] v, int vo, int hd, float[] out, int o0, int o1, boolean add) {
        final int lanes = F.length(), bound = F.loopBound(hd);
        int e = 0;
        for (; e + 4 * lanes <= bound; e += 4 * lanes) {
            var a0 = start(add, out, o0 + e); var a1 = start(add, out, o0 + e + lanes);
            var a2 = start(add, out, o0 + e + 2 * lanes); var a3 = start(add, out, o0 + e + 3 * lanes);
            var b0 = start(add, out, o1 + e); var b1 = start(add, out, o1 + e + lanes);
            var b2 = start(add, out, o1 + e + 2 * lanes); var b3 = start(add, out, o1 + e + 3 * lanes);
            for (int t = 0; t < n; t++) {
                var sa = FloatVector.broadcast(F, s[t]);
                var sb = FloatVector.broadcast(F, s[s1 + t]);
                int o = vo + t * hd + e;
                var v0 = FloatVector.fromArray(F, v, o);
                var v1 = FloatVector.fromArray(F, v, o + lanes);
                var v2 = FloatVector.fromArray(F, v, o + 2 * lanes);
                var v3 = FloatVector.fromArray(F, v, o + 3 * lanes);
                a0 = v0.fma(sa, a0); a1 = v1.fma(sa, a1); a2 = v2.fma(sa, a2); a3 = v3.fma(sa, a3);
                b0 = v0.fma(sb, b0); b1 = v1.fma(sb, b1); b2 = v2.fma(sb, b2); b3 = v3.fma(sb, b3);
            }
            a0.intoArray(out, o0 + e); a1.intoArray(out, o0 + e + lanes); a2.intoArray(out, o0 + e + 2 * lanes); a3.intoArray(out, o0 + e + 3 * lanes);
            b0.intoArray(out, o1 + e); b1.intoArray(out, o1 + e + lanes); b2.intoArray(out, o1 + e + 2 * lanes); b3.intoArray(out, o1 + e + 3 * lanes);
        }
        for (; e < bound; e += lanes) {
            var a0 = start(add, out, o0 + e);
            var b0 = start(add, out, o1 + e);
            for (int t = 0; t < n; t++) {
                var v0 = FloatVector.fromArray(F, v, vo + t * hd + e);
                a0 = v0.fma(FloatVector.broadcast(F, s[t]), a0);
                b0 = v0.fma(FloatVector.broadcast(F, s[s1 + t]), b0);
            }
            a0.intoArray(out, o0 + e);
            b0.intoArray(out, o1 + e);
        }
        for (; e < hd; e++) {
            float a = add ? out[o0 + e] : 0f, b = add ? out[o1 + e] : 0f;
            for (int t = 0; t < n; t++) {
                float x = v[vo + t * hd + e];
                a += s[t] * x;
                b += s[s1 + t] * x;
            }
            out[o0 + e] = a;
            out[o1 + e] = b;
        }
    }

    /**
     * {@link #weightedSum} for four weight vectors over the same value rows (four query heads of one KV head): weights
     * j at {@code s[j * ss, j * ss + n)} into {@code out[oo + j * hd, oo + (j + 1) * hd)}. Each pair of value vectors
     * is loaded once for the four; every output is the same sequence of operations as in {@code weightedSum}.
     */
    public static void weightedSum4(float[] s, int ss, int n, float[] v, int vo, int hd, float[] out, int oo, boolean add) {
        final int lanes = F.length(), bound = F.loopBound(hd), o1 = oo + hd, o2 = oo + 2 * hd, o3 = oo + 3 * hd;
        int e = 0;
        for (; e + 2 * lanes <= bound; e += 2 * lanes) {
            var a0 = start(add, out, oo + e); var a1 = start(add, out, oo + e + lanes);
            var b0 = start(add, out, o1 + e); var b1 = start(add, out, o1 + e + lanes);
            var c0 = start(add, out, o2 + e); var c1 = start(add, out, o2 + e + lanes);
            var d0 = start(add, out, o3 + e); var d1 = start(add, out, o3 + e + lanes);
            for (int t = 0; t < n; t++) {
                int o = vo + t * hd + e;
                var v0 = FloatVector.fromArray(F, v, o);
                var v1 = FloatVector.fromArray(F, v, o + lanes);
                var sa = FloatVector.broadcast(F, s[t]);
                a0 = v0.fma(sa, a0); a1 = v1.fma(sa, a1);
                var sb = FloatVector.broadcast(F, s[ss + t]);
                b0 = v0.fma(sb, b0); b1 = v1.fma(sb, b1);
                var sc = FloatVector.broadcast(F, s[2 * ss + t]);
                c0 = v0.fma(sc, c0); c1 = v1.fma(sc, c1);
                var sd = FloatVector.broadcast(F, s[3 * ss + t]);
                d0 = v0.fma(sd, d0); d1 = v1.fma(sd, d1);
            }
            a0.intoArray(out, oo + e); a1.intoArray(out, oo + e + lanes);
            b0.intoArray(out, o1 + e); b1.intoArray(out, o1 + e + lanes);
            c0.intoArray(out, o2 + e); c1.intoArray(out, o2 + e + lanes);
            d0.intoArray(out, o3 + e); d1.intoArray(out, o3 + e + lanes);
        }
        for (; e < bound; e += lanes) {
            var a0 = start(add, out, oo + e); var b0 = start(add, out, o1 + e);
            var c0 = start(add, out, o2 + e); var d0 = start(add, out, o3 + e);
            for (int t = 0; t < n; t++) {
                var v0 = FloatVector.fromArray(F, v, vo + t * hd + e);
                a0 = v0.fma(FloatVector.broadcast(F, s[t]), a0);
                b0 = v0.fma(FloatVector.broadcast(F, s[ss + t]), b0);
                c0 = v0.fma(FloatVector.broadcast(F, s[2 * ss + t]), c0);
                d0 = v0.fma(FloatVector.broadcast(F, s[3 * ss + t]), d0);
            }
            a0.intoArray(out, oo + e); b0.intoArray(out, o1 + e); c0.intoArray(out, o2 + e); d0.intoArray(out, o3 + e);
        }
        for (; e < hd; e++) {
            float a = add ? out[oo + e] : 0f, b = add ? out[o1 + e] : 0f, c = add ? out[o2 + e] : 0f, d = add ? out[o3 + e] : 0f;
            for (int t = 0; t < n; t++) {
                float x = v[vo + t * hd + e];
                a += s[t] * x;
                b += s[ss + t] * x;
                c += s[2 * ss + t] * x;
                d += s[3 * ss + t] * x;
            }
            out[oo + e] = a; out[o1 + e] = b; out[o2 + e] = c; out[o3 + e] = d;
        }
    }

    /** An accumulator's start: {@code out[at, at + lanes)} where a sum continues ({@code add}), else zero. */
    private static FloatVector start(boolean add, float[] out, int at) {
        return add ? FloatVector.fromArray(F, out, at) : FloatVector.zero(F);
    }

    /** {@code out = x / sqrt(mean(x^2) + eps) * w} over one row of n values. */
    public static void rmsNorm(float[] out, int oo, float[] x, int xo, float[] w, int n, float eps) {
        // As llama.cpp: float squares summed in double, float mean and scale (bit-for-bit the same
        // scale, so the 8-bit activation roundings after the norm are the same as its own).
        double ss = 0;
        for (int i = 0; i < n; i++) ss += x[xo + i] * x[xo + i];
        float mean = (float) (ss / n);
        float scale = 1f / (float) Math.sqrt(mean + eps);
        for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] * scale * w[i];
    }

    /**
     * In-place softmax of {@code x[o .. o+n)}. Every element goes through the same vector {@link #exp} (the
     * tail under a mask), so its result does not depend on where it sits or on {@code n}; the sum is of
     * per-lane float sums, reduced in double (llama.cpp, too, sums in double). A scalar {@code Math.exp} per
     * score was a seventh of a 512-token prompt's time on a small model.
     */
    public static void softmax(float[] x, int o, int n) {
        final int l = F.length();
        var vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i += l) {
            var m = F.indexInRange(i, n);
            vmax = vmax.lanewise(VectorOperators.MAX, FloatVector.fromArray(F, x, o + i, m), m);
        }
        var max = FloatVector.broadcast(F, vmax.reduceLanes(VectorOperators.MAX));
        var vsum = FloatVector.zero(F);
        for (int i = 0; i < n; i += l) {
            var m = F.indexInRange(i, n);
            var e = exp(FloatVector.fromArray(F, x, o + i, m).sub(max));
            e.intoArray(x, o + i, m);
            vsum = vsum.add(e, m);
        }
        double sum = 0;
        for (int j = 0; j < l; j++) sum += vsum.lane(j);
        var inv = FloatVector.broadcast(F, (float) (1.0 / sum));
        for (int i = 0; i < n; i += l) {
            var m = F.indexInRange(i, n);
            FloatVector.fromArray(F, x, o + i, m).mul(inv).intoArray(x, o + i, m);
        }
    }

    private static final float LOG2E = 1.44269504088896341f, ROUND = 12582912f;   // 1.5 * 2^23: adding and subtracting it rounds to an integer
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;   // ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n * LN2_HI is exact
    private static final float EXP_MIN = -87.33654f, EXP_MAX = 88.37626f;         // e^x below: not a normal float (0); above: clamped

    /**
     * {@code e^x} lane by lane, the same bits in the interpreter and in compiled code. {@code lanewise(EXP)} is the
     * SVML exp once C2 has compiled the caller and {@code Math.exp} per lane before, and the two differ in the last
     * bit for about one input in a hundred: a model's logits then depended on how far the JIT had got (found as a
     * batch-invariance test that failed after an unrelated test warmed the code up). Only IEEE operations here:
     * {@code x = n ln2 + r} with {@code |r| <= ln2 / 2} (ln 2 in two parts, so {@code r} is nearly exact), {@code e^r
     * = 1 + r + r^2 P(r)} with the degree-5 minimax {@code P} of Cephes' {@code expf} (relative error about 1e-7,
     * within 2 ulp of {@code Math.exp}: {@code VectorOpsTest}), times {@code 2^n} made from exponent bits. Below
     * {@link #EXP_MIN} the result is 0, above {@link #EXP_MAX} (2.4e38, 2^127.5) it is {@code e^EXP_MAX}; NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        var c = x.max(EXP_MIN).min(EXP_MAX);
        var n = c.mul(LOG2E).add(ROUND).sub(ROUND);
        var r = n.fma(x.broadcast(-LN2_LO), n.fma(x.broadcast(-LN2_HI), c));
        var p = r.fma(1.9875691500e-4f, 1.3981999507e-3f).fma(r, x.broadcast(8.3334519073e-3f))
                .fma(r, x.broadcast(4.1665795894e-2f)).fma(r, x.broadcast(1.6666665459e-1f))
                .fma(r, x.broadcast(5.0000001201e-1f)).fma(r.mul(r), r).add(1f);
        var scale = ((IntVector) n.convertShape(VectorOperators.F2I, I, 0)).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(scale).blend(0f, x.lt(EXP_MIN));
    }

    /** SwiGLU: {@code gate[i] = silu(gate[i]) * up[i]}, {@code silu(g) = g / (1 + exp(-g))}, one vector {@code exp} per lane. */
    public static void swiglu(float[] gate, float[] up, int n) {
        swiglu(gate, up, 0, n);
    }

    /** {@link #swiglu(float[], float[], int)} over {@code [from, to)} only; every element's bits as in a call over all. */
    public static void swiglu(float[] gate, float[] up, int from, int to) {
        final int l = F.length();
        for (int i = from; i < to; i += l) {
            var m = F.indexInRange(i, to);
            var g = FloatVector.fromArray(F, gate, i, m);
            g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(F, up, i, m)).intoArray(gate, i, m);
        }
    }
}
