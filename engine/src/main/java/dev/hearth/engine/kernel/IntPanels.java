package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Integer panel tiles for prompt rows of Q4_0 weights on 512-bit vectors: the outer-product tiles of
 * {@link Tiles#panelBlock} with 16-bit integers instead of floats, so that one vector multiply does 32
 * multiply-adds instead of 16.
 *
 * <p>The activations are the 8-bit quants of {@link Q8Activations} (Q8_0 kind, one scale per 32 values, as
 * every path uses for Q4_0 weights), packed 32 rows to a panel column by column ({@link #pack}); the weights
 * are their quants minus 8, as shorts ({@link #decode}). Over one 32-value block a product of a weight
 * ({@code -8..7}) and an activation ({@code -127..127}) is at most 1016 in magnitude and the block's 32 of them
 * at most 32512: the sum is exact in a 16-bit lane. A tile of 4 weight rows x 4 panels keeps 16 such sums in
 * registers (per column 4 loads, 4 broadcasts, 16 {@code vpmullw}, 16 {@code vpaddw} for 512
 * multiply-adds), and after each block adds them to float accumulators, {@code acc = (sum * d_w) * d_x + acc},
 * as llama.cpp scales its integer block sums.
 *
 * <p>Batch invariance: every output is that same sequence of float operations over the blocks in order,
 * whichever tile ({@link #tile4x4}, {@link #tile4x2}, {@link #tile8x1}, {@link #tile4x1}) and lane
 * computes it.
 */
final class IntPanels {
    private IntPanels() {}

    /** Activation rows per panel: the 16-bit lanes of a 512-bit vector. */
    static final int P = 32;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Columns packed per pass over a panel's 32 rows: the 16 KiB of the panel being written stay in L1. */
    private static final int PACK_COLUMNS = 256;
    /** Weight rows decoded at once, at most this many bytes of shorts (they stay in L2 while the panels pass). */
    private static final int WEIGHT_BLOCK_BYTES = 128 * 1024;
    /** At most this many weight rows at once (short rows): their float accumulators ({@link #QUAD_PARK} per quad) stay small. */
    private static final int MAX_BLOCK_ROWS = 64;
    /** Columns per slice of a pass over the panels (a multiple of 32). */
    private static final int K_SLICE = 2048;

    /** Whether prompt rows times {@code w} take these tiles. */
    static boolean supports(Matrix w) {
        return w.type() == GgmlType.Q4_0 && Tiles.WIDE && Q8Kernels.WIDE;
    }

    /** Panels for {@code promptRows} activation rows. */
    static int panels(int promptRows) {
        return (promptRows + P - 1) / P;
    }

    /**
     * Panels {@code [pFrom, pTo)} of the activation rows {@code [bFrom, bTo)} of {@code a} (Q8_0 kind): quants at
     * {@code xs[(p * cols + k) * 32 + l]} for row {@code bFrom + 32p + l}, column k; the scales of panel p, block c at
     * {@code dxs[(p * blocks + c) * 32 ..]}, even rows of the panel ({@code 2j}) in the first 16 floats and odd ones
     * ({@code 2j + 1}) in the last 16: the order in which a tile takes its 16-bit sums out (see {@link #scaleBlock}).
     * Lanes past {@code bTo} hold zeros.
     */
    static void pack(Q8Activations a, int bFrom, int bTo, short[] xs, float[] dxs, int pFrom, int pTo) {
        final int cols = a.cols, blocks = cols / 32;
        final short[] q = a.q;
        final float[] d = a.d;
        for (int p = pFrom; p < pTo; p++) {
            final int b0 = bFrom + P * p, n = Math.min(P, bTo - b0), base = p * cols * P;
            for (int k0 = 0; k0 < cols; k0 += PACK_COLUMNS) {
                int k1 = Math.min(cols, k0 + PACK_COLUMNS);
                for (int l = 0; l < P; l++) {
                    if (l < n) {
                        int src = (b0 + l) * cols;
                        for (int k = k0; k < k1; k++) xs[base + k * P + l] = q[src + k];
                    } else {
                        for (int k = k0; k < k1; k++) xs[base + k * P + l] = 0;
                    }
                }
            }
            for (int c = 0; c < blocks; c++) {
                int at = (p * blocks + c) * P;
                for (int l = 0; l < P; l++) dxs[at + 16 * (l & 1) + (l >> 1)] = l < n ? d[(b0 + l) * blocks + c] : 0f;
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of a Q4_0 matrix (either layout) as shorts {@code n - 8} at {@code wq[(r - r0) * cols + k]},
     * their scales at {@code dw[(r - r0) * blocks + c]}; the rows up to the next multiple of 4 are zeros.
     */
    static void decode(Matrix w, int r0, int r1, short[] wq, float[] dw) {
        final int cols = w.cols(), blocks = cols / 32;
        final MemorySegment m = w.data();
        final long rowBytes = w.rowBytes();
        for (int r = r0; r < r1; r++) {
            final int o = (r - r0) * cols;
            long groupScale = 0, groupQuants = 0;
            for (int c = 0; c < blocks; c++) {
                long scale, quants;
                if (w.interleaved()) {
                    if (c % 4 == 0) {   // a group's four blocks lie side by side, and so do their scales
                        groupScale = Matrix.interleavedScale(w.rows(), cols, r, c);
                        groupQuants = Matrix.interleavedQuants(w.rows(), cols, r, c);
                    }
                    scale = groupScale + 2 * (c % 4);
                    quants = groupQuants + 16 * (c % 4);
                } else {
                    scale = r * rowBytes + 18L * c;
                    quants = scale + 2;
                }
                dw[(r - r0) * blocks + c] = Quant.f16(m, scale);
                // byte j: value j in the low nibble, value j + 16 in the high one
                var b = ByteVector.fromMemorySegment(B16, m, quants, LE);
                var lo = b.and((byte) 0x0F);
                var hi = Dot.nibbles(b, 4);
                ((ShortVector) lo.convertShape(VectorOperators.B2S, S16, 0)).sub((short) 8).intoArray(wq, o + 32 * c);
                ((ShortVector) hi.convertShape(VectorOperators.B2S, S16, 0)).sub((short) 8).intoArray(wq, o + 32 * c + 16);
            }
        }
        int padded = (r1 - r0 + 3) & ~3;
        Arrays.fill(wq, (r1 - r0) * cols, padded * cols, (short) 0);
        Arrays.fill(dw, (r1 - r0) * blocks, padded * blocks, 0f);
    }

    /** Per-thread buffers: decoded weight rows, their scales, the float accumulators of a block of rows, a tile's block sums. */
    private static final class Buffers {
        short[] wq = new short[0];
        float[] dw = new float[0];
        float[] park = new float[0];
        final short[] sums = new short[16 * P];
    }

    /** Floats of the accumulators of one quad of weight rows times four panels ({@link #scaleBlock}'s layout). */
    private static final int QUAD_PARK = 16 * P;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * Prompt rows {@code [bFrom, bTo)}, packed by {@link #pack} into {@code panels} panels, times weight rows
     * {@code [from, to)} of {@code w}: {@code out[b * rows + r]}.
     */
    static void rows(Matrix w, short[] xs, float[] dxs, int panels, int bFrom, int bTo, float[] out, int from, int to) {
        final int cols = w.cols(), rows = w.rows(), blocks = cols / 32;
        final int block = Math.min(MAX_BLOCK_ROWS, Math.max(4, WEIGHT_BLOCK_BYTES / (2 * cols) & ~3));
        final Buffers buf = BUFFERS.get();
        if (buf.wq.length < block * cols) buf.wq = new short[block * cols];
        if (buf.dw.length < block * blocks) buf.dw = new float[block * blocks];
        if (buf.park.length < block / 4 * QUAD_PARK) buf.park = new float[block / 4 * QUAD_PARK];
        final short[] wq = buf.wq;
        final float[] dw = buf.dw, park = buf.park;
        for (int r0 = from; r0 < to; r0 += block) {
            final int r1 = Math.min(to, r0 + block), nr = r1 - r0, groups = (nr + 3) / 4;
            decode(w, r0, r1, wq, dw);
            for (int p0 = 0; p0 < panels; p0 += 4) {
                final int np = Math.min(4, panels - p0);
                Arrays.fill(park, 0, groups * QUAD_PARK, 0f);
                // column slices: the four panels' slice (512 KiB) stays in L2 while every quad of rows passes over it;
                // the blocks still reach each accumulator in order
                for (int k0 = 0; k0 < cols; k0 += K_SLICE) {
                    final int k1 = Math.min(cols, k0 + K_SLICE);
                    for (int g = 0; g < groups; g++) {
                        if (np == 4) {
                            tile4x4(wq, 4 * g * cols, dw, 4 * g * blocks, cols, k0, k1, xs, p0 * cols * P, dxs, p0 * blocks * P, park, g * QUAD_PARK, buf.sums);
                        } else if (np == 2) {
                            tile4x2(wq, 4 * g * cols, dw, 4 * g * blocks, cols, k0, k1, xs, p0 * cols * P, dxs, p0 * blocks * P, park, g * QUAD_PARK, buf.sums);
                        } else if (np == 1 && g + 1 < groups) {   // one panel: two quads at once, fewer calls and loop set-ups
                            tile8x1(wq, 4 * g * cols, dw, 4 * g * blocks, cols, k0, k1, xs, p0 * cols * P, dxs, p0 * blocks * P, park, g * QUAD_PARK, buf.sums);
                            g++;
                        } else {
                            for (int v = 0; v < np; v++) {
                                tile4x1(wq, 4 * g * cols, dw, 4 * g * blocks, cols, k0, k1, xs, (p0 + v) * cols * P, dxs, (p0 + v) * blocks * P, park, g * QUAD_PARK, v, buf.sums);
                            }
                        }
                    }
                }
                // an activation row's outputs for the block's weight rows are contiguous in out: written in order
                for (int v = 0; v < np; v++) {
                    for (int l = 0; l < P; l++) {
                        int b = bFrom + P * (p0 + v) + l;
                        if (b >= bTo) break;
                        int o = b * rows + r0, lane = (l & 1) * 16 + (l >> 1);
                        for (int r = 0; r < nr; r++) out[o + r] = park[(r >> 2) * QUAD_PARK + (4 * (r & 3) + v) * 2 * 16 + lane];
                    }
                }
            }
        }
    }

    /**
     * Weight rows at {@code wo + i * cols} (i < 4) times the panels at {@code po + v * cols * 32} (v < 4), the blocks of
     * columns {@code [kFrom, kTo)};
     * the float results of (i, v) go to {@code park[pk + (4i + v) * 32 ..]} ({@link #scaleBlock}).
     */
    private static void tile4x4(short[] wq, int wo, float[] dw, int dwo, int cols, int kFrom, int kTo, short[] xs, int po, float[] dxs, int dxo, float[] park, int pk, short[] sums) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, ps = cols * P;
        final int p1 = po + ps, p2 = p1 + ps, p3 = p2 + ps, blocks = cols / 32;
        for (int k0 = kFrom; k0 < kTo; k0 += 32) {
            var a00 = ShortVector.zero(S); var a01 = a00; var a02 = a00; var a03 = a00;
            var a10 = a00; var a11 = a00; var a12 = a00; var a13 = a00;
            var a20 = a00; var a21 = a00; var a22 = a00; var a23 = a00;
            var a30 = a00; var a31 = a00; var a32 = a00; var a33 = a00;
            for (int k = k0; k < k0 + 32; k++) {
                var x0 = ShortVector.fromArray(S, xs, po + k * P);
                var x1 = ShortVector.fromArray(S, xs, p1 + k * P);
                var x2 = ShortVector.fromArray(S, xs, p2 + k * P);
                var x3 = ShortVector.fromArray(S, xs, p3 + k * P);
                var s = ShortVector.broadcast(S, wq[wo + k]);
                a00 = a00.add(x0.mul(s)); a01 = a01.add(x1.mul(s)); a02 = a02.add(x2.mul(s)); a03 = a03.add(x3.mul(s));
                s = ShortVector.broadcast(S, wq[w1 + k]);
                a10 = a10.add(x0.mul(s)); a11 = a11.add(x1.mul(s)); a12 = a12.add(x2.mul(s)); a13 = a13.add(x3.mul(s));
                s = ShortVector.broadcast(S, wq[w2 + k]);
                a20 = a20.add(x0.mul(s)); a21 = a21.add(x1.mul(s)); a22 = a22.add(x2.mul(s)); a23 = a23.add(x3.mul(s));
                s = ShortVector.broadcast(S, wq[w3 + k]);
                a30 = a30.add(x0.mul(s)); a31 = a31.add(x1.mul(s)); a32 = a32.add(x2.mul(s)); a33 = a33.add(x3.mul(s));
            }
            // the sums go through memory to scaleBlock, a method of its own, so that this body stays small for C2
            // (16 accumulators, 4 panel vectors and a broadcast already take 21 of the 32 vector registers)
            a00.intoArray(sums, 0); a01.intoArray(sums, 32); a02.intoArray(sums, 64); a03.intoArray(sums, 96);
            a10.intoArray(sums, 128); a11.intoArray(sums, 160); a12.intoArray(sums, 192); a13.intoArray(sums, 224);
            a20.intoArray(sums, 256); a21.intoArray(sums, 288); a22.intoArray(sums, 320); a23.intoArray(sums, 352);
            a30.intoArray(sums, 384); a31.intoArray(sums, 416); a32.intoArray(sums, 448); a33.intoArray(sums, 480);
            scaleBlock(sums, 0, 4, dw, dwo, blocks, k0 / 32, dxs, dxo, park, pk, 0);
        }
    }

    /**
     * As {@link #tile4x4} for two panels (prompts of 33 to 64 rows): 8 sums, per column 2 loads and 4 broadcasts for 8
     * multiplies, where two one-panel tiles took a broadcast for every multiply. {@code MatMulBench} Q4_0 2,048 x 2,048,
     * 64 rows, one thread: 2,783 -> 2,463-2,538 us. A tile of 8 rows x 2 panels (16 sums) boxed its vectors in some JVM
     * runs: past C2's node budget (docs/kernels.md, "Boxing causes"). Three panels take three one-panel tiles: a 4 x 3
     * tile measured no faster (96 rows: 3,578-3,650 against 3,562 us); these tiles are bound by the 16-bit multiplies.
     */
    private static void tile4x2(short[] wq, int wo, float[] dw, int dwo, int cols, int kFrom, int kTo, short[] xs, int po, float[] dxs, int dxo, float[] park, int pk, short[] sums) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, p1 = po + cols * P, blocks = cols / 32;
        for (int k0 = kFrom; k0 < kTo; k0 += 32) {
            var a00 = ShortVector.zero(S); var a01 = a00; var a10 = a00; var a11 = a00;
            var a20 = a00; var a21 = a00; var a30 = a00; var a31 = a00;
            for (int k = k0; k < k0 + 32; k++) {
                var x0 = ShortVector.fromArray(S, xs, po + k * P);
                var x1 = ShortVector.fromArray(S, xs, p1 + k * P);
                var s = ShortVector.broadcast(S, wq[wo + k]);
                a00 = a00.add(x0.mul(s)); a01 = a01.add(x1.mul(s));
                s = ShortVector.broadcast(S, wq[w1 + k]);
                a10 = a10.add(x0.mul(s)); a11 = a11.add(x1.mul(s));
                s = ShortVector.broadcast(S, wq[w2 + k]);
                a20 = a20.add(x0.mul(s)); a21 = a21.add(x1.mul(s));
                s = ShortVector.broadcast(S, wq[w3 + k]);
                a30 = a30.add(x0.mul(s)); a31 = a31.add(x1.mul(s));
            }
            a00.intoArray(sums, 0); a01.intoArray(sums, 32); a10.intoArray(sums, 64); a11.intoArray(sums, 96);
            a20.intoArray(sums, 128); a21.intoArray(sums, 160); a30.intoArray(sums, 192); a31.intoArray(sums, 224);
            scaleBlock(sums, 0, 2, dw, dwo, blocks, k0 / 32, dxs, dxo, park, pk, 0);
        }
    }

    /**
     * As {@link #tile4x4} for the one panel at {@code po} (prompts of at most 32 rows) and the eight weight rows of two
     * quads: 8 sums, per column 1 load and 8 broadcasts for 8 multiplies, as many per multiply as {@link #tile4x1}, but
     * half the calls, loop set-ups and {@link #scaleBlock} calls per weight row: {@code MatMulBench} Q4_0 2,048 x 2,048,
     * 32 rows, one thread, 1,425 -> 1,265 us.
     */
    private static void tile8x1(short[] wq, int wo, float[] dw, int dwo, int cols, int kFrom, int kTo, short[] xs, int po, float[] dxs, int dxo, float[] park, int pk, short[] sums) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, w4 = w3 + cols, w5 = w4 + cols, w6 = w5 + cols, w7 = w6 + cols, ps = cols * P, blocks = cols / 32;
        for (int k0 = kFrom; k0 < kTo; k0 += 32) {
            var a00 = ShortVector.zero(S); var a10 = a00; var a20 = a00; var a30 = a00; var a40 = a00; var a50 = a00; var a60 = a00; var a70 = a00;
            for (int k = k0; k < k0 + 32; k++) {
                var x0 = ShortVector.fromArray(S, xs, po + k * P);
                a00 = a00.add(x0.mul(ShortVector.broadcast(S, wq[wo + k])));
                a10 = a10.add(x0.mul(ShortVector.broadcast(S, wq[w1 + k])));
                a20 = a20.add(x0.mul(ShortVector.broadcast(S, wq[w2 + k])));
                a30 = a30.add(x0.mul(ShortVector.broadcast(S, wq[w3 + k])));
                a40 = a40.add(x0.mul(ShortVector.broadcast(S, wq[w4 + k])));
                a50 = a50.add(x0.mul(ShortVector.broadcast(S, wq[w5 + k])));
                a60 = a60.add(x0.mul(ShortVector.broadcast(S, wq[w6 + k])));
                a70 = a70.add(x0.mul(ShortVector.broadcast(S, wq[w7 + k])));
            }
            a00.intoArray(sums, 0); a10.intoArray(sums, 32); a20.intoArray(sums, 64); a30.intoArray(sums, 96);
            a40.intoArray(sums, 128); a50.intoArray(sums, 160); a60.intoArray(sums, 192); a70.intoArray(sums, 224);
            scaleBlock(sums, 0, 1, dw, dwo, blocks, k0 / 32, dxs, dxo, park, pk, 0);
            scaleBlock(sums, 128, 1, dw, dwo + 4 * blocks, blocks, k0 / 32, dxs, dxo, park, pk + QUAD_PARK, 0);
        }
    }

    /** As {@link #tile4x4} for the one panel at {@code po}, whose results go to slot {@code v} of each row in {@code park}. */
    private static void tile4x1(short[] wq, int wo, float[] dw, int dwo, int cols, int kFrom, int kTo, short[] xs, int po, float[] dxs, int dxo, float[] park, int pk, int v, short[] sums) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, blocks = cols / 32;
        for (int k0 = kFrom; k0 < kTo; k0 += 32) {
            var a0 = ShortVector.zero(S); var a1 = a0; var a2 = a0; var a3 = a0;
            for (int k = k0; k < k0 + 32; k++) {
                var x = ShortVector.fromArray(S, xs, po + k * P);
                a0 = a0.add(x.mul(ShortVector.broadcast(S, wq[wo + k])));
                a1 = a1.add(x.mul(ShortVector.broadcast(S, wq[w1 + k])));
                a2 = a2.add(x.mul(ShortVector.broadcast(S, wq[w2 + k])));
                a3 = a3.add(x.mul(ShortVector.broadcast(S, wq[w3 + k])));
            }
            a0.intoArray(sums, 0); a1.intoArray(sums, 32); a2.intoArray(sums, 64); a3.intoArray(sums, 96);
            scaleBlock(sums, 0, 1, dw, dwo, blocks, k0 / 32, dxs, dxo, park, pk, v);
        }
    }

    /**
     * Adds block {@code c}'s 16-bit sums (weight row i, panel v at {@code sums[so + (i * nv + v) * 32]}) to the float
     * accumulators: {@code acc = (sum * d_w) * d_x + acc}. Seen as ints, a vector of sums holds even rows in the low
     * halves (taken out by a left and an arithmetic right shift) and odd rows in the high ones (one shift); their
     * scales are laid out alike ({@link #pack}). Row i, panel slot {@code v0 + v}, half h is at
     * {@code park[pk + ((4i + v0 + v) * 2 + h) * 16]}.
     */
    private static void scaleBlock(short[] sums, int so, int nv, float[] dw, int dwo, int blocks, int c, float[] dxs, int dxo, float[] park, int pk, int v0) {
        for (int i = 0; i < 4; i++) {
            var d = FloatVector.broadcast(F, dw[dwo + i * blocks + c]);
            for (int v = 0; v < nv; v++) {
                var s = ShortVector.fromArray(S, sums, so + 32 * (i * nv + v)).reinterpretAsInts();
                int at = pk + (4 * i + v0 + v) * 2 * 16, x = dxo + (v * blocks + c) * P;
                var even = (FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, F, 0);
                var odd = (FloatVector) s.lanewise(VectorOperators.ASHR, 16).convertShape(VectorOperators.I2F, F, 0);
                even.mul(d).fma(FloatVector.fromArray(F, dxs, x), FloatVector.fromArray(F, park, at)).intoArray(park, at);
                odd.mul(d).fma(FloatVector.fromArray(F, dxs, x + 16), FloatVector.fromArray(F, park, at + 16)).intoArray(park, at + 16);
            }
        }
    }
}
