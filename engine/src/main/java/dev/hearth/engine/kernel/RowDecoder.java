package dev.hearth.engine.kernel;

import static dev.hearth.engine.kernel.Dot.F;
import static dev.hearth.engine.kernel.Dot.L;
import static dev.hearth.engine.kernel.Dot.LE;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized dequantization into a float buffer, for every supported type: used by the batched
 * matmul (a row is decoded once and used for many activation rows) and by {@link Dot} for the types
 * it has no in-register decoder for. Same values as {@link Quant#dequantize} (the reference) up to
 * float rounding of the scale products. Bytes are loaded {@link Dot#L} at a time and widened to
 * float without changing the lane count (the fast conversion); sub-byte fields are extracted with
 * shifts on the same bytes seen as ints, then masked (x86 has no byte shifts).
 */
final class RowDecoder {
    private RowDecoder() {}

    /** Bytes with as many lanes as {@link Dot#F}, so {@code B2F} keeps the lane count (part 0 only: fast). */
    private static final VectorSpecies<Byte> BL = Dot.B_L;

    static void decode(GgmlType type, MemorySegment w, long offset, float[] dst, int n) {
        switch (type) {
            case F32 -> MemorySegment.copy(w, Quant.F32, offset, dst, 0, n);
            case F16 -> f16(w, offset, dst, n);
            case BF16 -> bf16(w, offset, dst, n);
            default -> {
                if (!Dot.VECTOR_QUANTS) {
                    Quant.dequantize(type, w, offset, dst, 0, n);
                    return;
                }
                switch (type) {
                    case Q8_0 -> q8_0(w, offset, dst, n);
                    case Q4_0 -> q4_0(w, offset, dst, n);
                    case Q4_1 -> q4_1(w, offset, dst, n);
                    case Q5_0 -> q5_0(w, offset, dst, n);
                    case Q5_1 -> q5_1(w, offset, dst, n);
                    case Q2_K -> q2_K(w, offset, dst, n);
                    case Q3_K -> q3_K(w, offset, dst, n);
                    case Q4_K -> q4_K(w, offset, dst, n);
                    case Q5_K -> q5_K(w, offset, dst, n);
                    case Q6_K -> q6_K(w, offset, dst, n);
                    default -> Quant.dequantize(type, w, offset, dst, 0, n);
                }
            }
        }
    }

    /** A plain loop: C2 vectorizes {@code Float.float16ToFloat} itself (vcvtph2ps), faster than the Vector API emulation. */
    static void f16(MemorySegment w, long offset, float[] dst, int n) {
        for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(w.get(Quant.I16, offset + 2L * i));
    }

    private static void bf16(MemorySegment w, long offset, float[] dst, int n) {
        int i = 0;
        for (; i <= n - L; i += L) Dot.bf16ToFloat(w, offset + 2L * i).intoArray(dst, i);
        for (; i < n; i++) dst[i] = Quant.bf16(w.get(Quant.I16, offset + 2L * i));
    }

    private static FloatVector toFloat(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, 0);
    }

    private static void q8_0(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 34L * b;
            var d = FloatVector.broadcast(F, Quant.f16(w, p));
            for (int j = 0; j < 32; j += L) toFloat(ByteVector.fromMemorySegment(BL, w, p + 2 + j, LE)).mul(d).intoArray(dst, 32 * b + j);
        }
    }

    /** Rows {@code [r0, r1)} of a {@code rows x cols} Q8_0 matrix in groups ({@link Matrix#interleaved}) into {@code dst[dstOff..]}: the values of {@link #q8_0}. */
    static void q8_0Groups(MemorySegment w, int rows, int cols, int r0, int r1, float[] dst, int dstOff) {
        for (int r = r0; r < r1; r++) {
            for (int b = 0; b < cols / 32; b++) {
                int s = Matrix.slice(cols / 32, Matrix.Q8_0_SLICE_BLOCKS, b), first = Matrix.Q8_0_SLICE_BLOCKS * s;
                int inSlice = Matrix.sliceUnits(cols / 32, Matrix.Q8_0_SLICE_BLOCKS, s);
                long row = 34 * Matrix.sliceRow(rows, cols / 32, Matrix.Q8_0_SLICE_BLOCKS, s, r);
                var d = FloatVector.broadcast(F, Quant.f16(w, Matrix.q8_0GroupScale(row, inSlice, b - first)));
                long q = Matrix.q8_0GroupQuants(row, inSlice, b - first);
                int o = dstOff + cols * (r - r0) + 32 * b;
                for (int j = 0; j < 32; j += L) toFloat(ByteVector.fromMemorySegment(BL, w, q + j, LE)).mul(d).intoArray(dst, o + j);
            }
        }
    }

    private static void q4_0(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 18L * b;
            q4_0Block(w, p + 2, Quant.f16(w, p), dst, 32 * b);
        }
    }

    /** A Q4_0 block's 32 values, {@code d * (n - 8)} (exact in float), from its 16 quant bytes at {@code p}. */
    private static void q4_0Block(MemorySegment w, long p, float d, float[] dst, int o) {
        var dv = FloatVector.broadcast(F, d);
        var off = FloatVector.broadcast(F, -8f * d);
        for (int j = 0; j < 16; j += L) {
            var q = ByteVector.fromMemorySegment(BL, w, p + j, LE);
            toFloat(q.and((byte) 0x0F)).fma(dv, off).intoArray(dst, o + j);
            toFloat(Dot.nibbles(q, 4)).fma(dv, off).intoArray(dst, o + 16 + j);
        }
    }

    /** Rows {@code [r0, r1)} of an interleaved Q4_0 matrix ({@link Matrix#interleaved}) into {@code dst[dstOff..]}: the values of {@link #q4_0}. */
    static void q4_0Interleaved(MemorySegment w, int rows, int cols, int r0, int r1, float[] dst, int dstOff) {
        for (int r = r0; r < r1; r++) {
            int o = dstOff + (r - r0) * cols;
            for (int b = 0; b < cols / 32; b++) {
                q4_0Block(w, Matrix.interleavedQuants(rows, cols, r, b), Quant.f16(w, Matrix.interleavedScale(rows, cols, r, b)), dst, o + 32 * b);
            }
        }
    }

    private static void q4_1(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 20L * b;
            var dv = FloatVector.broadcast(F, Quant.f16(w, p));
            var mv = FloatVector.broadcast(F, Quant.f16(w, p + 2));
            for (int j = 0; j < 16; j += L) {
                var q = ByteVector.fromMemorySegment(BL, w, p + 4 + j, LE);
                toFloat(q.and((byte) 0x0F)).fma(dv, mv).intoArray(dst, 32 * b + j);
                toFloat(Dot.nibbles(q, 4)).fma(dv, mv).intoArray(dst, 32 * b + 16 + j);
            }
        }
    }

    /** Lane indexes 0..L-1, for per-lane variable shifts (vpsrlvd). */
    private static final IntVector IOTA = IntVector.zero(IntVector.SPECIES_PREFERRED).addIndex(1);

    /** Bits {@code bit0 .. bit0+L-1} of {@code bits} as 0/1 floats, one per lane. */
    private static FloatVector bitsToFloat(int bits, int bit0) {
        return (FloatVector) IntVector.broadcast(Dot.I, bits >>> bit0).lanewise(VectorOperators.LSHR, IOTA).and(1)
                .convertShape(VectorOperators.I2F, F, 0);
    }

    /** Q5_0: x = d * ((nibble | bit << 4) - 16); bit i of the 32-bit qh belongs to element i. */
    private static void q5_0(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 22L * b;
            float d = Quant.f16(w, p);
            int qh = w.get(Quant.I32, p + 2);
            var dv = FloatVector.broadcast(F, d);
            var off = FloatVector.broadcast(F, -16f * d);
            var d16 = FloatVector.broadcast(F, 16f * d);
            for (int j = 0; j < 16; j += L) {
                var q = ByteVector.fromMemorySegment(BL, w, p + 6 + j, LE);
                bitsToFloat(qh, j).fma(d16, toFloat(q.and((byte) 0x0F)).fma(dv, off)).intoArray(dst, 32 * b + j);
                bitsToFloat(qh, 16 + j).fma(d16, toFloat(Dot.nibbles(q, 4)).fma(dv, off)).intoArray(dst, 32 * b + 16 + j);
            }
        }
    }

    /** Q5_1: x = d * (nibble | bit << 4) + m. */
    private static void q5_1(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 24L * b;
            float d = Quant.f16(w, p);
            int qh = w.get(Quant.I32, p + 4);
            var dv = FloatVector.broadcast(F, d);
            var mv = FloatVector.broadcast(F, Quant.f16(w, p + 2));
            var d16 = FloatVector.broadcast(F, 16f * d);
            for (int j = 0; j < 16; j += L) {
                var q = ByteVector.fromMemorySegment(BL, w, p + 8 + j, LE);
                bitsToFloat(qh, j).fma(d16, toFloat(q.and((byte) 0x0F)).fma(dv, mv)).intoArray(dst, 32 * b + j);
                bitsToFloat(qh, 16 + j).fma(d16, toFloat(Dot.nibbles(q, 4)).fma(dv, mv)).intoArray(dst, 32 * b + 16 + j);
            }
        }
    }

    /**
     * Q2_K: sub-block k of 16 (half h = k/8, pair j = (k%8)/2) holds bits 2j..2j+1 of
     * {@code qs[32h + 16(k%2) + e]}; x = d * (sc & 15) * q - dmin * (sc >> 4).
     */
    private static void q2_K(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 84L * b;
            float d = Quant.f16(w, p + 80), dmin = Quant.f16(w, p + 82);
            for (int k = 0; k < 16; k++) {
                int sc = Quant.u8(w, p + k);
                var dv = FloatVector.broadcast(F, d * (sc & 0xF));
                var mv = FloatVector.broadcast(F, -dmin * (sc >>> 4));
                long q = p + 16 + 32L * (k >> 3) + 16 * (k & 1);
                int shift = 2 * ((k >> 1) & 3);
                for (int e = 0; e < 16; e += L) {
                    var v = ByteVector.fromMemorySegment(BL, w, q + e, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift).and(0x03030303).reinterpretAsBytes();
                    toFloat(v).fma(dv, mv).intoArray(dst, 256 * b + 16 * k + e);
                }
            }
        }
    }

    /**
     * Q3_K: sub-block k of 16 as in Q2_K for the 2 low bits (from qs), plus bit {@code 4h + j} of
     * {@code hmask[16(k%2) + e]} as bit 2; x = d * (scale_k - 32) * (q - 4).
     */
    private static void q3_K(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 110L * b;
            float d = Quant.f16(w, p + 108);
            long packed = w.get(Quant.I64, p + 96);
            int top = w.get(Quant.I32, p + 104);
            long scales0 = Quant.q3kScales(packed, top, 0), scales1 = Quant.q3kScales(packed, top, 1);
            for (int k = 0; k < 16; k++) {
                float dl = d * ((int) ((k < 8 ? scales0 : scales1) >>> 8 * (k & 7) & 0xFF) - 32);
                var dv = FloatVector.broadcast(F, dl);
                var off = FloatVector.broadcast(F, -4f * dl);
                int h = k >> 3, j = (k >> 1) & 3, l0 = 16 * (k & 1);
                for (int e = 0; e < 16; e += L) {
                    var lo = ByteVector.fromMemorySegment(BL, w, p + 32 + 32L * h + l0 + e, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, 2 * j).and(0x03030303);
                    var hb = ByteVector.fromMemorySegment(BL, w, p + l0 + e, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, 4 * h + j).and(0x01010101).lanewise(VectorOperators.LSHL, 2);
                    toFloat(lo.or(hb).reinterpretAsBytes()).fma(dv, off).intoArray(dst, 256 * b + 16 * k + e);
                }
            }
        }
    }

    private static void q4_K(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 144L * b, sc = p + 4, qs = p + 16;
            float d = Quant.f16(w, p), dmin = Quant.f16(w, p + 2);
            long lo = w.get(Quant.I64, sc);
            int hi = w.get(Quant.I32, sc + 8);
            long scales = Quant.kScales(lo, hi), mins = Quant.kMins(lo, hi);
            for (int j = 0; j < 8; j++) {
                var dv = FloatVector.broadcast(F, d * (int) (scales >>> 8 * j & 0xFF));
                var mv = FloatVector.broadcast(F, -dmin * (int) (mins >>> 8 * j & 0xFF));
                long q = qs + 32L * (j >> 1);
                int shift = 4 * (j & 1);
                for (int k = 0; k < 32; k += L) {
                    toFloat(Dot.nibbles(ByteVector.fromMemorySegment(BL, w, q + k, LE), shift)).fma(dv, mv).intoArray(dst, 256 * b + 32 * j + k);
                }
            }
        }
    }

    /** Lanes 8-15 of {@link #BL}, which has 16 lanes wherever the sub-block layout exists (512-bit vectors); null elsewhere. */
    private static final VectorMask<Byte> UPPER_HALF = BL != null && BL.length() == 16 ? VectorMask.fromLong(BL, 0xFF00L) : null;

    /**
     * Sub-block {@code sb}'s 16 quant bytes (Q4_0 order) of a Q4_K or Q5_K super-block in the sub-block layout whose
     * quants start at {@code qs}: bytes 0-7 of a load at {@code 8 sb} of the first half, bytes 8-15 of a load ending at
     * {@code 8 sb + 8} of the second, blended.
     */
    private static ByteVector subBlockQuants(MemorySegment w, long qs, int sb) {
        return ByteVector.fromMemorySegment(BL, w, qs + 8 * sb, LE).blend(ByteVector.fromMemorySegment(BL, w, qs + 56 + 8 * sb, LE), UPPER_HALF);
    }

    /** Rows {@code [r0, r1)} of a {@code rows x cols} Q4_K or Q5_K matrix in sub-blocks (in slices, {@link Matrix#K_SLICE_BLOCKS}) into {@code dst[dstOff..]}. */
    static void kSlices(GgmlType type, MemorySegment w, int rows, int cols, int r0, int r1, float[] dst, int dstOff) {
        final boolean q5 = type == GgmlType.Q5_K;
        for (int r = r0; r < r1; r++) {
            for (int s = 0; s < Matrix.slices(cols / 256, Matrix.K_SLICE_BLOCKS); s++) {
                long at = (q5 ? Matrix.Q5_K_SPLIT_BYTES : Matrix.Q4_K_SPLIT_BYTES) * Matrix.sliceRow(rows, cols / 256, Matrix.K_SLICE_BLOCKS, s, r);
                int o = dstOff + cols * (r - r0) + 256 * Matrix.K_SLICE_BLOCKS * s, n = 256 * Matrix.sliceUnits(cols / 256, Matrix.K_SLICE_BLOCKS, s);
                if (q5) q5_KSplit(w, at, dst, o, n);
                else q4_KSplit(w, at, dst, o, n);
            }
        }
    }

    /**
     * {@code n} values of Q4_K in the sub-block layout ({@link Matrix#interleaved}; 512-bit vectors only) from
     * {@code offset} into {@code dst[dstOff..]}: the values of {@link #q4_K}. Each sub-block's 16 bytes
     * ({@link #subBlockQuants}) as a Q4_0 block with the sub-block's scale and min.
     */
    static void q4_KSplit(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long p = offset + Matrix.Q4_K_SPLIT_BYTES * b, qs = p + 20;
            int dm = w.get(Quant.I32, p + 16);
            float d = Float.float16ToFloat((short) dm), dmin = Float.float16ToFloat((short) (dm >>> 16));
            for (int sb = 0; sb < 8; sb++) {
                // d * scale and -dmin * min, exact products as in q4_K
                var dv = FloatVector.broadcast(F, d * Quant.u8(w, p + 8 + sb));
                var mv = FloatVector.broadcast(F, -dmin * Quant.u8(w, p + sb));
                var q = subBlockQuants(w, qs, sb);
                int o = dstOff + 256 * b + 32 * sb;
                toFloat(q.and((byte) 0x0F)).fma(dv, mv).intoArray(dst, o);
                toFloat(Dot.nibbles(q, 4)).fma(dv, mv).intoArray(dst, o + 16);
            }
        }
    }

    /** Rows {@code [r0, r1)} of a matrix in its decode layout ({@link Matrix#interleaved}) into {@code dst[dstOff..]}: its values, by the layout's decoder. */
    static void layout(Matrix m, int r0, int r1, float[] dst, int dstOff) {
        switch (m.type()) {
            case Q4_0 -> q4_0Interleaved(m.data(), m.rows(), m.cols(), r0, r1, dst, dstOff);
            case Q8_0 -> q8_0Groups(m.data(), m.rows(), m.cols(), r0, r1, dst, dstOff);
            case Q4_K, Q5_K -> kSlices(m.type(), m.data(), m.rows(), m.cols(), r0, r1, dst, dstOff);
            case Q6_K -> q6_KSplit(m.data(), r0 * m.rowBytes(), dst, dstOff, (r1 - r0) * m.cols());
            default -> throw new IllegalArgumentException("no decode layout for " + m.type());
        }
    }

    /**
     * Per value {@code v} of a Q5_K sub-block in the sub-block layout (values 0-15, and 16-31): the position of its fifth
     * bit in the sub-block's int of them, {@code 8m + j + 2h + 4c} for {@code v = 2m + j + 8h + 16c} ({@link Matrix}).
     */
    private static final IntVector Q5_SPLIT_LOW = UPPER_HALF == null ? null : q5SplitShifts(0),
            Q5_SPLIT_HIGH = UPPER_HALF == null ? null : q5SplitShifts(16);

    private static IntVector q5SplitShifts(int first) {
        int[] shifts = new int[16];
        for (int t = 0; t < 16; t++) {
            int v = first + t;
            shifts[t] = 8 * (v % 8 / 2) + v % 2 + 2 * (v % 16 / 8) + 4 * (v / 16);
        }
        return IntVector.fromArray(Q8Kernels.I16, shifts, 0);
    }

    /**
     * {@code n} values of Q5_K in the sub-block layout ({@link Matrix#interleaved}; 512-bit vectors only), the values
     * of {@link #q5_K}: the low 4 bits as in {@link #q4_KSplit}, the fifth bits from the sub-block's int of them,
     * broadcast and shifted lane by lane. (Both halves written out: a vector chosen by a branch can make C2 box it.)
     */
    static void q5_KSplit(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long p = offset + Matrix.Q5_K_SPLIT_BYTES * b, qs = p + 20;
            int dm = w.get(Quant.I32, p + 16);
            float d = Float.float16ToFloat((short) dm), dmin = Float.float16ToFloat((short) (dm >>> 16));
            for (int sb = 0; sb < 8; sb++) {
                var dv = FloatVector.broadcast(Q8Kernels.F16, d * Quant.u8(w, p + 8 + sb));
                var mv = FloatVector.broadcast(Q8Kernels.F16, -dmin * Quant.u8(w, p + sb));
                var q = subBlockQuants(w, qs, sb);
                var fifth = IntVector.broadcast(Q8Kernels.I16, w.get(Quant.I32, p + 148 + 4 * sb));
                int o = dstOff + 256 * b + 32 * sb;
                var low = ((IntVector) q.and((byte) 0x0F).convertShape(VectorOperators.B2I, Q8Kernels.I16, 0))
                        .or(fifth.lanewise(VectorOperators.LSHR, Q5_SPLIT_LOW).and(1).lanewise(VectorOperators.LSHL, 4));
                ((FloatVector) low.convertShape(VectorOperators.I2F, Q8Kernels.F16, 0)).fma(dv, mv).intoArray(dst, o);
                var high = ((IntVector) Dot.nibbles(q, 4).convertShape(VectorOperators.B2I, Q8Kernels.I16, 0))
                        .or(fifth.lanewise(VectorOperators.LSHR, Q5_SPLIT_HIGH).and(1).lanewise(VectorOperators.LSHL, 4));
                ((FloatVector) high.convertShape(VectorOperators.I2F, Q8Kernels.F16, 0)).fma(dv, mv).intoArray(dst, o + 16);
            }
        }
    }

    /** Per value {@code t} of a Q6_K sub-block in the sub-block layout: the shift of its low 4 bits in its int of {@code ql}, and of its high 2 bits in its int of {@code qh}. */
    private static final IntVector Q6_SPLIT_LOW = UPPER_HALF == null ? null : IntVector.fromArray(Q8Kernels.I16, q6SplitShifts(false), 0),
            Q6_SPLIT_HIGH = UPPER_HALF == null ? null : IntVector.fromArray(Q8Kernels.I16, q6SplitShifts(true), 0);
    private static final VectorMask<Integer> UPPER_8_INTS = UPPER_HALF == null ? null : VectorMask.fromLong(Q8Kernels.I16, 0xFF00L);

    private static int[] q6SplitShifts(boolean high) {
        int[] shifts = new int[16];
        for (int t = 0; t < 16; t++) shifts[t] = high ? 8 * (2 * (t % 8 / 4) + t / 8) + 2 * (t % 4) : 4 * (t % 8);
        return shifts;
    }

    /**
     * {@code n} values of Q6_K in the sub-block layout ({@link Matrix#interleaved}; 512-bit vectors only), the values
     * of {@link #q6_K}: per sub-block, its two ints of low bits (values 0-7, 8-15) and its int of high bits
     * broadcast to 16 lanes and each lane shifted to its own value.
     */
    static void q6_KSplit(MemorySegment w, long offset, float[] dst, int dstOff, int n) {
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 210L * b;
            float d = Quant.f16(w, p + 208);
            for (int s = 0; s < 16; s++) {
                var low = IntVector.broadcast(Q8Kernels.I16, w.get(Quant.I32, p + 4 * s)).blend(w.get(Quant.I32, p + 64 + 4 * s), UPPER_8_INTS)
                        .lanewise(VectorOperators.LSHR, Q6_SPLIT_LOW).and(0x0F);
                var high = IntVector.broadcast(Q8Kernels.I16, w.get(Quant.I32, p + 128 + 4 * s))
                        .lanewise(VectorOperators.LSHR, Q6_SPLIT_HIGH).and(0x03).lanewise(VectorOperators.LSHL, 4);
                // q * (d * scale) - 32 * d * scale in one fma, as q6_K (the same bits, the sign of a zero included)
                float dl = d * w.get(Quant.I8, p + 192 + s);
                ((FloatVector) low.or(high).convertShape(VectorOperators.I2F, Q8Kernels.F16, 0))
                        .fma(FloatVector.broadcast(Q8Kernels.F16, dl), FloatVector.broadcast(Q8Kernels.F16, -32f * dl)).intoArray(dst, dstOff + 256 * b + 16 * s);
            }
        }
    }

    private static void q5_K(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 176L * b, sc = p + 4, qh = p + 16, qs = p + 48;
            float d = Quant.f16(w, p), dmin = Quant.f16(w, p + 2);
            long lo = w.get(Quant.I64, sc);
            int hi = w.get(Quant.I32, sc + 8);
            long scales = Quant.kScales(lo, hi), mins = Quant.kMins(lo, hi);
            for (int j = 0; j < 8; j++) {
                var dv = FloatVector.broadcast(F, d * (int) (scales >>> 8 * j & 0xFF));
                var mv = FloatVector.broadcast(F, -dmin * (int) (mins >>> 8 * j & 0xFF));
                long q = qs + 32L * (j >> 1);
                int shift = 4 * (j & 1);
                for (int k = 0; k < 32; k += L) {
                    // low 4 bits: nibble at `shift`; bit 4: bit j of qh[k..]
                    var nib = ByteVector.fromMemorySegment(BL, w, q + k, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, shift).and(0x0F0F0F0F);
                    var h = ByteVector.fromMemorySegment(BL, w, qh + k, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, j).and(0x01010101).lanewise(VectorOperators.LSHL, 4);
                    toFloat(nib.or(h).reinterpretAsBytes()).fma(dv, mv).intoArray(dst, 256 * b + 32 * j + k);
                }
            }
        }
    }

    private static void q6_K(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 210L * b;
            float d = Quant.f16(w, p + 208);
            long sc0 = w.get(Quant.I64, p + 192), sc1 = w.get(Quant.I64, p + 200);
            for (int j = 0; j < 16; j++) {
                byte sc = (byte) ((j < 8 ? sc0 : sc1) >>> 8 * (j & 7));
                var dv = FloatVector.broadcast(F, d * sc);
                var off = FloatVector.broadcast(F, -32f * d * sc);
                // see Dot.q6kQuants for the bit layout
                int h = j >> 3, k = (j >> 1) & 3, l0 = 16 * (j & 1);
                for (int e = 0; e < 16; e += L) {
                    var lo = ByteVector.fromMemorySegment(BL, w, p + 64L * h + l0 + 32 * (k & 1) + e, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, 4 * (k >> 1)).and(0x0F0F0F0F);
                    var hb = ByteVector.fromMemorySegment(BL, w, p + 128 + 32L * h + l0 + e, LE).reinterpretAsInts()
                            .lanewise(VectorOperators.LSHR, 2 * k).and(0x03030303).lanewise(VectorOperators.LSHL, 4);
                    toFloat(lo.or(hb).reinterpretAsBytes()).fma(dv, off).intoArray(dst, 256 * b + 16 * j + e);
                }
            }
        }
    }
}
