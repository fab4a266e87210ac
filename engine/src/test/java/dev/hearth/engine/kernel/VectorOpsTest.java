package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorOpsTest {
    /**
     * Attention scores against transposed keys: close to the exact dot, and each score bit-identical
     * whatever the number of keys (a key in a 4-vector block, a single vector or the scalar tail).
     */
    @Test
    void transposedDotsMatchTheExactDotAndDoNotDependOnTheKeyCount() {
        var rnd = new Random(11);
        int dims = 64, maxKeys = 203, stride = 256;   // 203: blocks of 4 vectors, single vectors and a scalar tail
        float[] q = new float[dims], kT = new float[dims * stride];
        for (int d = 0; d < dims; d++) q[d] = (float) rnd.nextGaussian();
        for (int i = 0; i < kT.length; i++) kT[i] = (float) rnd.nextGaussian();

        float[] all = new float[maxKeys];
        VectorOps.dotsTransposed(q, dims, kT, 0, stride, maxKeys, all);
        for (int t = 0; t < maxKeys; t++) {
            double exact = 0, magnitude = 0;
            for (int d = 0; d < dims; d++) {
                exact += (double) q[d] * kT[d * stride + t];
                magnitude += Math.abs((double) q[d] * kT[d * stride + t]);
            }
            assertThat((double) all[t]).as("score %d", t).isCloseTo(exact, within(1e-5 * magnitude));
        }
        for (int n : new int[] {1, 5, 16, 17, 63, 64, 65, 130}) {
            float[] some = new float[n];
            VectorOps.dotsTransposed(q, dims, kT, 0, stride, n, some);
            for (int t = 0; t < n; t++) assertThat(some[t]).as("score %d of %d keys", t, n).isEqualTo(all[t]);
        }
    }

    /** The weighted sum of value rows: exactly the per-output sequence of FMAs (vector part) or multiply-adds (tail). */
    @Test
    void weightedSumIsEachOutputsSequentialSum() {
        var rnd = new Random(5);
        int lanes = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length();
        for (int hd : new int[] {64, 80, 128, 37, 5}) {
            int n = 77;
            float[] s = new float[n], v = new float[3 + n * hd], out = new float[hd + 2];
            for (int t = 0; t < n; t++) s[t] = rnd.nextFloat();
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            VectorOps.weightedSum(s, n, v, 3, hd, out, 2, false);
            int vectorPart = hd - hd % lanes;
            for (int e = 0; e < hd; e++) {
                float y = 0f;
                for (int t = 0; t < n; t++) y = e < vectorPart ? Math.fma(v[3 + t * hd + e], s[t], y) : y + s[t] * v[3 + t * hd + e];
                assertThat(out[2 + e]).as("hd %d, output %d", hd, e).isEqualTo(y);
            }
        }
    }

    /** {@code n} standard normal floats, drawn in order. */
    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    /** Two query heads at once give each head's scores and weighted sums bit for bit as one head at a time. */
    @Test
    void pairedHeadsMatchSingleHeadsBitForBit() {
        var rnd = new Random(17);
        for (int dims : new int[] {64, 80, 128, 37, 5}) {
            int stride = 211;
            float[] q = gaussian(rnd, 2 * dims), kT = gaussian(rnd, 3 + dims * stride);
            for (int n : new int[] {1, 7, 16, 17, 64, 65, 130, 203}) {
                float[] pair = new float[2 * stride + 5], one = new float[n], two = new float[n];
                VectorOps.dotsTransposed2(q, dims, kT, 3, stride, n, pair, stride + 5);
                VectorOps.dotsTransposed(q, dims, kT, 3, stride, n, one);
                VectorOps.dotsTransposed(java.util.Arrays.copyOfRange(q, dims, 2 * dims), dims, kT, 3, stride, n, two);
                for (int t = 0; t < n; t++) {
                    assertThat(pair[t]).as("dims %d, %d keys, head 0 score %d", dims, n, t).isEqualTo(one[t]);
                    assertThat(pair[stride + 5 + t]).as("dims %d, %d keys, head 1 score %d", dims, n, t).isEqualTo(two[t]);
                }

                int hd = dims;
                float[] s = new float[2 * n + 3];
                for (int i = 0; i < s.length; i++) s[i] = rnd.nextFloat();
                float[] v = gaussian(rnd, 2 + n * hd);
                float[] out = new float[3 * hd + 4], a = new float[hd], b = new float[hd];
                VectorOps.weightedSum2(s, n + 3, n, v, 2, hd, out, 1, 2 * hd + 3, false);
                VectorOps.weightedSum(s, n, v, 2, hd, a, 0, false);
                VectorOps.weightedSum(java.util.Arrays.copyOfRange(s, n + 3, 2 * n + 3), n, v, 2, hd, b, 0, false);
                for (int e = 0; e < hd; e++) {
                    assertThat(out[1 + e]).as("hd %d, %d rows, head 0 output %d", hd, n, e).isEqualTo(a[e]);
                    assertThat(out[2 * hd + 3 + e]).as("hd %d, %d rows, head 1 output %d", hd, n, e).isEqualTo(b[e]);
                }
            }
        }
    }

    /** Four query heads at once give each head's scores and weighted sums bit for bit as one head at a time. */
    @Test
    void fourHeadsMatchSingleHeadsBitForBit() {
        var rnd = new Random(29);
        for (int dims : new int[] {64, 80, 128, 37, 5}) {
            int stride = 211;
            float[] q = gaussian(rnd, 4 * dims), kT = gaussian(rnd, 3 + dims * stride);
            for (int n : new int[] {1, 7, 16, 17, 32, 33, 64, 130, 203}) {
                int ss = stride + 5;
                float[] four = new float[4 * ss], one = new float[n];
                VectorOps.dotsTransposed4(q, dims, kT, 3, stride, n, four, ss);
                float[] s = new float[4 * ss];
                for (int j = 0; j < 4; j++) {
                    VectorOps.dotsTransposed(java.util.Arrays.copyOfRange(q, j * dims, (j + 1) * dims), dims, kT, 3, stride, n, one);
                    for (int t = 0; t < n; t++) assertThat(four[j * ss + t]).as("dims %d, %d keys, head %d score %d", dims, n, j, t).isEqualTo(one[t]);
                }

                int hd = dims;
                for (int i = 0; i < s.length; i++) s[i] = rnd.nextFloat();
                float[] v = gaussian(rnd, 2 + n * dims);
                float[] out = new float[4 * hd + 1], single = new float[hd];
                VectorOps.weightedSum4(s, ss, n, v, 2, hd, out, 1, false);
                for (int j = 0; j < 4; j++) {
                    VectorOps.weightedSum(java.util.Arrays.copyOfRange(s, j * ss, j * ss + n), n, v, 2, hd, single, 0, false);
                    for (int e = 0; e < hd; e++) assertThat(out[1 + j * hd + e]).as("hd %d, %d rows, head %d output %d", hd, n, j, e).isEqualTo(single[e]);
                }
            }
        }
    }

    /**
     * Weighted sums over value rows given in runs, each run added to the last ({@code add}), give the bits of one
     * call over all the rows: one, two and four heads, runs of every length around the vector width.
     */
    @Test
    void weightedSumsInRunsMatchOneCallBitForBit() {
        var rnd = new Random(31);
        for (int hd : new int[] {64, 80, 37}) {
            int n = 203, ss = n + 4;
            float[] s = new float[4 * ss];
            for (int i = 0; i < s.length; i++) s[i] = rnd.nextFloat();
            float[] v = gaussian(rnd, 2 + n * hd);
            float[][] whole = new float[3][4 * hd + 1];
            VectorOps.weightedSum(s, n, v, 2, hd, whole[0], 1, false);
            VectorOps.weightedSum2(s, ss, n, v, 2, hd, whole[1], 1, 1 + hd, false);
            VectorOps.weightedSum4(s, ss, n, v, 2, hd, whole[2], 1, false);
            for (int run : new int[] {1, 15, 16, 17, 64, 128}) {
                float[][] runs = new float[3][4 * hd + 1];
                for (int t0 = 0; t0 < n; t0 += run) {
                    int m = Math.min(run, n - t0);
                    float[] part = new float[4 * m];
                    for (int j = 0; j < 4; j++) System.arraycopy(s, j * ss + t0, part, j * m, m);
                    int vo = 2 + t0 * hd;
                    VectorOps.weightedSum(part, m, v, vo, hd, runs[0], 1, t0 > 0);
                    VectorOps.weightedSum2(part, m, m, v, vo, hd, runs[1], 1, 1 + hd, t0 > 0);
                    VectorOps.weightedSum4(part, m, m, v, vo, hd, runs[2], 1, t0 > 0);
                }
                for (int k = 0; k < 3; k++) assertThat(runs[k]).as("hd %d, runs of %d, kind %d", hd, run, k).containsExactly(whole[k]);
            }
        }
    }

    /**
     * The vector exp is IEEE arithmetic only, so it gives the bits of the same formula evaluated one float at a time
     * (what the interpreter does too: no dependence on the JIT), within 2 ulp of {@code Math.exp} wherever the
     * result is a normal float, 0 below that, NaN for NaN.
     */
    @Test
    void expIsTheSameFormulaInEveryModeAndWithinTwoUlp() {
        var rnd = new Random(37);
        var f = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        float[] x = new float[1 << 16];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 190 - 100);
        float[] special = {0f, -0f, 1f, -1f, 1e-30f, -1e-30f, 0.34657f, -0.34657f, -87.33654f, -87.34f, -104f, 88.37626f, 88.5f, 89f,
                Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
        System.arraycopy(special, 0, x, 0, special.length);
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += f.length()) VectorOps.exp(jdk.incubator.vector.FloatVector.fromArray(f, x, i)).intoArray(y, i);
        int worst = 0;
        for (int i = 0; i < x.length; i++) {
            assertThat(Float.floatToIntBits(y[i])).as("exp(%s)", x[i]).isEqualTo(Float.floatToIntBits(expOneAtATime(x[i])));
            if (Float.isNaN(x[i])) assertThat(y[i]).isNaN();
            else if (x[i] < -87.33654f) assertThat(y[i]).as("exp(%s)", x[i]).isZero();
            else if (x[i] <= 88.37626f) {
                float exact = (float) Math.exp(x[i]);
                int ulps = Math.abs(Float.floatToIntBits(y[i]) - Float.floatToIntBits(exact));
                worst = Math.max(worst, ulps);
            } else assertThat(y[i]).isEqualTo(expOneAtATime(88.37626f)).isFinite();
        }
        assertThat(worst).as("largest error in ulp").isLessThanOrEqualTo(2);
    }

    /** {@link VectorOps#exp}'s operations on one float, in the same order. */
    private static float expOneAtATime(float x) {
        float c = Math.min(Math.max(x, -87.33654f), 88.37626f);
        float n = c * 1.44269504088896341f + 12582912f - 12582912f;
        float r = Math.fma(n, 2.12194440e-4f, Math.fma(n, -0.693359375f, c));
        float p = Math.fma(r, 1.9875691500e-4f, 1.3981999507e-3f);
        p = Math.fma(p, r, 8.3334519073e-3f);
        p = Math.fma(p, r, 4.1665795894e-2f);
        p = Math.fma(p, r, 1.6666665459e-1f);
        p = Math.fma(p, r, 5.0000001201e-1f);
        p = Math.fma(p, r * r, r) + 1f;
        return x < -87.33654f ? 0f : p * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /** Softmax on vectors with a masked tail: close to the exact one in double, for lengths around the vector width. */
    @Test
    void softmaxMatchesTheExactOneAtEveryLength() {
        var rnd = new Random(3);
        for (int n : new int[] {1, 2, 15, 16, 17, 33, 100, 513}) {
            float[] x = new float[n + 4];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 4);
            float[] y = x.clone();
            VectorOps.softmax(y, 2, n);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < n; i++) max = Math.max(max, x[2 + i]);
            for (int i = 0; i < n; i++) sum += Math.exp(x[2 + i] - max);
            for (int i = 0; i < n; i++) {
                double p = Math.exp(x[2 + i] - max) / sum;
                assertThat((double) y[2 + i]).as("n %d, element %d", n, i).isCloseTo(p, within(1e-6 * p + 1e-12));
            }
            // outside [o, o + n) nothing is touched
            assertThat(y[0]).isEqualTo(x[0]);
            assertThat(y[1]).isEqualTo(x[1]);
            assertThat(y[n + 2]).isEqualTo(x[n + 2]);
        }
    }

    @Test
    void swigluMatchesItsDefinition() {
        var rnd = new Random(4);
        for (int n : new int[] {1, 16, 37, 768}) {
            float[] gate = new float[n + 3], up = new float[n + 3];
            for (int i = 0; i < gate.length; i++) {
                gate[i] = (float) (rnd.nextGaussian() * 5);
                up[i] = (float) rnd.nextGaussian();
            }
            float[] g = gate.clone();
            VectorOps.swiglu(g, up, n);
            for (int i = 0; i < n; i++) {
                double exact = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                assertThat((double) g[i]).as("n %d, element %d", n, i).isCloseTo(exact, within(1e-6 * Math.abs(exact) + 1e-30));
            }
            assertThat(g[n]).isEqualTo(gate[n]);
        }
    }
}
