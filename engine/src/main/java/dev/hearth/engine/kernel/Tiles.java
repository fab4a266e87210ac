package dev.hearth.engine.kernel;

import static dev.hearth.engine.kernel.Dot.F;
import static dev.hearth.engine.kernel.Dot.L;

import jdk.incubator.vector.FloatVector;

/**
 * Register-tiled float products of decoded weight rows with a batch of activation rows:
 * {@code out[b * rows + r] = dot(w[r], x[b])}, for a block of weight rows times a chunk of activation
 * rows. The tile size follows the register file: with 512-bit vectors (AVX-512: 32 registers) a
 * 4 x 6 tile keeps 24 accumulators and loads 4 weight and 6 activation vectors per 24 fused
 * multiply-adds; with 256-bit vectors (AVX2: 16 registers) a 2 x 4 tile, 8 accumulators, 6 loads per
 * 8 FMAs. (Measured on one core of this project's AVX-512 machine: 4 x 6 ~160 GFLOP/s, 2 x 4 ~70,
 * FMA peak ~218; on AVX2 a 4 x 6 tile spills registers and 2 x 4 is the fastest.)
 *
 * <p>Batch invariance: every output, whatever tile computes it, is accumulated in the same order: one
 * vector accumulator, {@code acc = w[i..i+L) * x[i..i+L) + acc} for {@code i = 0, L, 2L..}, lanes summed
 * by {@link Dot#sumLanes} (a fixed order), then the scalar tail in index order. So a row's result does
 * not depend on the batch size, on its position in the batch, nor on the block and chunk sizes.
 */
final class Tiles {
    private Tiles() {}

    /** Whether the 4 x 6 tile is used (512-bit vectors, and so 32 vector registers). */
    static final boolean WIDE = L >= 16;

    /**
     * Weight rows {@code [0, nr)} of the decoded block {@code w} (row-major, {@code cols} floats a row;
     * they are rows {@code r0..r0+nr-1} of the matrix) times activation rows {@code [b0, b1)} of {@code x}.
     */
    static void block(float[] w, int nr, int cols, int r0, float[] x, int b0, int b1, float[] out, int rows) {
        int r = 0;
        if (WIDE) {
            for (; r + 4 <= nr; r += 4) {
                int b = b0;
                for (; b + 6 <= b1; b += 6) tile4x6(w, r * cols, cols, x, b, out, rows, r0 + r);
                for (; b < b1; b++) {
                    tile2x1(w, r * cols, cols, x, b, out, rows, r0 + r);
                    tile2x1(w, (r + 2) * cols, cols, x, b, out, rows, r0 + r + 2);
                }
            }
        }
        for (; r + 2 <= nr; r += 2) {
            int b = b0;
            for (; b + 4 <= b1; b += 4) tile2x4(w, r * cols, cols, x, b, out, rows, r0 + r);
            for (; b < b1; b++) tile2x1(w, r * cols, cols, x, b, out, rows, r0 + r);
        }
        if (r < nr) {
            for (int b = b0; b < b1; b++) out[b * rows + r0 + r] = dot(w, r * cols, x, b * cols, cols);
        }
    }

    /** Weight rows at {@code wo + j * cols} (j < 4) times activation rows {@code b..b+5}; outputs of matrix rows {@code r..r+3}. */
    private static void tile4x6(float[] w, int wo, int cols, float[] x, int b, float[] out, int rows, int r) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols;
        final int x0 = b * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols, x4 = x3 + cols, x5 = x4 + cols;
        var a00 = FloatVector.zero(F); var a01 = a00; var a02 = a00; var a03 = a00; var a04 = a00; var a05 = a00;
        var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00; var a14 = a00; var a15 = a00;
        var a20 = a00; var a21 = a00; var a22 = a00; var a23 = a00; var a24 = a00; var a25 = a00;
        var a30 = a00; var a31 = a00; var a32 = a00; var a33 = a00; var a34 = a00; var a35 = a00;
        int i = 0;
        for (; i <= cols - L; i += L) {
            var u0 = FloatVector.fromArray(F, w, wo + i);
            var u1 = FloatVector.fromArray(F, w, w1 + i);
            var u2 = FloatVector.fromArray(F, w, w2 + i);
            var u3 = FloatVector.fromArray(F, w, w3 + i);
            var v = FloatVector.fromArray(F, x, x0 + i);
            a00 = u0.fma(v, a00); a10 = u1.fma(v, a10); a20 = u2.fma(v, a20); a30 = u3.fma(v, a30);
            v = FloatVector.fromArray(F, x, x1 + i);
            a01 = u0.fma(v, a01); a11 = u1.fma(v, a11); a21 = u2.fma(v, a21); a31 = u3.fma(v, a31);
            v = FloatVector.fromArray(F, x, x2 + i);
            a02 = u0.fma(v, a02); a12 = u1.fma(v, a12); a22 = u2.fma(v, a22); a32 = u3.fma(v, a32);
            v = FloatVector.fromArray(F, x, x3 + i);
            a03 = u0.fma(v, a03); a13 = u1.fma(v, a13); a23 = u2.fma(v, a23); a33 = u3.fma(v, a33);
            v = FloatVector.fromArray(F, x, x4 + i);
            a04 = u0.fma(v, a04); a14 = u1.fma(v, a14); a24 = u2.fma(v, a24); a34 = u3.fma(v, a34);
            v = FloatVector.fromArray(F, x, x5 + i);
            a05 = u0.fma(v, a05); a15 = u1.fma(v, a15); a25 = u2.fma(v, a25); a35 = u3.fma(v, a35);
        }
        out[b * rows + r] = tail(Dot.sumLanes(a00), w, wo, x, x0, i, cols);
        out[(b + 1) * rows + r] = tail(Dot.sumLanes(a01), w, wo, x, x1, i, cols);
        out[(b + 2) * rows + r] = tail(Dot.sumLanes(a02), w, wo, x, x2, i, cols);
        out[(b + 3) * rows + r] = tail(Dot.sumLanes(a03), w, wo, x, x3, i, cols);
        out[(b + 4) * rows + r] = tail(Dot.sumLanes(a04), w, wo, x, x4, i, cols);
        out[(b + 5) * rows + r] = tail(Dot.sumLanes(a05), w, wo, x, x5, i, cols);
        out[b * rows + r + 1] = tail(Dot.sumLanes(a10), w, w1, x, x0, i, cols);
        out[(b + 1) * rows + r + 1] = tail(Dot.sumLanes(a11), w, w1, x, x1, i, cols);
        out[(b + 2) * rows + r + 1] = tail(Dot.sumLanes(a12), w, w1, x, x2, i, cols);
        out[(b + 3) * rows + r + 1] = tail(Dot.sumLanes(a13), w, w1, x, x3, i, cols);
        out[(b + 4) * rows + r + 1] = tail(Dot.sumLanes(a14), w, w1, x, x4, i, cols);
        out[(b + 5) * rows + r + 1] = tail(Dot.sumLanes(a15), w, w1, x, x5, i, cols);
        out[b * rows + r + 2] = tail(Dot.sumLanes(a20), w, w2, x, x0, i, cols);
        out[(b + 1) * rows + r + 2] = tail(Dot.sumLanes(a21), w, w2, x, x1, i, cols);
        out[(b + 2) * rows + r + 2] = tail(Dot.sumLanes(a22), w, w2, x, x2, i, cols);
        out[(b + 3) * rows + r + 2] = tail(Dot.sumLanes(a23), w, w2, x, x3, i, cols);
        out[(b + 4) * rows + r + 2] = tail(Dot.sumLanes(a24), w, w2, x, x4, i, cols);
        out[(b + 5) * rows + r + 2] = tail(Dot.sumLanes(a25), w, w2, x, x5, i, cols);
        out[b * rows + r + 3] = tail(Dot.sumLanes(a30), w, w3, x, x0, i, cols);
        out[(b + 1) * rows + r + 3] = tail(Dot.sumLanes(a31), w, w3, x, x1, i, cols);
        out[(b + 2) * rows + r + 3] = tail(Dot.sumLanes(a32), w, w3, x, x2, i, cols);
        out[(b + 3) * rows + r + 3] = tail(Dot.sumLanes(a33), w, w3, x, x3, i, cols);
        out[(b + 4) * rows + r + 3] = tail(Dot.sumLanes(a34), w, w3, x, x4, i, cols);
        out[(b + 5) * rows + r + 3] = tail(Dot.sumLanes(a35), w, w3, x, x5, i, cols);
    }

    /** Weight rows at {@code wo} and {@code wo + cols} times activation rows {@code b..b+3}; outputs of matrix rows {@code r, r+1}. */
    private static void tile2x4(float[] w, int wo, int cols, float[] x, int b, float[] out, int rows, int r) {
        final int w1o = wo + cols, x0 = b * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        var a00 = FloatVector.zero(F); var a01 = a00; var a02 = a00; var a03 = a00;
        var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
        int i = 0;
        for (; i <= cols - L; i += L) {
            var w0 = FloatVector.fromArray(F, w, wo + i);
            var w1 = FloatVector.fromArray(F, w, w1o + i);
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
        out[b * rows + r] = tail(Dot.sumLanes(a00), w, wo, x, x0, i, cols);
        out[(b + 1) * rows + r] = tail(Dot.sumLanes(a01), w, wo, x, x1, i, cols);
        out[(b + 2) * rows + r] = tail(Dot.sumLanes(a02), w, wo, x, x2, i, cols);
        out[(b + 3) * rows + r] = tail(Dot.sumLanes(a03), w, wo, x, x3, i, cols);
        out[b * rows + r + 1] = tail(Dot.sumLanes(a10), w, w1o, x, x0, i, cols);
        out[(b + 1) * rows + r + 1] = tail(Dot.sumLanes(a11), w, w1o, x, x1, i, cols);
        out[(b + 2) * rows + r + 1] = tail(Dot.sumLanes(a12), w, w1o, x, x2, i, cols);
        out[(b + 3) * rows + r + 1] = tail(Dot.sumLanes(a13), w, w1o, x, x3, i, cols);
    }

    /** Weight rows at {@code wo} and {@code wo + cols} times activation row {@code b} (two independent chains). */
    private static void tile2x1(float[] w, int wo, int cols, float[] x, int b, float[] out, int rows, int r) {
        final int w1o = wo + cols, x0 = b * cols;
        var a0 = FloatVector.zero(F);
        var a1 = FloatVector.zero(F);
        int i = 0;
        for (; i <= cols - L; i += L) {
            var v = FloatVector.fromArray(F, x, x0 + i);
            a0 = FloatVector.fromArray(F, w, wo + i).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, w1o + i).fma(v, a1);
        }
        out[b * rows + r] = tail(Dot.sumLanes(a0), w, wo, x, x0, i, cols);
        out[b * rows + r + 1] = tail(Dot.sumLanes(a1), w, w1o, x, x0, i, cols);
    }

    /** One weight row times one activation row. */
    private static float dot(float[] w, int wo, float[] x, int xo, int cols) {
        var a0 = FloatVector.zero(F);
        int i = 0;
        for (; i <= cols - L; i += L) a0 = FloatVector.fromArray(F, w, wo + i).fma(FloatVector.fromArray(F, x, xo + i), a0);
        return tail(Dot.sumLanes(a0), w, wo, x, xo, i, cols);
    }

    /** Adds {@code w[wo+i] * x[xo+i]} for the columns {@code [from, cols)} not covered by whole vectors, in order. */
    private static float tail(float s, float[] w, int wo, float[] x, int xo, int from, int cols) {
        for (int i = from; i < cols; i++) s += w[wo + i] * x[xo + i];
        return s;
    }
}
