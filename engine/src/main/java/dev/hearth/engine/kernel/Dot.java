package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of encoded weights with float activations: the float path. Weights are decoded in
 * registers with the Vector API for F32, F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K; the other types are
 * dequantized block by block into a per-thread buffer and then dotted. Accumulation is in float.
 */
public final class Dot {
    private Dot() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Integers and bytes/shorts with as many lanes as {@link #F}, so conversions keep the lane count. */
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> S_L = L >= 4 ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16)) : null;
    static final VectorSpecies<Byte> B_L = L >= 8 ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : null;
    /** The quantized fast paths decode 8 or 16 lanes at a time (AVX2 / AVX-512); otherwise go generic. */
    static final boolean VECTOR_QUANTS = L == 8 || L == 16;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[256]);

    /**
     * {@code sum_i w[i] * x[xOff + i]} for {@code n} weights of {@code type} starting at byte
     * {@code offset} of {@code w}; {@code n} must be a multiple of the type's block size.
     */
    public static float dot(GgmlType type, MemorySegment w, long offset, float[] x, int xOff, int n) {
        if (n % type.blockSize() != 0) {
            throw new IllegalArgumentException("dot " + type + ": n=" + n + " is not a multiple of the block size " + type.blockSize());
        }
        return switch (type) {
            case F32 -> f32(w, offset, x, xOff, n);
            case F16 -> f16(w, offset, x, xOff, n);
            case BF16 -> bf16(w, offset, x, xOff, n);
            case Q8_0 -> VECTOR_QUANTS ? q8_0(w, offset, x, xOff, n) : generic(type, w, offset, x, xOff, n);
            case Q4_0 -> VECTOR_QUANTS ? q4_0(w, offset, x, xOff, n) : generic(type, w, offset, x, xOff, n);
            case Q4_K -> VECTOR_QUANTS ? q4_K(w, offset, x, xOff, n) : generic(type, w, offset, x, xOff, n);
            case Q6_K -> VECTOR_QUANTS ? q6_K(w, offset, x, xOff, n) : generic(type, w, offset, x, xOff, n);
            default -> generic(type, w, offset, x, xOff, n);
        };
    }

    /** {@code sum_i a[aOff+i] * b[bOff+i]} over {@code n} floats. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        var acc0 = FloatVector.zero(F);
        var acc1 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), acc1);
        }
        for (int bound = n - L; i <= bound; i += L) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    private static float generic(GgmlType type, MemorySegment w, long offset, float[] x, int xOff, int n) {
        float[] buf = BLOCK.get();
        int bs = type.blockSize();
        long bb = type.blockBytes();
        float sum = 0f;
        for (int b = 0; b < n / bs; b++) {
            Quant.dequantizeBlock(type, w, offset + bb * b, buf, 0);
            sum += dot(buf, 0, x, xOff + bs * b, bs);
        }
        return sum;
    }

    private static float f32(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc0 = FloatVector.zero(F);
        var acc1 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            acc0 = FloatVector.fromMemorySegment(F, w, offset + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, w, offset + 4L * (i + L), LE).fma(FloatVector.fromArray(F, x, xOff + i + L), acc1);
        }
        for (int bound = n - L; i <= bound; i += L) {
            acc0 = FloatVector.fromMemorySegment(F, w, offset + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += w.get(Quant.F32, offset + 4L * i) * x[xOff + i];
        return sum;
    }

    private static float f16(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc0 = FloatVector.zero(F);
        var acc1 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            acc0 = halfToFloat(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = halfToFloat(w, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), acc1);
        }
        for (int bound = n - L; i <= bound; i += L) {
            acc0 = halfToFloat(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += Quant.f16(w, offset + 2L * i) * x[xOff + i];
        return sum;
    }

    /**
     * {@link #L} float16 values at {@code offset}, widened in registers. The Vector API has no
     * half-float conversion, so: shift exponent+mantissa into float position and multiply by 2^112
     * (rebiases the exponent and handles subnormals), patch Inf/NaN, then put the sign back.
     */
    static FloatVector halfToFloat(MemorySegment w, long offset) {
        var h = (IntVector) ShortVector.fromMemorySegment(S_L, w, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        IntVector em = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector bits = em.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
        VectorMask<Integer> infNan = em.compare(VectorOperators.GE, 0x0F800000);
        return bits.blend(em.or(0x7F800000), infNan).or(sign).reinterpretAsFloats();
    }

    private static float bf16(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc0 = FloatVector.zero(F);
        var acc1 = FloatVector.zero(F);
        int i = 0;
        for (int bound = n - 2 * L; i <= bound; i += 2 * L) {
            acc0 = bf16ToFloat(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = bf16ToFloat(w, offset + 2L * (i + L)).fma(FloatVector.fromArray(F, x, xOff + i + L), acc1);
        }
        for (int bound = n - L; i <= bound; i += L) {
            acc0 = bf16ToFloat(w, offset + 2L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += Quant.bf16(w.get(Quant.I16, offset + 2L * i)) * x[xOff + i];
        return sum;
    }

    static FloatVector bf16ToFloat(MemorySegment w, long offset) {
        var h = (IntVector) ShortVector.fromMemorySegment(S_L, w, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** {@link #L} bytes at {@code offset} as signed floats. */
    static FloatVector bytesToFloat(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, F, 0);
    }

    private static float q8_0(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 34L * b;
            int xo = xOff + 32 * b;
            var blk = FloatVector.zero(F);
            for (int j = 0; j < 32; j += L) {
                var q = bytesToFloat(ByteVector.fromMemorySegment(B_L, w, p + 2 + j, LE));
                blk = q.fma(FloatVector.fromArray(F, x, xo + j), blk);
            }
            acc = blk.fma(FloatVector.broadcast(F, Quant.f16(w, p)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float q4_0(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 18L * b;
            int xo = xOff + 32 * b;
            var blk = FloatVector.zero(F);
            for (int j = 0; j < 16; j += L) {
                var q = ByteVector.fromMemorySegment(B_L, w, p + 2 + j, LE);
                var lo = bytesToFloat(q.and((byte) 0xF).sub((byte) 8));
                var hi = bytesToFloat(q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8));
                blk = lo.fma(FloatVector.fromArray(F, x, xo + j), blk);
                blk = hi.fma(FloatVector.fromArray(F, x, xo + 16 + j), blk);
            }
            acc = blk.fma(FloatVector.broadcast(F, Quant.f16(w, p)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float q4_K(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 144L * b, sc = p + 4, qs = p + 16;
            int xo = xOff + 256 * b;
            float d = Quant.f16(w, p), dmin = Quant.f16(w, p + 2);
            for (int g = 0; g < 4; g++) {
                var qx1 = FloatVector.zero(F);
                var qx2 = FloatVector.zero(F);
                var xs1 = FloatVector.zero(F);
                var xs2 = FloatVector.zero(F);
                int x1 = xo + 64 * g, x2 = x1 + 32;
                for (int j = 0; j < 32; j += L) {
                    var q = ByteVector.fromMemorySegment(B_L, w, qs + 32L * g + j, LE);
                    var a = FloatVector.fromArray(F, x, x1 + j);
                    var c = FloatVector.fromArray(F, x, x2 + j);
                    qx1 = bytesToFloat(q.and((byte) 0xF)).fma(a, qx1);
                    qx2 = bytesToFloat(q.lanewise(VectorOperators.LSHR, 4)).fma(c, qx2);
                    xs1 = xs1.add(a);
                    xs2 = xs2.add(c);
                }
                // w = d*sc*q - dmin*m, so dot = d*sc*sum(q*x) - dmin*m*sum(x) per sub-block of 32
                acc = qx1.fma(FloatVector.broadcast(F, d * Quant.kScale(w, sc, 2 * g)), acc);
                acc = qx2.fma(FloatVector.broadcast(F, d * Quant.kScale(w, sc, 2 * g + 1)), acc);
                acc = xs1.fma(FloatVector.broadcast(F, -dmin * Quant.kMin(w, sc, 2 * g)), acc);
                acc = xs2.fma(FloatVector.broadcast(F, -dmin * Quant.kMin(w, sc, 2 * g + 1)), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float q6_K(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 210L * b;
            float d = Quant.f16(w, p + 208);
            for (int half = 0; half < 2; half++) {
                long ql = p + 64L * half, qh = p + 128 + 32L * half, sc = p + 192 + 8L * half;
                int xo = xOff + 256 * b + 128 * half;
                for (int l = 0; l < 32; l += L) {
                    var a = ByteVector.fromMemorySegment(B_L, w, ql + l, LE);
                    var c = ByteVector.fromMemorySegment(B_L, w, ql + l + 32, LE);
                    var h = ByteVector.fromMemorySegment(B_L, w, qh + l, LE);
                    // 6-bit quant = low nibble | 2 high bits << 4, minus 32; four quarters of 32 values
                    var q1 = a.and((byte) 0xF).or(h.lanewise(VectorOperators.LSHL, 4).and((byte) 0x30)).sub((byte) 32);
                    var q2 = c.and((byte) 0xF).or(h.lanewise(VectorOperators.LSHL, 2).and((byte) 0x30)).sub((byte) 32);
                    var q3 = a.lanewise(VectorOperators.LSHR, 4).or(h.and((byte) 0x30)).sub((byte) 32);
                    var q4 = c.lanewise(VectorOperators.LSHR, 4).or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 0x30)).sub((byte) 32);
                    int is = l / 16;
                    acc = bytesToFloat(q1).mul(FloatVector.fromArray(F, x, xo + l)).fma(FloatVector.broadcast(F, d * w.get(Quant.I8, sc + is)), acc);
                    acc = bytesToFloat(q2).mul(FloatVector.fromArray(F, x, xo + l + 32)).fma(FloatVector.broadcast(F, d * w.get(Quant.I8, sc + is + 2)), acc);
                    acc = bytesToFloat(q3).mul(FloatVector.fromArray(F, x, xo + l + 64)).fma(FloatVector.broadcast(F, d * w.get(Quant.I8, sc + is + 4)), acc);
                    acc = bytesToFloat(q4).mul(FloatVector.fromArray(F, x, xo + l + 96)).fma(FloatVector.broadcast(F, d * w.get(Quant.I8, sc + is + 6)), acc);
                }
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
