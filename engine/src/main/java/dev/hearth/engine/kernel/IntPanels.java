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
 * Integer panel tiles for prompt rows of Q4_0 and Q4_K weights on 512-bit vectors: the outer-product tiles of
 * {@link Tiles#panelBlock} with 16-bit integers instead of floats, so that one vector multiply does 32
 * multiply-adds instead of 16.
 *
 * <p>The activations are the 8-bit quants of {@link Q8Activations} (the kind every path uses for the weight type:
 * Q8_0 with one scale per 32 values for Q4_0, Q8_K with one per 256 for Q4_K), packed 32 rows to a panel column by
 * column ({@link #pack}); the weights are their 4-bit quants minus 8, as shorts ({@link #decode}). Over one 32-value
 * block (a Q4_0 block, a Q4_K sub-block) a product of a weight ({@code -8..7}) and an activation
 * ({@code -127..127}) is at most 1016 in magnitude and the block's 32 of them at most 32512: the sum is exact in a
 * 16-bit lane. A tile of 4 weight rows x 4 panels keeps 16 such sums in registers (per column 4 loads, 4
 * broadcasts, 16 {@code vpmullw}, 16 {@code vpaddw} for 512 multiply-adds), and after each block adds them to
 * float accumulators ({@link #scaleBlock}): for Q4_0 {@code acc = (sum * d_w) * d_x + acc}, as llama.cpp scales
 * its integer block sums; for Q4_K, whose value is {@code d * sc * q - dmin * m} with {@code q = (q - 8) + 8},
 * {@code acc = (sum * A + bsum * B) * d_x + acc} with {@code A = d * sc}, {@code B = 8A - dmin * m} per weight
 * row and sub-block and {@code bsum} the activations' quant sum of the block.
 *
 * <p>Batch invariance: every output is that same sequence of float operations over the blocks in order,
 * whichever tile ({@link #tile4x4}, {@link #tile4x1}) and lane computes it.
 */
final class IntPanels {
    private IntPanels() {}

    /** Activation rows per panel: the 16-bit lanes of a 512-bit vector. */
    static final int P = 32;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
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
        return (w.type() == GgmlType.Q4_0 || w.type() == GgmlType.Q4_K) && Tiles.WIDE && Q8Kernels.WIDE;
    }

    /** Panels for {@code promptRows} activation rows. */
    static int panels(int promptRows) {
        return (promptRows + P - 1) / P;
    }

    /** Floats of {@link #pack}'s activation scales for {@code panels} panels of {@code a}'s rows. */
    static int scaleFloats(Q8Activations a, int panels) {
        return panels * (a.cols / a.kind.block()) * P;
    }

    /**
     * Panels {@code [pFrom, pTo)} of the activation rows {@code [bFrom, bTo)} of {@code a}: quants at
     * {@code xs[(p * cols + k) * 32 + l]} for row {@code bFrom + 32p + l}, column k; the scales of panel p, scale block s
     * ({@code a.kind().block()} values) at {@code dxs[(p * scaleBlocks + s) * 32 ..]}, even rows of the panel
     * ({@code 2j}) in the first 16 floats and odd ones ({@code 2j + 1}) in the last 16: the order in which a tile takes
     * its 16-bit sums out (see {@link #scaleBlock}). For the Q8_K kind also each 32-value block's quant sum, as a float,
     * at {@code bsx[(p * blocks + c) * 32 ..]} in the same order (null for Q8_0). Lanes past {@code bTo} hold zeros.
     */
    static void pack(Q8Activations a, int bFrom, int bTo, short[] xs, float[] dxs, float[] bsx, int pFrom, int pTo) {
        final int cols = a.cols, blocks = cols / 32, scaleBlocks = cols / a.kind.block();
        final short[] q = a.q;
        final float[] d = a.d;
        final int[] bsum = a.bsum32;
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
            for (int c = 0; c < scaleBlocks; c++) {
                int at = (p * scaleBlocks + c) * P;
                for (int l = 0; l < P; l++) dxs[at + 16 * (l & 1) + (l >> 1)] = l < n ? d[(b0 + l) * scaleBlocks + c] : 0f;
            }
            if (bsx != null) {
                for (int c = 0; c < blocks; c++) {
                    int at = (p * blocks + c) * P;
                    for (int l = 0; l < P; l++) bsx[at + 16 * (l & 1) + (l >> 1)] = l < n ? bsum[(b0 + l) * blocks + c] : 0f;
                }
            }
        }
    }

    /**
     * Rows {@code [r0, r1)} of a Q4_0 (either layout) or Q4_K matrix as shorts {@code q - 8} at
     * {@code wq[(r - r0) * cols + k]}; per 32-value block c, at {@code [(r - r0) * blocks + c]}, the block's scale in
     * {@code dw} (Q4_0), or {@code A = d * sc} in {@code dw} and {@code B = 8A - dmin * m} in {@code dm} (Q4_K). The
     * rows up to the next multiple of 4 are zeros.
     */
    static void decode(Matrix w, int r0, int r1, short[] wq, float[] dw, float[] dm) {
        final int cols = w.cols(), blocks = cols / 32;
        if (w.type() == GgmlType.Q4_K) {
            decodeQ4_K(w, r0, r1, wq, dw, dm);
        } else {
            decodeQ4_0(w, r0, r1, wq, dw);
        }
        int padded = (r1 - r0 + 3) & ~3;
        Arrays.fill(wq, (r1 - r0) * cols, padded * cols, (short) 0);
        Arrays.fill(dw, (r1 - r0) * blocks, padded * blocks, 0f);
        if (dm != null) Arrays.fill(dm, (r1 - r0) * blocks, padded * blocks, 0f);
    }

    private static void decodeQ4_0(Matrix w, int r0, int r1, short[] wq, float[] dw) {
        final int cols = w.cols(), blocks = cols / 32;
        final MemorySegment m = w.data();
        final long rowBytes = w.rowBytes();
        for (int r = r0; r < r1; r++) {
            final int o = (r - r0) * cols;
            for (int c = 0; c < blocks; c++) {
                long scale, quants;
                if (w.interleaved()) {
                    scale = Matrix.interleavedScale(cols, r, c);
                    quants = Matrix.interleavedQuants(cols, r, c);
                } else {
                    scale = r * rowBytes + 18L * c;
                    quants = scale + 2;
                }
                dw[(r - r0) * blocks + c] = Quant.f16(m, scale);
                // byte j: value j in the low nibble, value j + 16 in the high one (shifted as ints, then masked)
                var b = ByteVector.fromMemorySegment(B16, m, quants, LE);
                var lo = b.and((byte) 0x0F);
                var hi = b.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                ((ShortVector) lo.convertShape(VectorOperators.B2S, S16, 0)).sub((short) 8).intoArray(wq, o + 32 * c);
                ((ShortVector) hi.convertShape(VectorOperators.B2S, S16, 0)).sub((short) 8).intoArray(wq, o + 32 * c + 16);
            }
        }
    }

    /** Q4_K: sub-block j of a super-block is the low (j even) or high (j odd) nibbles of its 32 bytes {@code 16 + 32 (j / 2)}. */
    private static void decodeQ4_K(Matrix w, int r0, int r1, short[] wq, float[] dw, float[] dm) {
        final int cols = w.cols(), blocks = cols / 32;
        final MemorySegment m = w.data();
        final long rowBytes = w.rowBytes();
        for (int r = r0; r < r1; r++) {
            final int o = (r - r0) * cols, bo = (r - r0) * blocks;
            for (int sb = 0; sb < cols / 256; sb++) {
                long p = r * rowBytes + 144L * sb;
                float d = Quant.f16(m, p), dmin = Quant.f16(m, p + 2);
                long lo = m.get(Quant.I64, p + 4);
                int hi = m.get(Quant.I32, p + 12);
                long scales = Quant.kScales(lo, hi), mins = Quant.kMins(lo, hi);
                for (int j = 0; j < 8; j++) {
                    int c = 8 * sb + j;
                    float a = d * (int) (scales >>> 8 * j & 0xFF);
                    dw[bo + c] = a;
                    dm[bo + c] = 8f * a - dmin * (int) (mins >>> 8 * j & 0xFF);
                    var b = ByteVector.fromMemorySegment(B32, m, p + 16 + 32L * (j >> 1), LE);
                    var q = (j & 1) == 0 ? b.and((byte) 0x0F) : b.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and((byte) 0x0F);
                    ((ShortVector) q.convertShape(VectorOperators.B2S, S, 0)).sub((short) 8).intoArray(wq, o + 32 * c);
                }
            }
        }
    }

    /**
     * Per-thread buffers (decoded weight rows, their block scales, the float accumulators of a block of rows, a tile's
     * block sums) and where the tile being run finds its scales and accumulators ({@link #scaleBlock}).
     */
    private static final class Buffers {
        short[] wq = new short[0];
        /** Per weight row and block: Q4_0's scale, or Q4_K's {@code A}; Q4_K's {@code B} ({@code dm}, null for Q4_0). */
        float[] dw = new float[0], dmBuffer = new float[0], dm;
        float[] park = new float[0];
        final short[] sums = new short[16 * P];
        /** The activations' scales and (Q8_K) block sums ({@link #pack}); blocks per row, and per activation scale as a shift. */
        float[] dxs, bsx;
        int blocks, scaleShift;
        /** Set before each tile: the offsets of its first weight row's scales, its first panel's scales and sums, its accumulators. */
        int dwo, dxo, bso, pk;
    }

    /** Floats of the accumulators of one quad of weight rows times four panels ({@link #scaleBlock}'s layout). */
    private static final int QUAD_PARK = 16 * P;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * Prompt rows {@code [bFrom, bTo)}, packed by {@link #pack} into {@code panels} panels, times weight rows
     * {@code [from, to)} of {@code w}: {@code out[b * rows + r]}.
     */
    static void rows(Matrix w, short[] xs, float[] dxs, float[] bsx, int panels, int bFrom, int bTo, float[] out, int from, int to) {
        final int cols = w.cols(), rows = w.rows(), blocks = cols / 32;
        final boolean kQuant = w.type() == GgmlType.Q4_K;
        final int block = Math.min(MAX_BLOCK_ROWS, Math.max(4, WEIGHT_BLOCK_BYTES / (2 * cols) & ~3));
        final Buffers buf = BUFFERS.get();
        if (buf.wq.length < block * cols) buf.wq = new short[block * cols];
        if (buf.dw.length < block * blocks) buf.dw = new float[block * blocks];
        if (kQuant && buf.dmBuffer.length < block * blocks) buf.dmBuffer = new float[block * blocks];
        if (buf.park.length < block / 4 * QUAD_PARK) buf.park = new float[block / 4 * QUAD_PARK];
        buf.dm = kQuant ? buf.dmBuffer : null;
        buf.dxs = dxs;
        buf.bsx = kQuant ? bsx : null;
        buf.blocks = blocks;
        buf.scaleShift = kQuant ? 3 : 0;
        final int scaleBlocks = blocks >> buf.scaleShift;
        final short[] wq = buf.wq;
        final float[] park = buf.park;
        for (int r0 = from; r0 < to; r0 += block) {
            final int r1 = Math.min(to, r0 + block), nr = r1 - r0, groups = (nr + 3) / 4;
            decode(w, r0, r1, wq, buf.dw, buf.dm);
            for (int p0 = 0; p0 < panels; p0 += 4) {
                final int np = Math.min(4, panels - p0);
                Arrays.fill(park, 0, groups * QUAD_PARK, 0f);
                // column slices: the four panels' slice (512 KiB) stays in L2 while every quad of rows passes over it;
                // the blocks still reach each accumulator in order
                for (int k0 = 0; k0 < cols; k0 += K_SLICE) {
                    final int k1 = Math.min(cols, k0 + K_SLICE);
                    for (int g = 0; g < groups; g++) {
                        buf.dwo = 4 * g * blocks;
                        buf.pk = g * QUAD_PARK;
                        if (np == 4) {
                            buf.dxo = p0 * scaleBlocks * P;
                            buf.bso = p0 * blocks * P;
                            tile4x4(wq, 4 * g * cols, cols, k0, k1, xs, p0 * cols * P, buf);
                        } else {
                            for (int v = 0; v < np; v++) {
                                buf.dxo = (p0 + v) * scaleBlocks * P;
                                buf.bso = (p0 + v) * blocks * P;
                                tile4x1(wq, 4 * g * cols, cols, k0, k1, xs, (p0 + v) * cols * P, v, buf);
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
     * each block's sums go to {@link #scaleBlock}.
     */
    private static void tile4x4(short[] wq, int wo, int cols, int kFrom, int kTo, short[] xs, int po, Buffers buf) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols, ps = cols * P;
        final int p1 = po + ps, p2 = p1 + ps, p3 = p2 + ps;
        final short[] sums = buf.sums;
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
            // the sums go through memory to scaleBlock: converted here, the body ran past what C2 keeps in registers
            a00.intoArray(sums, 0); a01.intoArray(sums, 32); a02.intoArray(sums, 64); a03.intoArray(sums, 96);
            a10.intoArray(sums, 128); a11.intoArray(sums, 160); a12.intoArray(sums, 192); a13.intoArray(sums, 224);
            a20.intoArray(sums, 256); a21.intoArray(sums, 288); a22.intoArray(sums, 320); a23.intoArray(sums, 352);
            a30.intoArray(sums, 384); a31.intoArray(sums, 416); a32.intoArray(sums, 448); a33.intoArray(sums, 480);
            scaleBlock(sums, 4, k0 / 32, 0, buf);
        }
    }

    /** As {@link #tile4x4} for the one panel at {@code po}, whose results go to panel slot {@code v} of the accumulators. */
    private static void tile4x1(short[] wq, int wo, int cols, int kFrom, int kTo, short[] xs, int po, int v, Buffers buf) {
        final int w1 = wo + cols, w2 = w1 + cols, w3 = w2 + cols;
        final short[] sums = buf.sums;
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
            scaleBlock(sums, 1, k0 / 32, v, buf);
        }
    }

    /**
     * Adds block {@code c}'s 16-bit sums (weight row i, panel v at {@code sums[(i * nv + v) * 32]}) to the float
     * accumulators: {@code acc = (sum * d_w) * d_x + acc} (Q4_0), {@code acc = (bsum * B + sum * A) * d_x + acc}
     * (Q4_K, see the class comment). Seen as ints, a vector of sums holds even rows in the low halves (taken out by
     * a left and an arithmetic right shift) and odd rows in the high ones (one shift); the activations' scales and
     * sums are laid out alike ({@link #pack}). Row i, panel slot {@code v0 + v}, half h is at
     * {@code park[pk + ((4i + v0 + v) * 2 + h) * 16]}.
     */
    private static void scaleBlock(short[] sums, int nv, int c, int v0, Buffers buf) {
        final float[] dw = buf.dw, dm = buf.dm, dxs = buf.dxs, bsx = buf.bsx, park = buf.park;
        final int blocks = buf.blocks, scaleBlocks = blocks >> buf.scaleShift, cs = c >> buf.scaleShift;
        for (int i = 0; i < 4; i++) {
            final int wc = buf.dwo + i * blocks + c;
            var d = FloatVector.broadcast(F, dw[wc]);
            for (int v = 0; v < nv; v++) {
                var s = ShortVector.fromArray(S, sums, 32 * (i * nv + v)).reinterpretAsInts();
                int at = buf.pk + (4 * i + v0 + v) * 2 * 16, x = buf.dxo + (v * scaleBlocks + cs) * P;
                var even = ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).mul(d);
                var odd = ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).mul(d);
                if (dm != null) {
                    var b = FloatVector.broadcast(F, dm[wc]);
                    int bx = buf.bso + (v * blocks + c) * P;
                    even = FloatVector.fromArray(F, bsx, bx).fma(b, even);
                    odd = FloatVector.fromArray(F, bsx, bx + 16).fma(b, odd);
                }
                even.fma(FloatVector.fromArray(F, dxs, x), FloatVector.fromArray(F, park, at)).intoArray(park, at);
                odd.fma(FloatVector.fromArray(F, dxs, x + 16), FloatVector.fromArray(F, park, at + 16)).intoArray(park, at + 16);
            }
        }
    }
}
