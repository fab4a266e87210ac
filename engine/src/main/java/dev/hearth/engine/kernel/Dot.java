package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of encoded weights with float activations: the float path. Weights are decoded in
 * registers with the Vector API for F32, BF16, Q8_0, Q4_0 and Q6_K; the other types (F16 and Q4_K
 * included, where that measured faster) are decoded up to 512 values at a time into a per-thread
 * buffer ({@link RowDecoder}) and then dotted. Accumulation is in float. No allocation per call.
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

    /**
     * The sum of the lanes of {@code v} in a fixed order (pairwise over halves). {@code reduceLanes(ADD)}
     * leaves the order to the implementation, which may differ between the interpreter, C1 and C2:
     * results that must be bit-identical across code paths (batch invariance) use this instead.
     */
    static float sumLanes(FloatVector v) {
        if (v.length() == 16) return sumLanes16(v);
        if (v.length() == 8) return sumLanes8(v);
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /**
     * {@link #sumLanes} of a 512-bit vector: the two 256-bit halves added lane by lane (one instruction),
     * then the 8-lane tree. Kernels call this (or {@link #sumLanes8}) directly: small and of one shape, C2
     * always inlines it. The general method, once compiled with every shape's branch, could be too big to
     * inline into a kernel compiled after it ("already compiled into a big method"); the vector then had
     * to be boxed at every call, one allocation per weight row, and decode after a prefill (which compiles
     * it first) ran 25-30 % slower with a young collection every 50 ms.
     */
    static float sumLanes16(FloatVector v) {
        var h = ((FloatVector) v.reinterpretShape(FloatVector.SPECIES_256, 0)).add((FloatVector) v.reinterpretShape(FloatVector.SPECIES_256, 1));
        return sumLanes8(h);
    }

    /**
     * Lane sums of 16 vectors at once: {@code out[outOff + r] = sumLanes16(acc[accOff + 16r .. +16))} for
     * {@code r < 16}, bit-identical to sixteen {@link #sumLanes16} calls, for about a tenth of their
     * instructions (C2 takes each lane of a vector out with its own extract and shuffle: ~25 instructions a
     * row, which in a kernel over 256-column rows cost as much as the row's dot).
     *
     * <p>A transposing tree of two-source permutes: each level takes two vectors, puts the lower halves of
     * their rows' lane groups side by side in one vector and the upper halves in another, and adds the two.
     * Level 1 adds lane {@code i} to {@code i + 8} (as {@link #sumLanes16}'s first step), levels 2-4 add
     * {@code i} to {@code i + 4}, {@code i + 2}, {@code i + 1} of what is left, which is {@link #sumLanes8}'s
     * tree, operand for operand. Rows enter in bit-reversed order, so row {@code r} ends in lane {@code r}.
     */
    static void sumRows16(float[] acc, int accOff, float[] out, int outOff) {
        // level 1 written out, no helper: a small method that takes and returns vectors is inlined only where C2
        // counts its call site as hot, and elsewhere its vectors are boxed (a helper here allocated ~13 MB per
        // decode token of a 1.1B Q4_K_M model, docs/kernels.md)
        var x = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff);
        var y = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 8);
        var a0 = SUM_LO_8.selectFrom(x, y).add(SUM_HI_8.selectFrom(x, y));
        x = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 4);
        y = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 12);
        var a1 = SUM_LO_8.selectFrom(x, y).add(SUM_HI_8.selectFrom(x, y));
        x = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 2);
        y = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 10);
        var a2 = SUM_LO_8.selectFrom(x, y).add(SUM_HI_8.selectFrom(x, y));
        x = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 6);
        y = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 14);
        var a3 = SUM_LO_8.selectFrom(x, y).add(SUM_HI_8.selectFrom(x, y));
        x = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16);
        y = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 9);
        var a4 = SUM_LO_8.selectFrom(x, y).add(SUM_HI_8.selectFrom(x, y));
        x = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 5);
        y = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 13);
        var a5 = SUM_LO_8.selectFrom(x, y).add(SUM_HI_8.selectFrom(x, y));
        x = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 3);
        y = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 11);
        var a6 = SUM_LO_8.selectFrom(x, y).add(SUM_HI_8.selectFrom(x, y));
        x = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 7);
        y = FloatVector.fromArray(FloatVector.SPECIES_512, acc, accOff + 16 * 15);
        var a7 = SUM_LO_8.selectFrom(x, y).add(SUM_HI_8.selectFrom(x, y));
        var b0 = SUM_LO_4.selectFrom(a0, a1).add(SUM_HI_4.selectFrom(a0, a1));
        var b1 = SUM_LO_4.selectFrom(a2, a3).add(SUM_HI_4.selectFrom(a2, a3));
        var b2 = SUM_LO_4.selectFrom(a4, a5).add(SUM_HI_4.selectFrom(a4, a5));
        var b3 = SUM_LO_4.selectFrom(a6, a7).add(SUM_HI_4.selectFrom(a6, a7));
        var c0 = SUM_LO_2.selectFrom(b0, b1).add(SUM_HI_2.selectFrom(b0, b1));
        var c1 = SUM_LO_2.selectFrom(b2, b3).add(SUM_HI_2.selectFrom(b2, b3));
        SUM_LO_1.selectFrom(c0, c1).add(SUM_HI_1.selectFrom(c0, c1)).intoArray(out, outOff);
    }

    /**
     * Index vectors of {@link #sumRows16}'s level with half width {@code hw}: output lane {@code i} lies in a
     * group of {@code 2 hw} lanes, whose first half comes from the first source's lanes of that group (lower
     * part for LO, upper part for HI) and whose second half from the second source's (indexes 16 and up).
     */
    private static final FloatVector SUM_LO_8 = foldIndexes(8, 0), SUM_HI_8 = foldIndexes(8, 8),
            SUM_LO_4 = foldIndexes(4, 0), SUM_HI_4 = foldIndexes(4, 4),
            SUM_LO_2 = foldIndexes(2, 0), SUM_HI_2 = foldIndexes(2, 2),
            SUM_LO_1 = foldIndexes(1, 0), SUM_HI_1 = foldIndexes(1, 1);

    private static FloatVector foldIndexes(int hw, int upper) {
        float[] idx = new float[16];
        for (int i = 0; i < 16; i++) {
            int group = i / (2 * hw) * 2 * hw, p = i % (2 * hw);
            idx[i] = p < hw ? group + p + upper : 16 + group + p - hw + upper;
        }
        return FloatVector.fromArray(FloatVector.SPECIES_512, idx, 0);
    }

    /** {@link #sumLanes} of a 256-bit vector: a fixed tree over the 8 lanes. */
    static float sumLanes8(FloatVector v) {
        return ((v.lane(0) + v.lane(4)) + (v.lane(2) + v.lane(6))) + ((v.lane(1) + v.lane(5)) + (v.lane(3) + v.lane(7)));
    }

    /** Per-thread decode buffer (a multiple of every block size). */
    private static final ThreadLocal<float[]> BLOCK = ThreadLocal.withInitial(() -> new float[512]);

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
            case F16 -> f16Chunked(w, offset, x, xOff, n);
            case BF16 -> bf16(w, offset, x, xOff, n);
            case Q8_0 -> VECTOR_QUANTS ? q8_0(w, offset, x, xOff, n) : generic(type, w, offset, x, xOff, n);
            case Q4_0 -> VECTOR_QUANTS ? q4_0(w, offset, x, xOff, n) : generic(type, w, offset, x, xOff, n);
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

    /** Other types: decode up to 512 values at a time into a per-thread buffer ({@link RowDecoder}), then a float dot. */
    private static float generic(GgmlType type, MemorySegment w, long offset, float[] x, int xOff, int n) {
        float[] buf = BLOCK.get();
        float sum = 0f;
        for (int c = 0; c < n; c += buf.length) {
            int len = Math.min(buf.length, n - c);
            RowDecoder.decode(type, w, offset + type.byteSize(c), buf, len);
            sum += dot(buf, 0, x, xOff + c, len);
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

    /**
     * F16 through a small per-thread buffer: a plain {@code Float.float16ToFloat} loop is vectorized by
     * C2 with the hardware conversion (vcvtph2ps), which beats decoding with Vector API integer ops.
     */
    private static float f16Chunked(MemorySegment w, long offset, float[] x, int xOff, int n) {
        float[] buf = BLOCK.get();
        float sum = 0f;
        for (int c = 0; c < n; c += buf.length) {
            int len = Math.min(buf.length, n - c);
            RowDecoder.f16(w, offset + 2L * c, buf, len);
            sum += dot(buf, 0, x, xOff + c, len);
        }
        return sum;
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

    /**
     * {@link #L} float16 values at {@code offset} as floats times 2^-112 ({@link #f16Rows2}): each one's bits moved into
     * the float's, the sign's copies above bit 27 dropped but bit 31.
     */
    static FloatVector f16Scaled(MemorySegment w, long offset) {
        var h = (IntVector) ShortVector.fromMemorySegment(S_L, w, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8FFF_E000).reinterpretAsFloats();
    }

    static FloatVector bf16ToFloat(MemorySegment w, long offset) {
        var h = (IntVector) ShortVector.fromMemorySegment(S_L, w, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** Whether {@link #matVec} runs here (512-bit vectors, the shape of {@link #sumRows16}). */
    static final boolean MAT_VEC = L == 16;

    /**
     * Weight rows {@code [0, rows)} of any type times one activation row: {@code out[outOff + r] = w_r . x[xo ..]},
     * {@link #MAT_VEC} only; the float path's decode rows (types without an integer kernel, and F16/BF16/F32). BF16
     * and F16 are converted in registers as read, four rows at a time ({@link #f16Rows4}); the other types two rows at a time into a per-thread buffer that stays
     * in L1 ({@link RowDecoder}), then multiplied, two FMA chains at once, and the lane sums of 16 rows are taken
     * together ({@link #sumRows16}). Decoding 256 KB of rows to floats first and multiplying those two rows at a
     * time with a lane sum each ({@link Tiles#block}, as for several activation rows) wrote and read back twice the
     * bytes the weights take: one thread multiplied a 50257 x 256 F16 matrix at 6 GB/s against 11.6 for Q8_0's
     * integer kernel. Per row it is the operation order of {@link Tiles#block}: one FMA chain over the whole
     * vectors, the lane sum, then the last {@code cols % 16} products one by one (F32, F16 and BF16 rows only:
     * the blocks of the other types are multiples of 16); so the results are bit-identical to it, and a decode
     * row gives the same logits in a batch of one as among several.
     */
    static void matVec(GgmlType type, MemorySegment w, long offset, long rowBytes, int rows, int cols, float[] x, int xo, float[] out, int outOff) {
        float[] acc = MAT_VEC_ACC.get();
        // F16 converted in registers where the activations scaled by 2^112 stay finite (f16Rows2)
        final float[] scaled = type == GgmlType.F16 ? scaledForF16(x, xo, cols) : null;
        // BF16 and F16 rows of up to 1,024 values four at a time where four are left (f16Rows4), then two
        final boolean fourRows = (type == GgmlType.BF16 || scaled != null) && cols <= FOUR_ROWS_MAX_COLS;
        for (int r0 = 0; r0 < rows; r0 += 16) {
            int n = Math.min(16, rows - r0);
            int r = 0;
            if (fourRows) {
                for (; r + 4 <= n; r += 4) {
                    long p = offset + (r0 + r) * rowBytes;
                    if (type == GgmlType.BF16) bf16Rows4(w, p, rowBytes, cols, x, xo, acc, 16 * r);
                    else f16Rows4(w, p, rowBytes, cols, scaled, acc, 16 * r);
                }
            }
            for (; r < n; r += 2) {
                // a last odd row goes through twice: its copy lands in the unused next slot
                boolean two = r + 1 < n;
                long p = offset + (r0 + r) * rowBytes;
                if (type == GgmlType.BF16) bf16Rows2(w, p, two ? rowBytes : 0, cols, x, xo, acc, 16 * r);
                else if (scaled != null) f16Rows2(w, p, two ? rowBytes : 0, cols, scaled, acc, 16 * r);
                else decodedRows2(type, w, p, two, cols, x, xo, acc, 16 * r);
            }
            sumRows16(acc, 0, acc, 256);
            for (int k = 0; k < n; k++) {
                float s = acc[256 + k];
                long p = offset + (r0 + k) * rowBytes;
                for (int i = cols - cols % 16; i < cols; i++) s += weight(type, w, p, i) * x[xo + i];
                out[outOff + r0 + k] = s;
            }
        }
    }

    /** Weight {@code i} of a row at {@code p} of F32, F16 or BF16 weights (the types whose rows may end mid-vector). */
    private static float weight(GgmlType type, MemorySegment w, long p, int i) {
        return switch (type) {
            case F32 -> w.get(Quant.F32, p + 4L * i);
            case F16 -> Float.float16ToFloat(w.get(Quant.I16, p + 2L * i));
            case BF16 -> Quant.bf16(w.get(Quant.I16, p + 2L * i));
            default -> throw new IllegalStateException(type + " rows are whole blocks of 32 or 256");
        };
    }

    /** 16 accumulators per row and the 16 row sums of {@link #matVec}. */
    private static final ThreadLocal<float[]> MAT_VEC_ACC = ThreadLocal.withInitial(() -> new float[16 * 16 + 16]);
    /** {@link #matVec}'s two decoded rows (F16 too where its activations reach 2^16: a plain {@link Float#float16ToFloat} loop, which C2 turns into {@code vcvtph2ps}). */
    private static final ThreadLocal<float[]> MAT_VEC_ROWS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Two rows' FMA chains of {@link #matVec} into {@code acc[at]} and {@code acc[at + 16]} (with {@code two} false,
     * the same row in both), from the rows decoded into {@link #MAT_VEC_ROWS}. Two chains are enough: decoding
     * takes longer than an FMA's latency. (For F16, a conversion in registers with a multiply by 2^112 per vector
     * measured the same with two threads and slower with one on the machines of 2026-12-04; without the multiply,
     * {@link #f16Rows2}, decode of a 1.1B F16 file went from 0.46-0.47 to 0.78-0.79 of llama.cpp on a machine
     * with more memory bandwidth.)
     */
    private static void decodedRows2(GgmlType type, MemorySegment w, long p, boolean two, int cols, float[] x, int xo, float[] acc, int at) {
        float[] buf = MAT_VEC_ROWS.get();
        if (buf.length < 2 * cols) MAT_VEC_ROWS.set(buf = new float[2 * cols]);
        RowDecoder.decode(type, w, p, buf, two ? 2 * cols : cols);
        final int second = two ? cols : 0;
        var a0 = FloatVector.zero(F);
        var a1 = FloatVector.zero(F);
        for (int i = 0; i <= cols - 16; i += 16) {
            var v = FloatVector.fromArray(F, x, xo + i);
            a0 = FloatVector.fromArray(F, buf, i).fma(v, a0);
            a1 = FloatVector.fromArray(F, buf, second + i).fma(v, a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
    }

    /** The per-thread activations times 2^112 of {@link #f16Rows2}. */
    private static final ThreadLocal<float[]> F16_SCALED = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * {@code x[xo, xo + cols)} times 2^112 into a per-thread buffer, or null where some {@code |x| >= 2^16} (the scaled
     * value would not be finite). Exact: a power of two.
     */
    private static float[] scaledForF16(float[] x, int xo, int cols) {
        float[] buf = F16_SCALED.get();
        if (buf.length < cols) F16_SCALED.set(buf = new float[cols]);
        var max = FloatVector.zero(F);
        int i = 0;
        for (; i <= cols - L; i += L) {
            var v = FloatVector.fromArray(F, x, xo + i);
            max = max.max(v.abs());
            v.mul(0x1p112f).intoArray(buf, i);
        }
        float m = max.reduceLanes(VectorOperators.MAX);
        for (; i < cols; i++) {
            m = Math.max(m, Math.abs(x[xo + i]));
            buf[i] = x[xo + i] * 0x1p112f;
        }
        return m < 0x1p16f ? buf : null;   // NaN fails the test too: the decoded path then gives NaN as it should
    }

    /**
     * {@link #decodedRows2} for F16, converted in registers as read: the float16 bits moved into float bits (value
     * times 2^-112, exact for every finite float16, subnormals included; infinities and NaNs would come out finite,
     * which model weights do not hold) against the activations times 2^112 ({@link #scaledForF16}): each FMA's exact
     * product is the one of the decoded value and the activation, so the results are {@link #decodedRows2}'s bits.
     * Three integer operations and no store per 16 weights, where the decode into a buffer took a conversion, a
     * store and a load. {@code rowBytes = 0}: the same row twice.
     */
    private static void f16Rows2(MemorySegment w, long p, long rowBytes, int cols, float[] scaled, float[] acc, int at) {
        var a0 = FloatVector.zero(F);
        var a1 = FloatVector.zero(F);
        for (int i = 0; i <= cols - 16; i += 16) {
            var v = FloatVector.fromArray(F, scaled, i);
            long q = p + 2L * i;
            a0 = f16Scaled(w, q).fma(v, a0);
            a1 = f16Scaled(w, q + rowBytes).fma(v, a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
    }

    /**
     * The longest F16/BF16 rows that {@link #matVec} takes four at a time ({@link #f16Rows4}). Longer rows stay two at a
     * time: four streams of 4 KB rows read more slowly. One thread, 64 MB matrices from memory, two rows -> four:
     * 512 values 3.64-3.71 -> 1.93-1.98 ms, 896 2.66-2.69 -> 2.09-2.12, 1,024 2.52-2.53 -> 1.76-1.77, but 2,048
     * 2.35-2.45 -> 2.56-2.57. The 1.1B F16 and BF16 files (rows of 2,048 and 8,192 values), two threads, tg64:
     * 18.0-18.3 -> 15.6-16.7 and 19.1-20.0 -> 17.5-17.7 t/s with four rows for every length.
     */
    static final int FOUR_ROWS_MAX_COLS = 1024;

    /**
     * {@link #f16Rows2} for four rows ({@code p} and the next three, {@code rowBytes} apart): each row's chain and its
     * order are the same, so are the bits. One FMA chain per row is bound by the FMA's latency (4 cycles a vector),
     * and two chains left the loads too few to keep memory busy: one thread over a 50,256 x 256 F16 matrix (a 50k-vocab
     * output matrix, 26 MB) took 1.7-2.5 ms with two rows a step and 0.68-0.70 ms with four, in L2 (8192 x 256) 102-105
     * against 78-79 us (eight rows: 0.62-0.64 ms and 90-92 us). llama.cpp's F16 dot keeps four chains per row.
     */
    private static void f16Rows4(MemorySegment w, long p, long rowBytes, int cols, float[] scaled, float[] acc, int at) {
        var a0 = FloatVector.zero(F);
        var a1 = FloatVector.zero(F);
        var a2 = FloatVector.zero(F);
        var a3 = FloatVector.zero(F);
        for (int i = 0; i <= cols - 16; i += 16) {
            var v = FloatVector.fromArray(F, scaled, i);
            long q = p + 2L * i;
            a0 = f16Scaled(w, q).fma(v, a0);
            a1 = f16Scaled(w, q + rowBytes).fma(v, a1);
            a2 = f16Scaled(w, q + 2 * rowBytes).fma(v, a2);
            a3 = f16Scaled(w, q + 3 * rowBytes).fma(v, a3);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
        a2.intoArray(acc, at + 32);
        a3.intoArray(acc, at + 48);
    }

    /** {@link #bf16Rows2} for four rows, as {@link #f16Rows4}. */
    private static void bf16Rows4(MemorySegment w, long p, long rowBytes, int cols, float[] x, int xo, float[] acc, int at) {
        var a0 = FloatVector.zero(F);
        var a1 = FloatVector.zero(F);
        var a2 = FloatVector.zero(F);
        var a3 = FloatVector.zero(F);
        for (int i = 0; i <= cols - 16; i += 16) {
            var v = FloatVector.fromArray(F, x, xo + i);
            long q = p + 2L * i;
            a0 = bf16ToFloat(w, q).fma(v, a0);
            a1 = bf16ToFloat(w, q + rowBytes).fma(v, a1);
            a2 = bf16ToFloat(w, q + 2 * rowBytes).fma(v, a2);
            a3 = bf16ToFloat(w, q + 3 * rowBytes).fma(v, a3);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
        a2.intoArray(acc, at + 32);
        a3.intoArray(acc, at + 48);
    }

    /** {@link #decodedRows2} for BF16, converted in registers as read (a shift); {@code rowBytes = 0}: the same row twice. */
    private static void bf16Rows2(MemorySegment w, long p, long rowBytes, int cols, float[] x, int xo, float[] acc, int at) {
        var a0 = FloatVector.zero(F);
        var a1 = FloatVector.zero(F);
        for (int i = 0; i <= cols - 16; i += 16) {
            var v = FloatVector.fromArray(F, x, xo + i);
            long q = p + 2L * i;
            a0 = bf16ToFloat(w, q).fma(v, a0);
            a1 = bf16ToFloat(w, q + rowBytes).fma(v, a1);
        }
        a0.intoArray(acc, at);
        a1.intoArray(acc, at + 16);
    }

    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    /**
     * {@code sum q[i] * x[xo + i]} over 16 signed byte values, as a vector of partial sums ({@link #L}
     * lanes): the bytes are widened to float one vector at a time ({@code L} is 8 or 16).
     */
    static FloatVector dot16(ByteVector q, float[] x, int xo) {
        var p = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo));
        if (L == 8) p = ((FloatVector) q.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xo + 8), p);
        return p;
    }

    /** The 4-bit fields at bit {@code shift} (0 or 4) of each byte, as 0..15 (x86 has no byte shifts: shift as ints, then mask). */
    static ByteVector nibbles(ByteVector q, int shift) {
        return q.reinterpretAsInts().lanewise(VectorOperators.LSHR, shift).and(0x0F0F0F0F).reinterpretAsBytes();
    }

    private static float q8_0(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 34L * b;
            int xo = xOff + 32 * b;
            var blk = dot16(ByteVector.fromMemorySegment(B16, w, p + 2, LE), x, xo)
                    .add(dot16(ByteVector.fromMemorySegment(B16, w, p + 18, LE), x, xo + 16));
            acc = blk.fma(FloatVector.broadcast(F, Quant.f16(w, p)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float q4_0(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc = FloatVector.zero(F);
        for (int b = 0; b < n / 32; b++) {
            long p = offset + 18L * b;
            int xo = xOff + 32 * b;
            var q = ByteVector.fromMemorySegment(B16, w, p + 2, LE);
            // low nibbles are elements 0..15, high nibbles 16..31; values are nibble - 8
            var blk = dot16(q.and((byte) 0x0F).sub((byte) 8), x, xo).add(dot16(nibbles(q, 4).sub((byte) 8), x, xo + 16));
            acc = blk.fma(FloatVector.broadcast(F, Quant.f16(w, p)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Q6_K: 16 sub-blocks of 16 values, each one scale; see {@link #q6kQuants}. */
    private static float q6_K(MemorySegment w, long offset, float[] x, int xOff, int n) {
        var acc = FloatVector.zero(F);
        for (int b = 0; b < n / 256; b++) {
            long p = offset + 210L * b;
            float d = Quant.f16(w, p + 208);
            long sc0 = w.get(Quant.I64, p + 192), sc1 = w.get(Quant.I64, p + 200);
            for (int j = 0; j < 16; j++) {
                var q = q6kQuants(w, p, j).sub((byte) 32);
                byte sc = (byte) ((j < 8 ? sc0 : sc1) >>> 8 * (j & 7));
                acc = dot16(q, x, xOff + 256 * b + 16 * j).fma(FloatVector.broadcast(F, d * sc), acc);
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * 16 unsigned 5-bit Q5_K quants (0..31): the nibbles at bit {@code shift} of the 16 bytes at
     * {@code q}, with bit {@code j} of the 16 bytes at {@code qh} as bit 4.
     */
    static ByteVector q5kQuants(MemorySegment w, long q, long qh, int shift, int j) {
        var n = ByteVector.fromMemorySegment(B16, w, q, LE).reinterpretAsInts().lanewise(VectorOperators.LSHR, shift).and(0x0F0F0F0F);
        var h = ByteVector.fromMemorySegment(B16, w, qh, LE).reinterpretAsInts().lanewise(VectorOperators.LSHR, j).and(0x01010101)
                .lanewise(VectorOperators.LSHL, 4);
        return n.or(h).reinterpretAsBytes();
    }

    /**
     * The unsigned 6-bit quants (0..63) of sub-block {@code j} (values 16j..16j+15) of the Q6_K block at
     * {@code p}. Value {@code 128h + 32k + l} (half h, quarter k, l < 32) has its low 4 bits in
     * {@code ql[64h + l + 32(k&1)]} (low nibble for k < 2, high for k >= 2) and its top 2 bits at bit
     * {@code 2k} of {@code qh[32h + l]}.
     */
    static ByteVector q6kQuants(MemorySegment w, long p, int j) {
        int h = j >> 3, k = (j >> 1) & 3, l0 = 16 * (j & 1);
        var lo = ByteVector.fromMemorySegment(B16, w, p + 64L * h + l0 + 32 * (k & 1), LE).reinterpretAsInts()
                .lanewise(VectorOperators.LSHR, 4 * (k >> 1)).and(0x0F0F0F0F);
        var hi = ByteVector.fromMemorySegment(B16, w, p + 128 + 32L * h + l0, LE).reinterpretAsInts()
                .lanewise(VectorOperators.LSHR, 2 * k).and(0x03030303).lanewise(VectorOperators.LSHL, 4);
        return lo.or(hi).reinterpretAsBytes();
    }
}
