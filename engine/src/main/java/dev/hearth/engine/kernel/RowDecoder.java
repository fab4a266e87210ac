package dev.hearth.engine.kernel;

import static dev.hearth.engine.kernel.Dot.F;
import static dev.hearth.engine.kernel.Dot.L;
import static dev.hearth.engine.kernel.Dot.LE;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized dequantization of whole rows into a float buffer, for the batched matmul (where a row
 * is decoded once and used for many activation rows). Same results as {@link Quant#dequantize}
 * (the reference) up to float rounding of the scale products; types without a vector decoder here
 * go through {@link Quant}.
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
            case Q8_0 -> {
                if (Dot.VECTOR_QUANTS) q8_0(w, offset, dst, n);
                else Quant.dequantize(type, w, offset, dst, 0, n);
            }
            case Q4_0 -> {
                if (Dot.VECTOR_QUANTS) q4_0(w, offset, dst, n);
                else Quant.dequantize(type, w, offset, dst, 0, n);
            }
            case Q4_K -> {
                if (Dot.VECTOR_QUANTS) q4_K(w, offset, dst, n);
                else Quant.dequantize(type, w, offset, dst, 0, n);
            }
            case Q6_K -> {
                if (Dot.VECTOR_QUANTS) q6_K(w, offset, dst, n);
                else Quant.dequantize(type, w, offset, dst, 0, n);
            }
            default -> Quant.dequantize(type, w, offset, dst, 0, n);
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

    /** The 4-bit fields at bit {@code shift} of {@link #BL} bytes (shifted as ints: x86 has no byte shifts). */
    private static ByteVector nibbles(ByteVector q, int shift) {
        return q.reinterpretAsInts().lanewise(VectorOperators.LSHR, shift).and(0x0F0F0F0F).reinterpretAsBytes();
    }

    private static void q8_0(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 34L * b;
            var d = FloatVector.broadcast(F, Quant.f16(w, p));
            for (int j = 0; j < 32; j += L) toFloat(ByteVector.fromMemorySegment(BL, w, p + 2 + j, LE)).mul(d).intoArray(dst, 32 * b + j);
        }
    }

    private static void q4_0(MemorySegment w, long offset, float[] dst, int n) {
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 18L * b;
            float d = Quant.f16(w, p);
            var dv = FloatVector.broadcast(F, d);
            var off = FloatVector.broadcast(F, -8f * d);
            for (int j = 0; j < 16; j += L) {
                var q = ByteVector.fromMemorySegment(BL, w, p + 2 + j, LE);
                toFloat(q.and((byte) 0x0F)).fma(dv, off).intoArray(dst, 32 * b + j);
                toFloat(nibbles(q, 4)).fma(dv, off).intoArray(dst, 32 * b + 16 + j);
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
                    toFloat(nibbles(ByteVector.fromMemorySegment(BL, w, q + k, LE), shift)).fma(dv, mv).intoArray(dst, 256 * b + 32 * j + k);
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
