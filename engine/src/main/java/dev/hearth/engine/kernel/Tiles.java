package dev.hearth.engine.kernel;

import static dev.hearth.engine.kernel.Dot.F;
import static dev.hearth.engine.kernel.Dot.L;

import jdk.incubator.vector.FloatVector;

/**
 * Register-tiled float products of decoded weight rows with a batch of activation rows:
 * {@code out[b * rows + r] = dot(w[r], x[b])}. A 2 x 4 tile keeps 8 accumulators and loads 2 weight
 * and 4 activation vectors per 8 fused multiply-adds, so it is bound by FMA throughput, not loads;
 * each weight vector is read once per 4 activation rows.
 *
 * <p>Batch invariance: every output, whatever tile or remainder computes it, is accumulated in the
 * same order: one vector accumulator, {@code acc = w[i..i+L) * x[i..i+L) + acc} for {@code i = 0, L, 2L..},
 * lanes summed by {@link Dot#sumLanes} (a fixed order), then the scalar tail in index order. So a
 * row's result does not depend on the batch size nor on its position in the batch.
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
            out[b * rows + r] = tail(Dot.sumLanes(a00), w, 0, x, x0, i, cols);
            out[(b + 1) * rows + r] = tail(Dot.sumLanes(a01), w, 0, x, x1, i, cols);
            out[(b + 2) * rows + r] = tail(Dot.sumLanes(a02), w, 0, x, x2, i, cols);
            out[(b + 3) * rows + r] = tail(Dot.sumLanes(a03), w, 0, x, x3, i, cols);
            out[b * rows + r + 1] = tail(Dot.sumLanes(a10), w, cols, x, x0, i, cols);
            out[(b + 1) * rows + r + 1] = tail(Dot.sumLanes(a11), w, cols, x, x1, i, cols);
            out[(b + 2) * rows + r + 1] = tail(Dot.sumLanes(a12), w, cols, x, x2, i, cols);
            out[(b + 3) * rows + r + 1] = tail(Dot.sumLanes(a13), w, cols, x, x3, i, cols);
        }
        // remaining activation rows one at a time, both weight rows together (two independent chains)
        for (; b < batch; b++) {
            var a0 = FloatVector.zero(F); var a1 = FloatVector.zero(F);
            int x0 = b * cols;
            int i = 0;
            for (; i <= cols - L; i += L) {
                var v = FloatVector.fromArray(F, x, x0 + i);
                a0 = FloatVector.fromArray(F, w, i).fma(v, a0);
                a1 = FloatVector.fromArray(F, w, cols + i).fma(v, a1);
            }
            out[b * rows + r] = tail(Dot.sumLanes(a0), w, 0, x, x0, i, cols);
            out[b * rows + r + 1] = tail(Dot.sumLanes(a1), w, cols, x, x0, i, cols);
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
            out[b * rows + r] = tail(Dot.sumLanes(a0), w, 0, x, x0, i, cols);
            out[(b + 1) * rows + r] = tail(Dot.sumLanes(a1), w, 0, x, x1, i, cols);
            out[(b + 2) * rows + r] = tail(Dot.sumLanes(a2), w, 0, x, x2, i, cols);
            out[(b + 3) * rows + r] = tail(Dot.sumLanes(a3), w, 0, x, x3, i, cols);
        }
        for (; b < batch; b++) {
            var a0 = FloatVector.zero(F);
            int x0 = b * cols;
            int i = 0;
            for (; i <= cols - L; i += L) a0 = FloatVector.fromArray(F, w, i).fma(FloatVector.fromArray(F, x, x0 + i), a0);
            out[b * rows + r] = tail(Dot.sumLanes(a0), w, 0, x, x0, i, cols);
        }
    }

    /** Adds {@code w[wo+i] * x[xo+i]} for the columns {@code [from, cols)} not covered by whole vectors, in order. */
    private static float tail(float s, float[] w, int wo, float[] x, int xo, int from, int cols) {
        for (int i = from; i < cols; i++) s += w[wo + i] * x[xo + i];
        return s;
    }
}
