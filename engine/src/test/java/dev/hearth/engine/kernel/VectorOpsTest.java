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
            VectorOps.weightedSum(s, n, v, 3, hd, out, 2);
            int vectorPart = hd - hd % lanes;
            for (int e = 0; e < hd; e++) {
                float y = 0f;
                for (int t = 0; t < n; t++) y = e < vectorPart ? Math.fma(v[3 + t * hd + e], s[t], y) : y + s[t] * v[3 + t * hd + e];
                assertThat(out[2 + e]).as("hd %d, output %d", hd, e).isEqualTo(y);
            }
        }
    }
}
