package dev.hearth.engine.kernel;

import static dev.hearth.engine.kernel.Dot.F;
import static dev.hearth.engine.kernel.Dot.L;

import jdk.incubator.vector.FloatVector;

/**
 * Register-tiled float products of decoded weight rows with a batch of activation rows. Two kinds:
 * dot-product tiles ({@link #block}: one vector accumulator per output, lanes along the columns; for
 * decode rows and the float reference) and outer-product panel tiles ({@link #panelBlock}: lanes along
 * the activation rows; for prompt rows, 1.3-1.4x faster per core, docs/kernels.md). The rest of this
 * comment is about the dot-product tiles:
 * {@code out[b * rows + r] = dot(w[r], x[b])}, for a block of weight rows times a chunk of activation
 * rows. The tile size follows the register file: with 512-bit vectors (AVX-512: 32 registers) a
 * 4 x 6 tile keeps 24 accumulators and loads 4 weight and 6 activation vectors per 24 fused
 * multiply-adds; with 256-bit vectors (AVX2: 16 registers) a 2 x 4 tile, 8 accumulators, 6 loads per
 * 8 FMAs. (Measured on one core of this project's AVX-512 machine with data in L1: 4 x 6 ~160 GFLOP/s,
 * 2 x 4 ~70, FMA peak ~218; on AVX2 a 4 x 6 tile spills registers and 2 x 4 is the fastest.)
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
     * {@code acc} holds at least {@link #accFloats()} floats.
     */
    static void block(float[] w, int nr, int cols, int r0, float[] x, int b0, int b1, float[] out, int rows, float[] acc) {
        int r = 0;
        if (WIDE) {
            int groups = nr / 4, tiles = (b1 - b0) / 6;
            if (groups > 0 && tiles > 0) tiles4x6(w, groups, cols, r0, x, b0, tiles, out, rows, acc);
            for (; r + 4 <= nr; r += 4) {
                for (int b = b0 + 6 * tiles; b < b1; b++) {
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

    /** Floats of {@code acc} that {@link #block} needs. */
    static int accFloats() {
        return 24 * L;
    }

    /**
     * 4 x 6 tiles over weight rows {@code [0, 4 * groups)} and activation rows {@code [b0, b0 + 6 * tiles)}.
     * Each tile runs over all columns with its 24 accumulators in registers, parks them in {@code acc},
     * and the outputs are reduced from there (a reduction inside the tile body makes the method too big
     * for C2 to keep the accumulators in registers).
     */
    private static void tiles4x6(float[] w, int groups, int cols, int r0, float[] x, int b0, int tiles, float[] out, int rows, float[] acc) {
        final int vecEnd = cols - cols % L;
        for (int g = 0; g < groups; g++) {
            for (int t = 0; t < tiles; t++) {
                int b = b0 + 6 * t;
                tile4x6(w, 4 * g * cols, cols, x, b * cols, acc);
                for (int i = 0; i < 4; i++) {
                    int wo = (4 * g + i) * cols;
                    for (int j = 0; j < 6; j++) {
                        float sum = Dot.sumLanes(FloatVector.fromArray(F, acc, (6 * i + j) * L));
                        out[(b + j) * rows + r0 + 4 * g + i] = tail(sum, w, wo, x, (b + j) * cols, vecEnd, cols);
                    }
                }
            }
        }
    }

    /**
     * Weight rows at {@code wo + i * cols} (i < 4) times the activation rows at {@code xo + j * cols}
     * (j < 6), over the columns that fill whole vectors; accumulator (i, j) is stored at {@code (6 * i + j) * L}.
     */
    private static void tile4x6(float[] w, int wo, int cols, float[] x, int xo, float[] acc) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols;
        final int x1 = xo + cols, x2 = x1 + cols, x3 = x2 + cols, x4 = x3 + cols, x5 = x4 + cols;
        var a00 = FloatVector.zero(F); var a01 = FloatVector.zero(F); var a02 = FloatVector.zero(F); var a03 = FloatVector.zero(F); var a04 = FloatVector.zero(F); var a05 = FloatVector.zero(F);
        var a10 = FloatVector.zero(F); var a11 = FloatVector.zero(F); var a12 = FloatVector.zero(F); var a13 = FloatVector.zero(F); var a14 = FloatVector.zero(F); var a15 = FloatVector.zero(F);
        var a20 = FloatVector.zero(F); var a21 = FloatVector.zero(F); var a22 = FloatVector.zero(F); var a23 = FloatVector.zero(F); var a24 = FloatVector.zero(F); var a25 = FloatVector.zero(F);
        var a30 = FloatVector.zero(F); var a31 = FloatVector.zero(F); var a32 = FloatVector.zero(F); var a33 = FloatVector.zero(F); var a34 = FloatVector.zero(F); var a35 = FloatVector.zero(F);
        for (int i = 0; i <= cols - L; i += L) {
            var u0 = FloatVector.fromArray(F, w, wo + i);
            var u1 = FloatVector.fromArray(F, w, w1 + i);
            var u2 = FloatVector.fromArray(F, w, w2 + i);
            var u3 = FloatVector.fromArray(F, w, w3 + i);
            var v = FloatVector.fromArray(F, x, xo + i);
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
        a00.intoArray(acc, 0 * L); a01.intoArray(acc, 1 * L); a02.intoArray(acc, 2 * L); a03.intoArray(acc, 3 * L); a04.intoArray(acc, 4 * L); a05.intoArray(acc, 5 * L);
        a10.intoArray(acc, 6 * L); a11.intoArray(acc, 7 * L); a12.intoArray(acc, 8 * L); a13.intoArray(acc, 9 * L); a14.intoArray(acc, 10 * L); a15.intoArray(acc, 11 * L);
        a20.intoArray(acc, 12 * L); a21.intoArray(acc, 13 * L); a22.intoArray(acc, 14 * L); a23.intoArray(acc, 15 * L); a24.intoArray(acc, 16 * L); a25.intoArray(acc, 17 * L);
        a30.intoArray(acc, 18 * L); a31.intoArray(acc, 19 * L); a32.intoArray(acc, 20 * L); a33.intoArray(acc, 21 * L); a34.intoArray(acc, 22 * L); a35.intoArray(acc, 23 * L);
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

    // ---- Panel tiles for prompt rows -------------------------------------------------------------

    /** Panel tiles: columns per pass, so that a pass's activation panels (3 x L x this many floats) stay in L2. */
    static final int K_SLICE = 2048;
    /**
     * Panel tiles: columns per fused multiply-add chain. Each chain starts from zero and its sum is added to
     * the parked accumulator (in L1): chains of 64 keep the rounding error near that of the 16-lane dot
     * products (single chains over 2048 columns measurably moved log-probabilities against llama.cpp's).
     */
    static final int K_CHAIN = 64;
    /** Floats of the per-thread accumulator park of {@link #panelBlock} for {@code nr} weight rows: 16 vectors per 4 rows. */
    static int parkFloats(int nr) {
        return (nr + 3) / 4 * 16 * L;
    }

    /**
     * Panels a tile of {@link #panelBlock} takes when {@code rest} panels are left: four ({@link #tile4x4}) where that
     * leaves a count that fours and threes cover, else three ({@link #tile4x3}); one or two left take the tiles of eight
     * weight rows ({@link #tile8x1}, {@link #tile8x2}). Every count from 6 up is fours and threes ({@code 6 = 3 + 3},
     * {@code 9 = 3 + 3 + 3}), so only 1, 2 and 5 panels leave one or two. With threes alone, a 512-row prompt (32 panels)
     * left two panels to the one-panel tile ({@link #tile4x1}, then the only one), which runs at about half the speed: 4 %
     * of a BF16 matrix's time ({@code MatMulBench}, 480 or 576 rows against 512).
     */
    static int tilePanels(int rest) {
        return rest == 3 || rest == 6 || rest == 9 ? 3 : rest >= 4 ? 4 : rest;
    }

    /**
     * Packs activation rows {@code [bFrom, bTo)} of {@code x} ({@code cols} floats a row) into panels of
     * {@code L} rows stored column by column: {@code xp[(p * cols + k) * L + l] = x[(bFrom + p * L + l) * cols + k]},
     * zero for rows at or past {@code bTo}. Packs panels {@code [pFrom, pTo)}.
     */
    static void pack(float[] x, int cols, int bFrom, int bTo, float[] xp, int pFrom, int pTo) {
        // a whole panel's column k is one gather of its L rows (lane l from row l: offsets l * cols); per value that
        // is a sixteenth of the scalar loop's loads and stores (below, kept for a last partial panel)
        final int[] rowOffsets = new int[L];
        for (int l = 0; l < L; l++) rowOffsets[l] = l * cols;
        for (int p = pFrom; p < pTo; p++) {
            int base = p * cols * L, b0 = bFrom + p * L, n = Math.min(L, bTo - b0);
            if (n == L) {
                for (int k = 0, from = b0 * cols; k < cols; k++) FloatVector.fromArray(F, x, from + k, rowOffsets, 0).intoArray(xp, base + k * L);
                continue;
            }
            java.util.Arrays.fill(xp, base, base + cols * L, 0f);
            // writes in order; the n rows are read as n sequential streams
            for (int k = 0; k < cols; k++) {
                int o = base + k * L;
                for (int l = 0; l < n; l++) xp[o + l] = x[(b0 + l) * cols + k];
            }
        }
    }

    /**
     * Weight rows {@code [0, nr)} of the decoded block {@code w} (rows {@code r0..} of the matrix; the
     * buffer holds whole groups of 4 rows, rows past {@code nr} are zeroed here) times the packed activation
     * rows {@code [bFrom, bTo)} ({@code panels} panels of {@link #pack}). Outer products: a vector of L
     * activation rows times one broadcast weight per column, 4 weight rows x 4 or 3 panels (16 or 12 accumulators)
     * a tile ({@link #tilePanels}). Every output is the same sequence of operations (chains of fused multiply-adds over
     * {@link #K_CHAIN} columns, added in column order) whatever tile or lane computes it: batch-invariant.
     * Per column a four-panel tile loads 4 vectors and 4 floats for 16 FMAs (three panels: 3 and 4 for 12), where the
     * dot-product tiles above load 10 vectors for 24; that is what makes prompt rows faster here (they were bound by
     * L2 bandwidth).
     */
    static void panelBlock(float[] w, int nr, int cols, int r0, float[] xp, int panels, int bFrom, int bTo, float[] out, int rows, float[] park) {
        final int groups = (nr + 3) / 4;
        java.util.Arrays.fill(w, nr * cols, groups * 4 * cols, 0f);
        for (int p0 = 0, np; p0 < panels; p0 += np) {
            np = tilePanels(panels - p0);
            // a group's accumulators at park[16 * L * g ..]: row i and panel v at (s * i + v) * L, s = 4 for four panels, else 3
            final int s = np == 4 ? 4 : 3;
            java.util.Arrays.fill(park, 0, groups * 16 * L, 0f);
            for (int k0 = 0; k0 < cols; k0 += K_SLICE) {
                int k1 = Math.min(cols, k0 + K_SLICE);
                for (int g = 0; g < groups; g++) {
                    if (np == 4) tile4x4(w, 4 * g * cols, cols, k0, k1, xp, p0 * cols * L, park, 16 * L * g);
                    else if (np == 3) tile4x3(w, 4 * g * cols, cols, k0, k1, xp, p0 * cols * L, park, 16 * L * g);
                    else if (g + 1 < groups) {   // one or two panels: two groups at once, for enough accumulators
                        if (np == 2) tile8x2(w, 4 * g * cols, cols, k0, k1, xp, p0 * cols * L, park, 16 * L * g);
                        else tile8x1(w, 4 * g * cols, cols, k0, k1, xp, p0 * cols * L, park, 16 * L * g);
                        g++;
                    } else for (int v = 0; v < np; v++) tile4x1(w, 4 * g * cols, cols, k0, k1, xp, (p0 + v) * cols * L, park, 16 * L * g + v * L);
                }
            }
            // an activation row's outputs for the block's weight rows are contiguous in out: write them in order
            for (int v = 0; v < np; v++) {
                int b0 = bFrom + (p0 + v) * L;
                for (int l = 0; l < L && b0 + l < bTo; l++) {
                    int o = (b0 + l) * rows + r0;
                    for (int r = 0; r < nr; r++) out[o + r] = park[(16 * (r >> 2) + s * (r & 3) + v) * L + l];
                }
            }
        }
    }

    /**
     * As {@link #tile4x3} for four panels at {@code po + v * cols * L} (v < 4): 16 accumulators, per column 4 panel loads
     * and 4 broadcasts for 16 FMAs; accumulator (i, v) at {@code park[pk + (4 * i + v) * L]}. The same chains per output,
     * so the same bits as the three- and one-panel tiles.
     */
    private static void tile4x4(float[] w, int wo, int cols, int k0, int k1, float[] xp, int po, float[] park, int pk) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, p1 = po + cols * L, p2 = p1 + cols * L, p3 = p2 + cols * L;
        for (int kc = k0; kc < k1; kc += K_CHAIN) {
            final int ke = Math.min(k1, kc + K_CHAIN);
            var a00 = FloatVector.zero(F); var a01 = a00; var a02 = a00; var a03 = a00; var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
            var a20 = a00; var a21 = a00; var a22 = a00; var a23 = a00; var a30 = a00; var a31 = a00; var a32 = a00; var a33 = a00;
            for (int k = kc; k < ke; k++) {
                var x0 = FloatVector.fromArray(F, xp, po + k * L);
                var x1 = FloatVector.fromArray(F, xp, p1 + k * L);
                var x2 = FloatVector.fromArray(F, xp, p2 + k * L);
                var x3 = FloatVector.fromArray(F, xp, p3 + k * L);
                var s = FloatVector.broadcast(F, w[wo + k]);
                a00 = x0.fma(s, a00); a01 = x1.fma(s, a01); a02 = x2.fma(s, a02); a03 = x3.fma(s, a03);
                s = FloatVector.broadcast(F, w[w1 + k]);
                a10 = x0.fma(s, a10); a11 = x1.fma(s, a11); a12 = x2.fma(s, a12); a13 = x3.fma(s, a13);
                s = FloatVector.broadcast(F, w[w2 + k]);
                a20 = x0.fma(s, a20); a21 = x1.fma(s, a21); a22 = x2.fma(s, a22); a23 = x3.fma(s, a23);
                s = FloatVector.broadcast(F, w[w3 + k]);
                a30 = x0.fma(s, a30); a31 = x1.fma(s, a31); a32 = x2.fma(s, a32); a33 = x3.fma(s, a33);
            }
            // added to park written out, as in tile4x3 (no helper taking a vector)
            a00.add(FloatVector.fromArray(F, park, pk)).intoArray(park, pk);
            a01.add(FloatVector.fromArray(F, park, pk + L)).intoArray(park, pk + L);
            a02.add(FloatVector.fromArray(F, park, pk + 2 * L)).intoArray(park, pk + 2 * L);
            a03.add(FloatVector.fromArray(F, park, pk + 3 * L)).intoArray(park, pk + 3 * L);
            a10.add(FloatVector.fromArray(F, park, pk + 4 * L)).intoArray(park, pk + 4 * L);
            a11.add(FloatVector.fromArray(F, park, pk + 5 * L)).intoArray(park, pk + 5 * L);
            a12.add(FloatVector.fromArray(F, park, pk + 6 * L)).intoArray(park, pk + 6 * L);
            a13.add(FloatVector.fromArray(F, park, pk + 7 * L)).intoArray(park, pk + 7 * L);
            a20.add(FloatVector.fromArray(F, park, pk + 8 * L)).intoArray(park, pk + 8 * L);
            a21.add(FloatVector.fromArray(F, park, pk + 9 * L)).intoArray(park, pk + 9 * L);
            a22.add(FloatVector.fromArray(F, park, pk + 10 * L)).intoArray(park, pk + 10 * L);
            a23.add(FloatVector.fromArray(F, park, pk + 11 * L)).intoArray(park, pk + 11 * L);
            a30.add(FloatVector.fromArray(F, park, pk + 12 * L)).intoArray(park, pk + 12 * L);
            a31.add(FloatVector.fromArray(F, park, pk + 13 * L)).intoArray(park, pk + 13 * L);
            a32.add(FloatVector.fromArray(F, park, pk + 14 * L)).intoArray(park, pk + 14 * L);
            a33.add(FloatVector.fromArray(F, park, pk + 15 * L)).intoArray(park, pk + 15 * L);
        }
    }

    /**
     * Weight rows at {@code wo + i * cols} (i < 4) times panels at {@code po + v * cols * L} (v < 3),
     * columns {@code [k0, k1)} in chains of {@link #K_CHAIN}; each chain's sum for (i, v) is added to
     * {@code park[pk + (3 * i + v) * L]} (zeroed by the caller before column 0).
     */
    private static void tile4x3(float[] w, int wo, int cols, int k0, int k1, float[] xp, int po, float[] park, int pk) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, p1 = po + cols * L, p2 = p1 + cols * L;
        for (int kc = k0; kc < k1; kc += K_CHAIN) {
            final int ke = Math.min(k1, kc + K_CHAIN);
            var a00 = FloatVector.zero(F); var a01 = a00; var a02 = a00; var a10 = a00; var a11 = a00; var a12 = a00;
            var a20 = a00; var a21 = a00; var a22 = a00; var a30 = a00; var a31 = a00; var a32 = a00;
            for (int k = kc; k < ke; k++) {
                var x0 = FloatVector.fromArray(F, xp, po + k * L);
                var x1 = FloatVector.fromArray(F, xp, p1 + k * L);
                var x2 = FloatVector.fromArray(F, xp, p2 + k * L);
                var s = FloatVector.broadcast(F, w[wo + k]);
                a00 = x0.fma(s, a00); a01 = x1.fma(s, a01); a02 = x2.fma(s, a02);
                s = FloatVector.broadcast(F, w[w1 + k]);
                a10 = x0.fma(s, a10); a11 = x1.fma(s, a11); a12 = x2.fma(s, a12);
                s = FloatVector.broadcast(F, w[w2 + k]);
                a20 = x0.fma(s, a20); a21 = x1.fma(s, a21); a22 = x2.fma(s, a22);
                s = FloatVector.broadcast(F, w[w3 + k]);
                a30 = x0.fma(s, a30); a31 = x1.fma(s, a31); a32 = x2.fma(s, a32);
            }
            // the chain's sums added to park, written out: a helper taking the vector (as this had) is a call that
            // C2 parses past its node budget for inlining in this method (~20,000 nodes), inlines late, and in some
            // JVM runs leaves as a call with the vector boxed (docs/kernels.md, "Boxing causes")
            a00.add(FloatVector.fromArray(F, park, pk)).intoArray(park, pk);
            a01.add(FloatVector.fromArray(F, park, pk + L)).intoArray(park, pk + L);
            a02.add(FloatVector.fromArray(F, park, pk + 2 * L)).intoArray(park, pk + 2 * L);
            a10.add(FloatVector.fromArray(F, park, pk + 3 * L)).intoArray(park, pk + 3 * L);
            a11.add(FloatVector.fromArray(F, park, pk + 4 * L)).intoArray(park, pk + 4 * L);
            a12.add(FloatVector.fromArray(F, park, pk + 5 * L)).intoArray(park, pk + 5 * L);
            a20.add(FloatVector.fromArray(F, park, pk + 6 * L)).intoArray(park, pk + 6 * L);
            a21.add(FloatVector.fromArray(F, park, pk + 7 * L)).intoArray(park, pk + 7 * L);
            a22.add(FloatVector.fromArray(F, park, pk + 8 * L)).intoArray(park, pk + 8 * L);
            a30.add(FloatVector.fromArray(F, park, pk + 9 * L)).intoArray(park, pk + 9 * L);
            a31.add(FloatVector.fromArray(F, park, pk + 10 * L)).intoArray(park, pk + 10 * L);
            a32.add(FloatVector.fromArray(F, park, pk + 11 * L)).intoArray(park, pk + 11 * L);
        }
    }

    /**
     * Two panels at {@code po} and {@code po + cols * L} times the eight weight rows of two groups (at {@code wo + i * cols},
     * i < 8): 16 accumulators, per column 2 panel loads and 8 broadcasts for 16 FMAs. Two panels in one-panel tiles had 4
     * chains in flight, half of what two FMA units with a latency of 4 cycles need: 16 or 32 prompt rows ran at half the
     * speed of 48 ({@code MatMulBench} BF16 2,048 x 2,048, one thread: 32 rows took longer than 48). Accumulator (i, v)
     * of rows i < 4 at {@code park[pk + (3 * i + v) * L]}, rows 4..7 in the next group's park ({@code + 16 * L}); the
     * same chains per output as every other tile.
     */
    private static void tile8x2(float[] w, int wo, int cols, int k0, int k1, float[] xp, int po, float[] park, int pk) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, w4 = w3 + cols, w5 = w4 + cols, w6 = w5 + cols, w7 = w6 + cols;
        final int p1 = po + cols * L, ph = pk + 16 * L;
        for (int kc = k0; kc < k1; kc += K_CHAIN) {
            final int ke = Math.min(k1, kc + K_CHAIN);
            var a00 = FloatVector.zero(F); var a01 = a00; var a10 = a00; var a11 = a00; var a20 = a00; var a21 = a00; var a30 = a00; var a31 = a00;
            var a40 = a00; var a41 = a00; var a50 = a00; var a51 = a00; var a60 = a00; var a61 = a00; var a70 = a00; var a71 = a00;
            for (int k = kc; k < ke; k++) {
                var x0 = FloatVector.fromArray(F, xp, po + k * L);
                var x1 = FloatVector.fromArray(F, xp, p1 + k * L);
                var s = FloatVector.broadcast(F, w[wo + k]);
                a00 = x0.fma(s, a00); a01 = x1.fma(s, a01);
                s = FloatVector.broadcast(F, w[w1 + k]);
                a10 = x0.fma(s, a10); a11 = x1.fma(s, a11);
                s = FloatVector.broadcast(F, w[w2 + k]);
                a20 = x0.fma(s, a20); a21 = x1.fma(s, a21);
                s = FloatVector.broadcast(F, w[w3 + k]);
                a30 = x0.fma(s, a30); a31 = x1.fma(s, a31);
                s = FloatVector.broadcast(F, w[w4 + k]);
                a40 = x0.fma(s, a40); a41 = x1.fma(s, a41);
                s = FloatVector.broadcast(F, w[w5 + k]);
                a50 = x0.fma(s, a50); a51 = x1.fma(s, a51);
                s = FloatVector.broadcast(F, w[w6 + k]);
                a60 = x0.fma(s, a60); a61 = x1.fma(s, a61);
                s = FloatVector.broadcast(F, w[w7 + k]);
                a70 = x0.fma(s, a70); a71 = x1.fma(s, a71);
            }
            // added to park written out, as in tile4x3
            a00.add(FloatVector.fromArray(F, park, pk)).intoArray(park, pk);
            a01.add(FloatVector.fromArray(F, park, pk + L)).intoArray(park, pk + L);
            a10.add(FloatVector.fromArray(F, park, pk + 3 * L)).intoArray(park, pk + 3 * L);
            a11.add(FloatVector.fromArray(F, park, pk + 4 * L)).intoArray(park, pk + 4 * L);
            a20.add(FloatVector.fromArray(F, park, pk + 6 * L)).intoArray(park, pk + 6 * L);
            a21.add(FloatVector.fromArray(F, park, pk + 7 * L)).intoArray(park, pk + 7 * L);
            a30.add(FloatVector.fromArray(F, park, pk + 9 * L)).intoArray(park, pk + 9 * L);
            a31.add(FloatVector.fromArray(F, park, pk + 10 * L)).intoArray(park, pk + 10 * L);
            a40.add(FloatVector.fromArray(F, park, ph)).intoArray(park, ph);
            a41.add(FloatVector.fromArray(F, park, ph + L)).intoArray(park, ph + L);
            a50.add(FloatVector.fromArray(F, park, ph + 3 * L)).intoArray(park, ph + 3 * L);
            a51.add(FloatVector.fromArray(F, park, ph + 4 * L)).intoArray(park, ph + 4 * L);
            a60.add(FloatVector.fromArray(F, park, ph + 6 * L)).intoArray(park, ph + 6 * L);
            a61.add(FloatVector.fromArray(F, park, ph + 7 * L)).intoArray(park, ph + 7 * L);
            a70.add(FloatVector.fromArray(F, park, ph + 9 * L)).intoArray(park, ph + 9 * L);
            a71.add(FloatVector.fromArray(F, park, ph + 10 * L)).intoArray(park, ph + 10 * L);
        }
    }

    /** As {@link #tile8x2} for one panel at {@code po}: 8 accumulators, per column 1 panel load and 8 broadcasts for 8 FMAs. */
    private static void tile8x1(float[] w, int wo, int cols, int k0, int k1, float[] xp, int po, float[] park, int pk) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, w4 = w3 + cols, w5 = w4 + cols, w6 = w5 + cols, w7 = w6 + cols;
        final int ph = pk + 16 * L;
        for (int kc = k0; kc < k1; kc += K_CHAIN) {
            final int ke = Math.min(k1, kc + K_CHAIN);
            var a0 = FloatVector.zero(F); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
            for (int k = kc; k < ke; k++) {
                var x0 = FloatVector.fromArray(F, xp, po + k * L);
                a0 = x0.fma(FloatVector.broadcast(F, w[wo + k]), a0);
                a1 = x0.fma(FloatVector.broadcast(F, w[w1 + k]), a1);
                a2 = x0.fma(FloatVector.broadcast(F, w[w2 + k]), a2);
                a3 = x0.fma(FloatVector.broadcast(F, w[w3 + k]), a3);
                a4 = x0.fma(FloatVector.broadcast(F, w[w4 + k]), a4);
                a5 = x0.fma(FloatVector.broadcast(F, w[w5 + k]), a5);
                a6 = x0.fma(FloatVector.broadcast(F, w[w6 + k]), a6);
                a7 = x0.fma(FloatVector.broadcast(F, w[w7 + k]), a7);
            }
            // added to park as in tile4x3
            a0.add(FloatVector.fromArray(F, park, pk)).intoArray(park, pk);
            a1.add(FloatVector.fromArray(F, park, pk + 3 * L)).intoArray(park, pk + 3 * L);
            a2.add(FloatVector.fromArray(F, park, pk + 6 * L)).intoArray(park, pk + 6 * L);
            a3.add(FloatVector.fromArray(F, park, pk + 9 * L)).intoArray(park, pk + 9 * L);
            a4.add(FloatVector.fromArray(F, park, ph)).intoArray(park, ph);
            a5.add(FloatVector.fromArray(F, park, ph + 3 * L)).intoArray(park, ph + 3 * L);
            a6.add(FloatVector.fromArray(F, park, ph + 6 * L)).intoArray(park, ph + 6 * L);
            a7.add(FloatVector.fromArray(F, park, ph + 9 * L)).intoArray(park, ph + 9 * L);
        }
    }

    /** As {@link #tile4x3} for one panel at {@code po}; accumulator i at {@code park[pk + 3 * i * L]}. */
    private static void tile4x1(float[] w, int wo, int cols, int k0, int k1, float[] xp, int po, float[] park, int pk) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols;
        for (int kc = k0; kc < k1; kc += K_CHAIN) {
            final int ke = Math.min(k1, kc + K_CHAIN);
            var a0 = FloatVector.zero(F); var a1 = a0; var a2 = a0; var a3 = a0;
            for (int k = kc; k < ke; k++) {
                var x0 = FloatVector.fromArray(F, xp, po + k * L);
                a0 = x0.fma(FloatVector.broadcast(F, w[wo + k]), a0);
                a1 = x0.fma(FloatVector.broadcast(F, w[w1 + k]), a1);
                a2 = x0.fma(FloatVector.broadcast(F, w[w2 + k]), a2);
                a3 = x0.fma(FloatVector.broadcast(F, w[w3 + k]), a3);
            }
            // added to park as in tile4x3
            a0.add(FloatVector.fromArray(F, park, pk)).intoArray(park, pk);
            a1.add(FloatVector.fromArray(F, park, pk + 3 * L)).intoArray(park, pk + 3 * L);
            a2.add(FloatVector.fromArray(F, park, pk + 6 * L)).intoArray(park, pk + 6 * L);
            a3.add(FloatVector.fromArray(F, park, pk + 9 * L)).intoArray(park, pk + 9 * L);
        }
    }
}
