package dev.hearth.engine.kernel;

import static dev.hearth.engine.kernel.Dot.F;
import static dev.hearth.engine.kernel.Dot.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Register-tiled float products of decoded weight rows with a batch of activation rows:
 * {@code out[b * rows + r] = dot(w[r], x[b])}. A 2 x 4 tile keeps 8 accumulators and loads 2 weight
 * and 4 activation vectors per 8 fused multiply-adds, so it is bound by FMA throughput, not loads;
 * each weight vector is read once per 4 activation rows.
 */
final class Tiles {
    private Tiles() {}

    /** Weight rows {@code r, r+1} (decoded in {@code w[0..cols)} and {@code w[cols..2cols)}) times all activation rows. */
    static void rows2(float[] w, int cols, float[] x, int batch, float[] out, int rows, int r) {
        int b = 0;
        for (; b + 4 <= batch; b += 4) {
            var a00 = FloatVector.zero(F); var a01 = FloatVector.zero(F); var a02 = FloatVector.zero(F); var a03 = FloatVector.zero(F);
            var a10 = FloatVector.zero(F); var a11 = FloatVector.zero(F); var a12 = FloatVector.zero(F); var a13 = FloatVector.zero(F);
            int x0 = b * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
            int i = 0;
            for (; i <= cols - L; i += L) {
                var w0 = FloatVector.fromArray(F, w, i);
                var w1 = FloatVector.fromArray(F, w, cols + i);
                var v = FloatVector.fromArray(F, x, x0 + i);
                a00 = w0.fma(v, a00);
                a10 = w1.fma(v, a10);
                v = FloatVector.fromArray(F, x, x1 + i);
                a01 = w0.fma(v, a01);
                a11 = w1.fma(v, a11);
                v = FloatVector.fromArray(F, x, x2 + i);
                a02 = w0.fma(v, a02);
                a12 = w1.fma(v, a12);
                v = FloatVector.fromArray(F, x, x3 + i);
                a03 = w0.fma(v, a03);
                a13 = w1.fma(v, a13);
            }
            float s00 = a00.reduceLanes(VectorOperators.ADD), s01 = a01.reduceLanes(VectorOperators.ADD);
            float s02 = a02.reduceLanes(VectorOperators.ADD), s03 = a03.reduceLanes(VectorOperators.ADD);
            float s10 = a10.reduceLanes(VectorOperators.ADD), s11 = a11.reduceLanes(VectorOperators.ADD);
            float s12 = a12.reduceLanes(VectorOperators.ADD), s13 = a13.reduceLanes(VectorOperators.ADD);
            for (; i < cols; i++) {
                float w0 = w[i], w1 = w[cols + i];
                s00 += w0 * x[x0 + i]; s01 += w0 * x[x1 + i]; s02 += w0 * x[x2 + i]; s03 += w0 * x[x3 + i];
                s10 += w1 * x[x0 + i]; s11 += w1 * x[x1 + i]; s12 += w1 * x[x2 + i]; s13 += w1 * x[x3 + i];
            }
            out[b * rows + r] = s00; out[(b + 1) * rows + r] = s01; out[(b + 2) * rows + r] = s02; out[(b + 3) * rows + r] = s03;
            out[b * rows + r + 1] = s10; out[(b + 1) * rows + r + 1] = s11; out[(b + 2) * rows + r + 1] = s12; out[(b + 3) * rows + r + 1] = s13;
        }
        for (; b < batch; b++) {
            out[b * rows + r] = Dot.dot(w, 0, x, b * cols, cols);
            out[b * rows + r + 1] = Dot.dot(w, cols, x, b * cols, cols);
        }
    }

    /** One weight row (decoded in {@code w[0..cols)}) times all activation rows, 4 at a time. */
    static void rows1(float[] w, int cols, float[] x, int batch, float[] out, int rows, int r) {
        int b = 0;
        for (; b + 4 <= batch; b += 4) {
            var a0 = FloatVector.zero(F); var a1 = FloatVector.zero(F); var a2 = FloatVector.zero(F); var a3 = FloatVector.zero(F);
            int x0 = b * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
            int i = 0;
            for (; i <= cols - L; i += L) {
                var w0 = FloatVector.fromArray(F, w, i);
                a0 = w0.fma(FloatVector.fromArray(F, x, x0 + i), a0);
                a1 = w0.fma(FloatVector.fromArray(F, x, x1 + i), a1);
                a2 = w0.fma(FloatVector.fromArray(F, x, x2 + i), a2);
                a3 = w0.fma(FloatVector.fromArray(F, x, x3 + i), a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; i < cols; i++) {
                float w0 = w[i];
                s0 += w0 * x[x0 + i]; s1 += w0 * x[x1 + i]; s2 += w0 * x[x2 + i]; s3 += w0 * x[x3 + i];
            }
            out[b * rows + r] = s0; out[(b + 1) * rows + r] = s1; out[(b + 2) * rows + r] = s2; out[(b + 3) * rows + r] = s3;
        }
        for (; b < batch; b++) out[b * rows + r] = Dot.dot(w, 0, x, b * cols, cols);
    }
}
