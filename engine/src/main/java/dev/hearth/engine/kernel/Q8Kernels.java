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
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.AND;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.FMA;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.MUL;
import static jdk.incubator.vector.VectorOperators.OR;
import static jdk.incubator.vector.VectorOperators.SUB;
import static jdk.incubator.vector.VectorOperators.XOR;

/**
 * Integer dot products of quantized weights with {@link Q8Activations}: the weight quants are
 * widened to 16 bits in registers and multiplied with the 16-bit activation quants; sums of
 * products are widened to 32 bits and scaled to float once per block.
 *
 * <p>The Vector API has no multiply-add-pairs (x86 {@code pmaddwd}/{@code pmaddubsw}) nor a cheap
 * widening of the upper half of a vector, so the kernels work on 128-bit groups of 16 weight bytes
 * (one {@code vpmovsxbw} to 16 shorts) and add adjacent 16-bit lanes into 32 bits with shifts on the
 * same register seen as ints ({@link #pairSum}). They use fixed 256-bit shapes, fine on AVX2 and
 * AVX-512 alike ({@link #AVAILABLE} is false below 256-bit vectors, where the float path is used). Where
 * the CPU has 512-bit vectors ({@link #WIDE}) the Q4_0, Q8_0, Q4_K, Q5_K and Q6_K kernels have 512-bit
 * twins ({@code q4_0Wide} and so on): Q8_0 takes 32 weights per widening; the 4- to 6-bit ones do not
 * widen at all, they take the nibbles of a 64-byte load out in its 16-bit lanes, against activations
 * stored in the matching order ({@link Q8Activations#q4}). Each row kind still has one kernel per type on
 * a given machine, so results stay independent of the batch.
 *
 * <p>Ranges (why 16 bits suffice): activation quants are in [-127, 127]; Q8_0 weights in
 * [-128, 127], so a sum of two products is at most 32512 in magnitude; 4- and 6-bit weights are
 * handled as unsigned (0..15, 0..63) with their offset folded into a per-block scalar term.
 */
final class Q8Kernels {
    private Q8Kernels() {}

    static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Whether the Q4_0, Q8_0, Q4_K, Q5_K and Q6_K kernels run on 512-bit vectors (the CPU has AVX-512). */
    static final boolean WIDE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    /**
     * The conversions here name their result species ({@code convertShape(I2F, F16, 0)}), never
     * {@code convert(I2F, 0)}: {@code convert} looks the species up at run time, and where C2 took that call site
     * for a cold one (it depends on the profile a process happens to collect) it did not inline the lookup, the
     * species was no constant, the conversion was not intrinsified and every vector after it was boxed
     * (PrintInlining of {@code q6_KRows} in a process that decoded a Q4_K_M file at 11-12 instead of 26-29 t/s, with
     * the Q4_K layout of commit d22944a:
     * {@code AbstractSpecies::computeSpecies ... too big}, then {@code VectorSupport::convert ... failed to inline
     * (intrinsic)}). This closes that one way in; it did not end every such slow process (docs/kernels.md, "Slow
     * decode after a prefill is boxing").
     */
    static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final VectorMask<Integer> UPPER_8_INTS = VectorMask.fromLong(I16, 0xFF00L);

    /**
     * Rows per call of a row method ({@code q4_0Groups}, {@code q8_0Rows}, {@code q4_KRows} and their like). A call
     * costs ~60 instructions of set-up (the segment's checks, the constants), and a lane sum taken alone ~25: on
     * 256-column rows (a 20M-parameter model) that was as much as the row's dot. With 16 rows per call and their
     * lane sums taken together ({@link Dot#sumRows16}), JMH over 8192 x 256 rows: Q4_0 223 -> 114 us, Q4_K 297 ->
     * 146, Q5_K 385 -> 184, Q6_K 278 -> 160, Q8_0 198 -> 175 (docs/kernels.md).
     */
    static final int ROWS_PER_CALL = 16;
    /** {@link #ROW_ACC}: 16 floats per row and accumulator (two per row at most), then 32 floats of row sums at {@link #SUMS}. */
    private static final int SUMS = 2 * 16 * ROWS_PER_CALL, ROW_ACC_FLOATS = SUMS + 32;
    /**
     * Per-thread accumulators of the 512-bit row methods: they store their vectors here and the caller takes
     * the lane sums. A row method's body is at C2's inlining node budget ({@code NodeCountInliningCutoff}) by
     * its end, so a lane-sum call there was left out of line and its vector argument boxed: an allocation per
     * weight row, GBs per second in decode, a young collection every 50 ms, and decode 25-30 % slower, in some
     * JVM runs and not in others (after a prefill, most of them).
     */
    private static final ThreadLocal<float[]> ROW_ACC = ThreadLocal.withInitial(() -> new float[ROW_ACC_FLOATS]);

    /** Rows' dots from the accumulator their row method left in {@code acc} ({@link #ROW_ACC}, row r at {@code 16r}) into {@code out[outOff, outOff + n)}. */
    private static void rowSums(float[] acc, int n, float[] out, int outOff) {
        Dot.sumRows16(acc, 0, acc, SUMS);
        System.arraycopy(acc, SUMS, out, outOff, n);
    }

    /**
     * Q4_K/Q5_K rows' dots from the accumulators their row method left in {@code acc} ({@link #ROW_ACC}): dot part
     * (row r at {@code 16r}) minus min term (at {@code 256 + 16r}).
     */
    private static void kRowSums(float[] acc, int n, float[] out, int outOff) {
        Dot.sumRows16(acc, 0, acc, SUMS);
        Dot.sumRows16(acc, 16 * ROWS_PER_CALL, acc, SUMS + 16);
        for (int r = 0; r < n; r++) out[outOff + r] = acc[SUMS + r] - acc[SUMS + 16 + r];
    }

    /** Whether the platform has (at least) 256-bit vectors; below that the float path is faster. */
    static final boolean AVAILABLE = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;

    /** Whether {@code type} has an integer kernel here. */
    static boolean supports(GgmlType type) {
        return AVAILABLE && switch (type) {
            case Q8_0, Q4_0, Q4_K, Q5_K, Q6_K -> true;
            case Q2_K, Q3_K -> WIDE;   // 512-bit only; elsewhere their rows take the float path
            default -> false;
        };
    }

    /** Dot of {@code cols} weights at {@code offset} with activation row {@code row} of {@code a} (one row: for tests). */
    static float dot(GgmlType type, MemorySegment w, long offset, Q8Activations a, int row) {
        float[] out = new float[1];
        prepare(type, a, a.batch);
        dots(type, w, offset, 0, 1, a, row, out, 0);
        return out[0];
    }

    /**
     * Makes activation rows {@code [0, rows)} of {@code a} ready for the kernel of {@code w}: the 512-bit Q4_0 and
     * K-quant kernels read them in their own order ({@link Q8Activations#q4}, {@link Q8Activations.Order}); the
     * others as quantized. Call it before the parallel run that reads them (not thread-safe).
     */
    static void prepare(Matrix w, Q8Activations a, int rows) {
        if (w.interleaved() && (w.type() == GgmlType.Q4_K || w.type() == GgmlType.Q5_K)) a.prepare(a.q4_KSplit, rows);
        else if (w.interleaved() && w.type() == GgmlType.Q6_K) a.prepare(a.q6_KSplit, rows);
        else prepare(w.type(), a, rows);
    }

    /** {@link #prepare(Matrix, Q8Activations, int)} for a matrix of {@code type} in the file's layout. */
    static void prepare(GgmlType type, Q8Activations a, int rows) {
        if (type == GgmlType.Q4_0) a.prepareQ4_0(rows);
        if (type == GgmlType.Q4_K || type == GgmlType.Q5_K) a.prepare(a.q4_K, rows);
        if (type == GgmlType.Q6_K) a.prepare(a.q6_K, rows);
    }

    /** Refuses activation row {@code row} when it is not in {@code order} (the kernel would compute wrong sums). */
    private static void requireOrder(Q8Activations.Order order, int row, String kernel) {
        if (row >= order.rows) {
            throw new IllegalStateException(kernel + " kernel: activation row " + row + " is not in the " + order.name + " order; call Q8Kernels.prepare first");
        }
    }

    /**
     * Dots of {@code rows} weight rows, the first at {@code offset} and each {@code rowBytes} after the
     * last, with activation row {@code row} of {@code a}, into {@code out[outOff + i]}. The row loop is
     * inside each kernel: entered once per run of rows, the per-call setup (bounds checks hoisted by
     * C2, the type switch, the call itself) costs far less than per row, ~20 % of a 2048-column row.
     * Every row gets exactly the operations of a single-row call.
     */
    static void dots(GgmlType type, MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        switch (type) {
            case Q8_0 -> {
                if (WIDE) q8_0Wide(w, offset, rowBytes, rows, a, row, out, outOff);
                else q8_0(w, offset, rowBytes, rows, a, row, out, outOff);
            }
            case Q4_0 -> {
                if (WIDE) q4_0Wide(w, offset, rowBytes, rows, a, row, out, outOff);
                else q4_0(w, offset, rowBytes, rows, a, row, out, outOff);
            }
            case Q4_K -> {
                if (WIDE) q4_KWide(w, offset, rowBytes, rows, a, row, out, outOff);
                else q4_K(w, offset, rowBytes, rows, a, row, out, outOff);
            }
            case Q5_K -> {
                if (WIDE) q5_KWide(w, offset, rowBytes, rows, a, row, out, outOff);
                else q5_K(w, offset, rowBytes, rows, a, row, out, outOff);
            }
            case Q6_K -> {
                if (WIDE) q6_KWide(w, offset, rowBytes, rows, a, row, out, outOff);
                else q6_K(w, offset, rowBytes, rows, a, row, out, outOff);
            }
            case Q3_K -> {
                if (!WIDE) throw new UnsupportedOperationException("no integer kernel for Q3_K without 512-bit vectors");
                q3_KWide(w, offset, rowBytes, rows, a, row, out, outOff);
            }
            case Q2_K -> {
                if (!WIDE) throw new UnsupportedOperationException("no integer kernel for Q2_K without 512-bit vectors");
                q2_KWide(w, offset, rowBytes, rows, a, row, out, outOff);
            }
            default -> throw new UnsupportedOperationException("no integer kernel for " + type);
        }
    }

    /**
     * Adds adjacent pairs of signed 16-bit lanes into 32-bit lanes. Seen as an int, a pair is
     * {@code hi * 65536 + (lo & 0xFFFF)}: {@code (v + (v << 16)) >> 16 == hi + lo}, exact while
     * {@code |hi + lo| < 32768}. Callers guarantee that bound.
     */
    static IntVector pairSum(ShortVector s) {
        IntVector v = s.reinterpretAsInts();
        return v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }

    /** As {@link #pairSum} for pairs whose sum may reach 17 bits (each lane still fits 16 bits). */
    static IntVector pairSumWide(ShortVector s) {
        IntVector v = s.reinterpretAsInts();
        return v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
    }

    static ShortVector widen(ByteVector b) {
        return (ShortVector) b.convertShape(VectorOperators.B2S, S16, 0);
    }

    static FloatVector toFloat(IntVector v) {
        return (FloatVector) v.convertShape(VectorOperators.I2F, F8, 0);
    }

    /** Q8_0: sum_b dw_b * dx_b * sum(qw * qx). */
    static void q8_0(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final short[] xq = a.q;
        final int cols = a.cols, xo = row * cols, bo = xo / 32;
        for (int r = 0; r < rows; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F8);
            for (int b = 0; b < cols / 32; b++) {
                long p = offset + 34L * b;
                var w0 = widen(ByteVector.fromMemorySegment(B16, w, p + 2, LE));
                var w1 = widen(ByteVector.fromMemorySegment(B16, w, p + 18, LE));
                acc = q8_0Block(w0, w1, xq, xo + 32 * b, Quant.f16(w, p) * a.d[bo + b], acc);
            }
            out[outOff + r] = Dot.sumLanes8(acc);
        }
    }

    /** Whether {@link #dot2} has a tile for {@code type}. */
    static boolean hasTile(GgmlType type) {
        return type == GgmlType.Q8_0 && !WIDE;
    }

    /**
     * Two activation rows {@code row0, row0+1} at once against one weight row: the weights are loaded
     * and widened once per block for both. Per activation row the float operations are exactly those
     * of {@link #dot} (same lane layout of the exact integer sums, same scale products, same
     * accumulation and lane-sum order), so results are bit-identical to it: batch invariance.
     * (Two, not four: a four-row body exceeds C2's node budget, a vector value is then boxed and the
     * tile runs slower than single rows.)
     */
    static void dot2(GgmlType type, MemorySegment w, long offset, Q8Activations a, int row0, float[] out, int outOff, int outStride) {
        switch (type) {
            case Q8_0 -> q8_0x2(w, offset, a, row0, out, outOff, outStride);
            default -> throw new UnsupportedOperationException("no integer tile for " + type);
        }
    }

    private static FloatVector q8_0Block(ShortVector w0, ShortVector w1, short[] xq, int x, float scale, FloatVector acc) {
        var s = w0.mul(ShortVector.fromArray(S16, xq, x)).add(w1.mul(ShortVector.fromArray(S16, xq, x + 16)));
        return toFloat(pairSumWide(s)).fma(FloatVector.broadcast(F8, scale), acc);
    }

    static void q8_0x2(MemorySegment w, long offset, Q8Activations a, int row0, float[] out, int outOff, int outStride) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int cols = a.cols, x0 = row0 * cols, x1 = x0 + cols;
        var acc0 = FloatVector.zero(F8);
        var acc1 = FloatVector.zero(F8);
        for (int b = 0; b < cols / 32; b++) {
            long p = offset + 34L * b;
            var w0 = widen(ByteVector.fromMemorySegment(B16, w, p + 2, LE));
            var w1 = widen(ByteVector.fromMemorySegment(B16, w, p + 18, LE));
            float dw = Quant.f16(w, p);
            int o = 32 * b;
            acc0 = q8_0Block(w0, w1, xq, x0 + o, dw * dx[(x0 + o) / 32], acc0);
            acc1 = q8_0Block(w0, w1, xq, x1 + o, dw * dx[(x1 + o) / 32], acc1);
        }
        out[outOff] = Dot.sumLanes8(acc0);
        out[outOff + outStride] = Dot.sumLanes8(acc1);
    }

    /** Q4_0: w = dw * (n - 8) with n in 0..15, so the sum is dw * (dx * sum(n * qx) - 8 * dx * sum(qx)). */
    static void q4_0(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final short[] xq = a.q;
        final int cols = a.cols, xo = row * cols, bo = xo / 32;
        for (int r = 0; r < rows; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F8);
            float offsetTerm = 0f;
            for (int b = 0; b < cols / 32; b++) {
                long p = offset + 18L * b;
                // the 16 bytes widened once; nibbles taken from the 16-bit lanes (low: values 0..15, high: 16..31)
                var q = widen(ByteVector.fromMemorySegment(B16, w, p + 2, LE));
                var lo = q.and((short) 0x0F);
                var hi = q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F);
                int x = xo + 32 * b;
                // |n * qx| <= 15 * 127, two of them per lane, pair sums <= 7620: 16 bits are enough
                var s = lo.mul(ShortVector.fromArray(S16, xq, x)).add(hi.mul(ShortVector.fromArray(S16, xq, x + 16)));
                float dw = Quant.f16(w, p);
                acc = toFloat(pairSum(s)).fma(FloatVector.broadcast(F8, dw * a.d[bo + b]), acc);
                offsetTerm += dw * a.dsum32[bo + b];
            }
            out[outOff + r] = Dot.sumLanes8(acc) - 8f * offsetTerm;
        }
    }

    /**
     * As {@link #pairSum}, on 512-bit vectors, in two operations instead of three: with {@code v = hi * 65536 +
     * (lo & 0xFFFF)}, {@code v * 65537 = v + (v << 16)} modulo 2^32, so bits 16-31 of the product are
     * {@code (hi + lo) mod 65536} (the low half, {@code lo & 0xFFFF}, carries nothing into them) and the arithmetic
     * shift gives {@code hi + lo}, exact under the same bound. One {@code vpmulld} for a shift and an add: JMH
     * {@code KernelBench.intDot} in cache, Q8_0 123 -> 105 us, Q4_K 97 -> 92, Q3_K 180 -> 163, Q5_K 126 -> 119;
     * Q6_K's kernel, already heavy in multiplies, went 119 -> 135 and keeps the shifts (docs/kernels.md).
     * (A separate method from pairSum: one method seeing both shapes would share one type profile between
     * them, and C2 may then leave vector values boxed.)
     */
    static IntVector pairSum512(ShortVector s) {
        return s.reinterpretAsInts().mul(65537).lanewise(VectorOperators.ASHR, 16);
    }

    /**
     * Short lane {@code i} of a 4-block Q4_0 group's 64 quant bytes (bytes {@code 2i, 2i+1}), as an index into
     * two loads of the group's 72 bytes, at byte 0 (lanes 0-31) and byte 8 (lanes 32-63): block {@code m = i / 8}
     * has its quants at byte {@code 18m + 2}; block 3's reach past the first load.
     */
    private static final ShortVector Q4_0_QUANTS = ShortVector.fromArray(S32, q4_0QuantIndexes(), 0);
    /** Int lane {@code j}'s upper short is block {@code j / 4}'s f16 scale: short {@code 9m} of a group (block m at byte 18m). */
    private static final VectorShuffle<Short> Q4_0_SCALES = VectorShuffle.fromOp(S32, i -> 9 * (i / 8));

    private static short[] q4_0QuantIndexes() {
        short[] idx = new short[32];
        for (int i = 0; i < 32; i++) {
            int m = i / 8, shortInGroup = 9 * m + 1 + i % 8;
            idx[i] = (short) (m < 3 ? shortInGroup : 32 + shortInGroup - 4);
        }
        return idx;
    }

    /**
     * Q4_0 on 512-bit vectors, four blocks (128 weights, 72 bytes) per step. The four blocks' 16 quant bytes
     * are put side by side in one 512-bit vector by one two-source short permute ({@code vpermi2w}: every
     * block starts at an even byte, so no byte permute, which would need AVX-512 VBMI) of two loads; seen as
     * 32 shorts, each holds four nibbles, taken out with shifts and masks in 16-bit lanes: no widening. Short
     * lane {@code i} holds bytes {@code 2i, 2i+1} of the group, so nibble vector {@code k} meets the activations
     * {@code q4[32k .. 32k+31]} of the group ({@link Q8Activations#q4} order), and 32-bit lane {@code j} of the
     * pair sums belongs to block {@code j / 4} and gets the {@code -8} offset exactly, in integers.
     *
     * <p>The four f16 scales are turned to floats on the vector too: one short permute puts block
     * {@code j / 4}'s scale in the upper half of int lane {@code j}; the sign stays at bit 31, the other 15
     * bits move 3 down into the float's exponent and mantissa, which is {@code d * 2^-112} (exact for every
     * finite f16, subnormals included; an infinite or NaN scale, which no quantizer writes, would come out
     * finite), and the activation scales carry the 2^112 ({@link Q8Activations#q4Aligned}): the product is
     * the same float as {@code d * dx}. A row's last 1-3 blocks take the 256-bit step of {@link #q4_0}'s
     * shape. The group loop and the last blocks are methods of their own, so C2 keeps the loop's vectors
     * unboxed.
     */
    static void q4_0Wide(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        if (row >= a.q4Rows) throw new IllegalStateException("Q4_0 kernel: activation row " + row + " is not in the Q4_0 order; call Q8Kernels.prepare first");
        final int cols = a.cols, groups = cols / 128;
        final float[] acc = ROW_ACC.get();
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            q4_0Groups(w, offset, rowBytes, n, groups, a, row, acc);
            Dot.sumRows16(acc, 0, acc, SUMS);
            for (int r = 0; r < n; r++) {
                float sum = acc[SUMS + r];
                if (4 * groups < cols / 32) sum += q4_0LastBlocks(w, offset + r * rowBytes, 4 * groups, a, row);
                out[outOff + r0 + r] = sum;
            }
        }
    }

    /** The groups of {@code n} Q4_0 rows; row r's accumulator goes to {@code out[16r, 16r + 16)} ({@link #ROW_ACC}). */
    private static void q4_0Groups(MemorySegment w, long offset, long rowBytes, int n, int groups, Q8Activations a, int row, float[] out) {
        final MemorySegment xq = a.q4Aligned;
        final int xo = row * a.cols;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F16);
            for (int g = 0; g < groups; g++) {
                long p = offset + 72L * g;
                // the group's activations: quants, offset term and scales in 384 bytes at 3x (Q8Activations#q4Aligned)
                long x = 3L * (xo + 128 * g);
                var c = ByteVector.fromMemorySegment(B64, w, p, LE).reinterpretAsShorts();
                var q = (ShortVector) Q4_0_QUANTS.selectFrom(c, ByteVector.fromMemorySegment(B64, w, p + 8, LE).reinterpretAsShorts());
                // |n * qx| <= 15 * 127, four per lane (7620), two lanes per pair sum (15240): 16 bits are enough
                var s = q.and((short) 0x0F).mul(ShortVector.fromMemorySegment(S32, xq, x, LE))
                        .add(q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(ShortVector.fromMemorySegment(S32, xq, x + 64, LE)))
                        .add(q.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(ShortVector.fromMemorySegment(S32, xq, x + 128, LE)))
                        .add(q.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromMemorySegment(S32, xq, x + 192, LE)));
                var f = (FloatVector) pairSum512(s).sub(IntVector.fromMemorySegment(I16, xq, x + 256, LE)).convertShape(VectorOperators.I2F, F16, 0);
                var h = c.rearrange(Q4_0_SCALES).reinterpretAsInts();
                var d = h.and(0x8000_0000).or(h.and(0x7FFF_0000).lanewise(VectorOperators.LSHR, 3)).reinterpretAsFloats();
                acc = f.fma(d.mul(FloatVector.fromMemorySegment(F16, xq, x + 320, LE)), acc);
            }
            acc.intoArray(out, 16 * r);
        }
    }

    /** Lane {@code 4r + b} of a quad's scale vector takes the activation scale of block b: lane {@code 4b} of the group's scales. */
    private static final VectorShuffle<Float> X4_ACT = VectorShuffle.fromOp(F16, k -> 4 * (k % 4));
    /** Row r's scales for the lanes of its pair sums: lane j of row r is block {@code j / 4}, lane {@code 4r + j / 4} of the quad's. */
    private static final VectorShuffle<Float> X4_ROW0 = VectorShuffle.fromOp(F16, j -> j / 4),
            X4_ROW1 = VectorShuffle.fromOp(F16, j -> 4 + j / 4),
            X4_ROW2 = VectorShuffle.fromOp(F16, j -> 8 + j / 4),
            X4_ROW3 = VectorShuffle.fromOp(F16, j -> 12 + j / 4);

    /**
     * Q4_0 rows interleaved four at a time ({@link Matrix#interleaved}): rows {@code [first, first + rows)} of the
     * matrix at {@code w} (of {@code cols} columns) with activation row {@code row}, into {@code out[outOff + i]}.
     * Whole quads are computed; rows of a quad outside the range are left out. Bit for bit {@link #q4_0Wide} on the
     * rows before interleaving: the same integer sums per lane, the same scale products, the same accumulation.
     *
     * <p>Why interleave: {@link #q4_0Wide} spends a third of its instructions putting each row's quants side by
     * side and on per-row address arithmetic and bounds checks. Here a row's four blocks of a group are one
     * 64-byte load, and the activations and the group's scales are loaded once for four rows. JMH
     * ({@code InterleaveBench}, one thread, 2,048 columns): 1,024 rows (in L2/L3) 75-76 -> 62-64 us, 65,536 rows
     * (from memory) 6.4 -> 5.6 ms.
     *
     * <p>The matrix ({@code height} rows) is in slices of {@link Matrix#QUAD_SLICE_GROUPS} groups (its class comment):
     * the run's quads pass slice after slice, each quad's four accumulators kept in {@link #QUAD_ACC} from one slice
     * to the next (stored and loaded as they are: the same sums in the same order, so the same bits).
     */
    static void q4_0x4(MemorySegment w, int height, int first, int rows, int cols, Q8Activations a, int row, float[] out, int outOff) {
        if (row >= a.q4Rows) throw new IllegalStateException("Q4_0 kernel: activation row " + row + " is not in the Q4_0 order; call Q8Kernels.prepare first");
        final int groups = cols / 128, end = first + rows, q0 = first / 4, quads = (end + 3) / 4 - q0;
        final float[] acc = zeroed(QUAD_ACC, 64 * ((quads + 3) & ~3));   // sumRows16 reads 4 quads
        // slice by slice (Matrix.QUAD_SLICE_GROUPS), the run's quads' accumulators carried in acc
        for (int g0 = 0; g0 < groups; g0 += Matrix.QUAD_SLICE_GROUPS) {
            int inSlice = Matrix.sliceGroups(cols, g0);
            long at = Matrix.quadSlice(height, cols, q0, g0);
            for (int u = 0; u < quads; u += ROWS_PER_CALL / 4) {
                q4_0Quads(w, at + Matrix.quadSliceBytes(inSlice) * u, Math.min(ROWS_PER_CALL / 4, quads - u), g0, inSlice, a, row, acc, 64 * u);
            }
        }
        final float[] sums = ROW_ACC.get();
        for (int u = 0; u < quads; u += ROWS_PER_CALL / 4) {
            Dot.sumRows16(acc, 64 * u, sums, SUMS);
            int r0 = 4 * (q0 + u), lo = Math.max(first, r0), hi = Math.min(end, r0 + ROWS_PER_CALL);
            System.arraycopy(sums, SUMS + lo - r0, out, outOff + lo - first, hi - lo);
        }
    }

    /** The accumulators of {@link #q4_0x4}'s run of quads, 64 floats per quad (four rows of 16 lanes), grown to the longest run. */
    private static final ThreadLocal<float[]> QUAD_ACC = ThreadLocal.withInitial(() -> new float[64 * ROWS_PER_CALL]);

    /** The calling thread's buffer in {@code holder} ({@link #QUAD_ACC}, {@link #ROW_CARRY}), grown to at least {@code n} floats, its first {@code n} zero. */
    private static float[] zeroed(ThreadLocal<float[]> holder, int n) {
        float[] b = holder.get();
        if (b.length < n) holder.set(b = new float[n]);
        else java.util.Arrays.fill(b, 0, n, 0f);
        return b;
    }

    /**
     * Constants as vectors for the decode kernels written for late inlining ({@link #q4_0Quads}, {@link #q8_0GroupRows},
     * the K-quants' sub-block rows), so that each of their operations is a {@code lanewise(op, vector)}.
     */
    private static final IntVector F16_BITS = IntVector.broadcast(I16, 0x8FFF_E000), TIMES_65537 = IntVector.broadcast(I16, 65537),
            SHIFT1 = IntVector.broadcast(I16, 1), SHIFT2 = IntVector.broadcast(I16, 2), SHIFT3 = IntVector.broadcast(I16, 3),
            SHIFT4 = IntVector.broadcast(I16, 4), SHIFT8 = IntVector.broadcast(I16, 8), SHIFT12 = IntVector.broadcast(I16, 12),
            SHIFT13 = IntVector.broadcast(I16, 13), SHIFT16 = IntVector.broadcast(I16, 16);
    private static final FloatVector TIMES_2_112 = FloatVector.broadcast(F16, 0x1p112f);
    private static final IntVector ZERO_I16 = IntVector.zero(I16);
    /**
     * A vector of {@link #F16}'s class, to call {@code broadcast(float)} on: the class overrides it, so a broadcast from
     * a constant is known to be of that class wherever C2 inlines it (see {@link #q4_0Quads}).
     */
    private static final FloatVector F16_VECTOR = FloatVector.zero(F16);

    /**
     * {@code quads} quads of interleaved Q4_0 rows, over groups {@code [g0, g0 + groups)} (one slice, starting at
     * {@code offset}); row r's accumulator, taken from {@code out[outOff + 16r, outOff + 16r + 16)}, goes back there.
     *
     * <p>Written so that C2's code for it depends less on what other vector code ran before it (docs/kernels.md,
     * "Decode kernels written for C2's late inlining"). The body is past C2's parse budget, so most of its operations are
     * inlined late, where a receiver whose class is not known yet makes C2 read the type profiles of the JDK's shared
     * Vector API methods, which callers of every shape write into, and an intrinsic whose operand is not known to be
     * a vector of its class is given up (the operation then boxes). Hence: every operation is one the concrete vector
     * class overrides ({@code lanewise(op, v)}, {@code lanewise(FMA, v, w)}, {@code reinterpretShape},
     * {@code convertShape}, {@code rearrange}), so the call is resolved by this method's own profile and the
     * receiver's class is exact inside it (the convenience forms {@code and(int)}, {@code mul}, {@code add},
     * {@code fma}, {@code lanewise(op, int)}, {@code reinterpretAsShorts} are final methods of the abstract classes
     * that call on through the shared profiles); constants are vectors; no vector but the accumulators is carried
     * round the group loop (a loop phi of late-inlined values is not known to be a vector); and the accumulators
     * are updated by the row's scale vector, {@code d_r.lanewise(FMA, f, acc)} (the same product, so the same
     * bits), whose class is exact because it is computed first, within the parse budget. The accumulators start
     * from {@code FloatVector.fromArray} (an intrinsic of exact class, as {@code FloatVector.zero} was before the
     * slices). The weights are loaded
     * at use, no longer a group ahead: with this form that is faster from memory too (docs/perf.md).
     * {@code ProfilePollution} (engine's JMH sources) reproduces the lottery: the previous form boxed in 4 of 4
     * processes, this one in none; {@code hearth bench} still caught it in 3 of 60 processes on a 1.1B Q4_0 file.
     */
    private static void q4_0Quads(MemorySegment w, long offset, int quads, int g0, int groups, Q8Activations a, int row, float[] out, int outOff) {
        final MemorySegment xq = a.q4Aligned;
        final int xo = row * a.cols + 128 * g0;
        // Matrix.quadSliceBytes written out: one call fewer in a method past C2's parse budget (see below)
        final long quadBytes = Matrix.QUAD_GROUP_BYTES * groups + 32 * (groups & 1);
        for (int u = 0; u < quads; u++, offset += quadBytes) {
            int o = outOff + 64 * u;
            var acc0 = FloatVector.fromArray(F16, out, o);
            var acc1 = FloatVector.fromArray(F16, out, o + 16);
            var acc2 = FloatVector.fromArray(F16, out, o + 32);
            var acc3 = FloatVector.fromArray(F16, out, o + 48);
            for (int g = 0; g < groups; g++) {
                // groups in pairs (Matrix.pairScales, pairQuants): both groups' scales in a line, then both groups'
                // quants; a slice's odd last group is placed as a pair's first. From g: scales at 288 g (even g) or
                // 288 g - 256 (odd), quants 64 or 288 bytes after them. (Computed from the pair's start, with two
                // more operations, ProfilePollution boxed in 1 or 2 of 9 processes, against 1 of 21 in this form.)
                long x = 3L * (xo + 128 * g), sc = offset + Matrix.QUAD_GROUP_BYTES * g - 256 * (g & 1), p = sc + 64 + 224 * (g & 1);
                // the quad's 16 float16 scales, sign-extended: bits 0-14 move to 13-27, the sign's copies above
                // them to 28-31, of which bit 31 is kept: d * 2^-112 as in q4_0Groups
                var h = (IntVector) ShortVector.fromMemorySegment(S16, w, sc, LE).convertShape(VectorOperators.S2I, I16, 0);
                var d = ((FloatVector) h.lanewise(LSHL, SHIFT13).lanewise(AND, F16_BITS).reinterpretShape(F16, 0))
                        .lanewise(MUL, FloatVector.fromMemorySegment(F16, xq, x + 320, LE).rearrange(X4_ACT));
                // each row's scales, before the rows: the accumulators' FMAs are called on them (see above)
                var d0 = d.rearrange(X4_ROW0);
                var d1 = d.rearrange(X4_ROW1);
                var d2 = d.rearrange(X4_ROW2);
                var d3 = d.rearrange(X4_ROW3);
                var x0 = ShortVector.fromMemorySegment(S32, xq, x, LE);
                var x1 = ShortVector.fromMemorySegment(S32, xq, x + 64, LE);
                var x2 = ShortVector.fromMemorySegment(S32, xq, x + 128, LE);
                var x3 = ShortVector.fromMemorySegment(S32, xq, x + 192, LE);
                var xOff = IntVector.fromMemorySegment(I16, xq, x + 256, LE);
                // a row's 32 shorts of four nibbles, shifted as ints; the mask keeps each short's low nibble, so the
                // bits an int shift moves across shorts drop out. The four rows are written out: as one helper called
                // four times, C2 left the calls out of line and boxed their vectors. Pair sums as in pairSum512.
                IntVector q, v;
                ShortVector s;
                FloatVector f;
                q = IntVector.fromMemorySegment(I16, w, p, LE);
                s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x0)
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x1))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x2))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x3));
                v = (IntVector) s.reinterpretShape(I16, 0);
                f = (FloatVector) v.lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(SUB, xOff).convertShape(VectorOperators.I2F, F16, 0);
                acc0 = d0.lanewise(FMA, f, acc0);
                q = IntVector.fromMemorySegment(I16, w, p + 64, LE);
                s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x0)
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x1))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x2))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x3));
                v = (IntVector) s.reinterpretShape(I16, 0);
                f = (FloatVector) v.lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(SUB, xOff).convertShape(VectorOperators.I2F, F16, 0);
                acc1 = d1.lanewise(FMA, f, acc1);
                q = IntVector.fromMemorySegment(I16, w, p + 128, LE);
                s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x0)
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x1))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x2))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x3));
                v = (IntVector) s.reinterpretShape(I16, 0);
                f = (FloatVector) v.lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(SUB, xOff).convertShape(VectorOperators.I2F, F16, 0);
                acc2 = d2.lanewise(FMA, f, acc2);
                q = IntVector.fromMemorySegment(I16, w, p + 192, LE);
                s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x0)
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x1))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x2))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, x3));
                v = (IntVector) s.reinterpretShape(I16, 0);
                f = (FloatVector) v.lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(SUB, xOff).convertShape(VectorOperators.I2F, F16, 0);
                acc3 = d3.lanewise(FMA, f, acc3);
            }
            acc0.intoArray(out, o);
            acc1.intoArray(out, o + 16);
            acc2.intoArray(out, o + 32);
            acc3.intoArray(out, o + 48);
        }
    }

    /** Blocks {@code [first, cols / 32)} of a Q4_0 row, one at a time on 256-bit vectors (their q4 order is the natural one). */
    private static float q4_0LastBlocks(MemorySegment w, long offset, int first, Q8Activations a, int row) {
        final short[] xq = a.q4;
        final int xo = row * a.cols, bo = xo / 32;
        float sum = 0f;
        for (int k = first; k < a.cols / 32; k++) {
            long p = offset + 18L * k;
            int x = xo + 32 * k, b = bo + k;
            var q = widen(ByteVector.fromMemorySegment(B16, w, p + 2, LE));
            var s = q.and((short) 0x0F).mul(ShortVector.fromArray(S16, xq, x))
                    .add(q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S16, xq, x + 16)));
            sum += Dot.sumLanes8(toFloat(pairSum(s).sub(IntVector.fromArray(I8, a.q4Offset, 8 * b))).mul(Quant.f16(w, p) * a.d[b]));
        }
        return sum;
    }

    /**
     * Q8_0 on 512-bit vectors: one block's 32 quant bytes widened to 32 shorts, one product per lane
     * (at most 128 * 127, pair sums <= 32512); even blocks into accumulator 0, odd into 1.
     */
    static void q8_0Wide(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final float[] acc = ROW_ACC.get();
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            q8_0Rows(w, offset, rowBytes, n, a, row, acc);
            rowSums(acc, n, out, outOff + r0);
        }
    }

    /** {@code n} Q8_0 rows; row r's accumulator goes to {@code out[16r, 16r + 16)} ({@link #ROW_ACC}). */
    private static void q8_0Rows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int cols = a.cols, xo = row * cols, bo = xo / 32, pairs = cols / 64;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc0 = FloatVector.zero(F16);
            var acc1 = FloatVector.zero(F16);
            for (int k = 0; k < pairs; k++) {
                long p = offset + 68L * k;
                int x = xo + 64 * k, b = bo + 2 * k;
                acc0 = q8_0Wide(w, p, xq, x, dx[b], acc0);
                acc1 = q8_0Wide(w, p + 34, xq, x + 32, dx[b + 1], acc1);
            }
            if ((cols & 63) != 0) acc0 = q8_0Wide(w, offset + 68L * pairs, xq, xo + 64 * pairs, dx[bo + 2 * pairs], acc0);
            acc0.add(acc1).intoArray(out, 16 * r);
        }
    }

    private static FloatVector q8_0Wide(MemorySegment w, long p, short[] xq, int x, float dx, FloatVector acc) {
        var q = (ShortVector) ByteVector.fromMemorySegment(B32, w, p + 2, LE).convertShape(VectorOperators.B2S, S32, 0);
        var f = (FloatVector) pairSum512(q.mul(ShortVector.fromArray(S32, xq, x))).convertShape(VectorOperators.I2F, F16, 0);
        return f.fma(FloatVector.broadcast(F16, Quant.f16(w, p) * dx), acc);
    }

    /**
     * Q4_K: w = d * sc_j * n - dmin * m_j on sub-block j of 32, with Q8_K activations (one dx per 256):
     * sum = d * dx * sum_j sc_j * sum(n * qx)  -  dmin * dx * sum_j m_j * sum(qx).
     * The integer part is accumulated in 32-bit lanes over the whole super-block
     * (at most 63 * 15 * 127 * 256, far below 2^31).
     */
    static void q4_K(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final short[] xq = a.q;
        final int cols = a.cols, xo = row * cols;
        final int[] bsum32 = a.bsum32;
        for (int r = 0; r < rows; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F8);
            float minTerm = 0f;
            for (int b = 0; b < cols / 256; b++) {
                long p = offset + 144L * b, sc = p + 4, qs = p + 16;
                int x = xo + 256 * b;
                var isum = IntVector.zero(I8);
                int mins = 0;
                long lo = w.get(Quant.I64, sc);
                int hi = w.get(Quant.I32, sc + 8);
                long scales = Quant.kScales(lo, hi), minsPacked = Quant.kMins(lo, hi);
                for (int j = 0; j < 8; j++) {
                    // sub-block j: the low (j even) or high (j odd) nibbles of the 32 bytes of group j/2
                    long q = qs + 32L * (j >> 1);
                    int shift = 4 * (j & 1), xj = x + 32 * j;
                    var s = widen(Dot.nibbles(ByteVector.fromMemorySegment(B16, w, q, LE), shift)).mul(ShortVector.fromArray(S16, xq, xj))
                            .add(widen(Dot.nibbles(ByteVector.fromMemorySegment(B16, w, q + 16, LE), shift)).mul(ShortVector.fromArray(S16, xq, xj + 16)));
                    // lanes hold two products of at most 15 * 127 each; pair sums <= 7620
                    isum = isum.add(pairSum(s).mul((int) (scales >>> 8 * j & 0xFF)));
                    mins += (int) (minsPacked >>> 8 * j & 0xFF) * bsum32[xj / 32];
                }
                float dx = a.d[x / 256];
                acc = toFloat(isum).fma(FloatVector.broadcast(F8, Quant.f16(w, p) * dx), acc);
                minTerm += Quant.f16(w, p + 2) * dx * mins;
            }
            out[outOff + r] = Dot.sumLanes8(acc) - minTerm;
        }
    }

    /**
     * Q5_K: as {@link #q4_K} with a 5th bit, n in 0..31: bit {@code j} of {@code qh[l]} is the top bit
     * of value {@code l} of sub-block j. Pair sums are at most 2 * 2 * 31 * 127 = 15748.
     */
    static void q5_K(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final short[] xq = a.q;
        final int cols = a.cols, xo = row * cols;
        final int[] bsum32 = a.bsum32;
        for (int r = 0; r < rows; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F8);
            float minTerm = 0f;
            for (int b = 0; b < cols / 256; b++) {
                long p = offset + 176L * b, sc = p + 4, qh = p + 16, qs = p + 48;
                int x = xo + 256 * b;
                var isum = IntVector.zero(I8);
                int mins = 0;
                long lo = w.get(Quant.I64, sc);
                int hi = w.get(Quant.I32, sc + 8);
                long scales = Quant.kScales(lo, hi), minsPacked = Quant.kMins(lo, hi);
                for (int j = 0; j < 8; j++) {
                    long q = qs + 32L * (j >> 1);
                    int shift = 4 * (j & 1), xj = x + 32 * j;
                    var s = widen(Dot.q5kQuants(w, q, qh, shift, j)).mul(ShortVector.fromArray(S16, xq, xj))
                            .add(widen(Dot.q5kQuants(w, q + 16, qh + 16, shift, j)).mul(ShortVector.fromArray(S16, xq, xj + 16)));
                    isum = isum.add(pairSum(s).mul((int) (scales >>> 8 * j & 0xFF)));
                    mins += (int) (minsPacked >>> 8 * j & 0xFF) * bsum32[xj / 32];
                }
                float dx = a.d[x / 256];
                acc = toFloat(isum).fma(FloatVector.broadcast(F8, Quant.f16(w, p) * dx), acc);
                minTerm += Quant.f16(w, p + 2) * dx * mins;
            }
            out[outOff + r] = Dot.sumLanes8(acc) - minTerm;
        }
    }

    /**
     * Q6_K: w = d * sc_j * (n - 32), n in 0..63, int8 scale per sub-block j of 16:
     * sum = d * dx * (sum_j sc_j * sum(n * qx) - 32 * sum_j sc_j * sum_j(qx)).
     */
    static void q6_K(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final short[] xq = a.q;
        final int cols = a.cols, xo = row * cols;
        final int[] bsum = a.bsum16;
        for (int r = 0; r < rows; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F8);
            float offsetTerm = 0f;
            for (int b = 0; b < cols / 256; b++) {
                long p = offset + 210L * b;
                int x = xo + 256 * b;
                var isum = IntVector.zero(I8);
                int offsetSum = 0;
                long sc0 = w.get(Quant.I64, p + 192), sc1 = w.get(Quant.I64, p + 200);
                for (int j = 0; j < 16; j++) {
                    int sc = (byte) ((j < 8 ? sc0 : sc1) >>> 8 * (j & 7));
                    // one product of at most 63 * 127 per lane; pair sums <= 16002
                    isum = isum.add(pairSum(widen(Dot.q6kQuants(w, p, j)).mul(ShortVector.fromArray(S16, xq, x + 16 * j))).mul(sc));
                    offsetSum += sc * bsum[x / 16 + j];
                }
                float scale = Quant.f16(w, p + 208) * a.d[x / 256];
                acc = toFloat(isum).fma(FloatVector.broadcast(F8, scale), acc);
                offsetTerm += scale * 32f * offsetSum;
            }
            out[outOff + r] = Dot.sumLanes8(acc) - offsetTerm;
        }
    }

    /**
     * Byte {@code i} of a Q4_K super-block's first 16 bytes ({@code d}, {@code dmin}, then 12 bytes of packed
     * 6-bit scales and mins from byte 4) that holds the low bits of min {@code j} (lanes 0-7) and scale
     * {@code j} (lanes 8-15); {@link #K_HIGH_BITS} the byte whose top two bits are bits 4-5 of the entries
     * {@code j >= 4}. The layout is {@link Quant#kScales}'s and {@link Quant#kMins}'s.
     */
    private static final VectorShuffle<Byte> K_LOW_BITS = VectorShuffle.fromValues(B16, 8, 9, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7, 12, 13, 14, 15);
    private static final VectorShuffle<Byte> K_HIGH_BITS = VectorShuffle.fromValues(B16, 4, 4, 4, 4, 8, 9, 10, 11, 4, 4, 4, 4, 4, 5, 6, 7);
    /** Mask of the low-bits byte: 6 bits for entries j < 4, 4 bits (a nibble) for j >= 4. */
    private static final ByteVector K_LOW_MASK = ByteVector.fromArray(B16, new byte[] {63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 15, 15, 15, 15}, 0);
    private static final ByteVector K_HIGH_MASK = ByteVector.fromArray(B16, new byte[] {0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30, 0, 0, 0, 0, 0x30, 0x30, 0x30, 0x30}, 0);
    /** Lanes 4-7: the mins j >= 4 are the high nibbles of their low-bits byte. */
    private static final VectorMask<Byte> K_HIGH_NIBBLE = VectorMask.fromLong(B16, 0x00F0L);

    /**
     * The 8 mins (lanes 0-7) and 8 scales (lanes 8-15) of a Q4_K or Q5_K super-block whose first 16 bytes are
     * {@code packed}: two byte shuffles and masks. The shifts run on 32-bit lanes (x86 has no byte shift: the
     * Vector API's byte shift is a widen, a shift and a pack), the bits a byte takes from its neighbour masked off.
     */
    private static IntVector kMinsAndScales(ByteVector packed) {
        var low = packed.rearrange(K_LOW_BITS);
        low = low.blend(low.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes(), K_HIGH_NIBBLE).and(K_LOW_MASK);
        var high = packed.rearrange(K_HIGH_BITS).reinterpretAsInts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and(K_HIGH_MASK);
        return (IntVector) low.or(high).convertShape(VectorOperators.B2I, I16, 0);
    }

    /**
     * {@code acc + dmin * (min_j * bsum32_j)} lane by lane for {@code j < 8} (the mins in lanes 0-7 of
     * {@code minsAndScales}; lanes 8-15, the scales, dropped): a Q4_K/Q5_K super-block's min term. Each
     * product is at most 63 * 32 * 127, exact as a float.
     */
    private static FloatVector kMinTerm(IntVector minsAndScales, int[] bsum32, int at, float dmin, FloatVector acc) {
        var m = minsAndScales.mul(IntVector.fromArray(I16, bsum32, at)).blend(0, UPPER_8_INTS);
        return ((FloatVector) m.convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, dmin), acc);
    }

    /**
     * Q4_K on 512-bit vectors, a super-block (256 values) per step: its 128 quant bytes are two 64-byte loads,
     * each seen as 32 shorts of four nibbles taken out in 16-bit lanes as in {@link #q4_0Wide} (no widening),
     * against activations in the matching order ({@link Q8Activations#prepareQ4_K}). Short {@code i} of a
     * load lies in 32-byte group {@code i / 16}, whose low nibbles are one sub-block and high nibbles the
     * next, so the two low nibbles of a short (bytes {@code 2i, 2i+1}) share a sub-block, as do the two high
     * ones: their products are added in 16 bits (at most 2 * 15 * 127 per lane, pair sums 7620), and each
     * 32-bit lane of the pair sums belongs to one sub-block (lanes 0-7 one group, 8-15 the other), multiplied
     * by a vector of the sub-blocks' 6-bit scales. The super-block's integer sum (exact: at most
     * 4 * 63 * 7620 per lane) is converted once and scaled by {@code d * dx}, as llama.cpp does.
     */
    static void q4_KWide(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        requireOrder(a.q4_K, row, "Q4_K");
        final float[] acc = ROW_ACC.get();
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            q4_KRows(w, offset, rowBytes, n, a, row, acc);
            kRowSums(acc, n, out, outOff + r0);
        }
    }


    /**
     * Scale lanes for a Q4_K super-block's pair sums, as indexes into its 16 unpacked ints (mins 0-7, scales
     * 8-15): per product vector of {@link #q4_KRows}, lanes 0-7 one sub-block's scale, lanes 8-15 the other's:
     * (low nibbles of load 0) sub-blocks 0 | 2, (high, load 0) 1 | 3; load 1 takes the sub-blocks 4 further on
     * ({@code K_SCALES_0 + 4}: 4 | 6, and 5 | 7).
     */
    private static final IntVector K_SCALES_0 = halves(8, 10), K_SCALES_1 = halves(9, 11);

    private static IntVector halves(int lo, int hi) {
        int[] idx = new int[16];
        for (int l = 0; l < 16; l++) idx[l] = l < 8 ? lo : hi;
        return IntVector.fromArray(I16, idx, 0);
    }

    /**
     * {@code n} Q4_K rows, a super-block per step: its 6-bit mins and scales unpacked by one byte shuffle into 16
     * ints (8 mins, 8 scales) and spread over four scale vectors by int permutes; the min term {@code dmin * dx *
     * sum_j min_j * bsum32_j} as a vector of exact int products (lanes 8-15 dropped) scaled into a second
     * accumulator; then the dot. (Two passes per row, scales first into memory, cost as much in the
     * scale pass as in the dot once the dot was short.) Row r's two accumulators go to {@code out[16r, 16r + 16)}
     * and {@code out[256 + 16r, ...)} ({@link #ROW_ACC}).
     */
    private static void q4_KRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q4_K.q;
        final int[] bsum32 = a.bsum32;
        final float[] dx = a.d;
        final int xo = row * a.cols, blocks = a.cols / 256;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F16);
            var minAcc = FloatVector.zero(F16);
            for (int b = 0; b < blocks; b++) {
                long p = offset + 144L * b;
                int x = xo + 256 * b;
                // d, dmin and the packed scales in one load; the f16s taken from it (a call to Quant.f16 was not
                // inlined here, past C2's node budget, and made every vector register spill around it)
                var packed = ByteVector.fromMemorySegment(B16, w, p, LE);
                var sc = kMinsAndScales(packed);
                var dm = packed.reinterpretAsShorts();
                float dX = dx[b + xo / 256], d = Float.float16ToFloat(dm.lane(0)) * dX, dmin = Float.float16ToFloat(dm.lane(1)) * dX;
                minAcc = kMinTerm(sc, bsum32, x / 32, dmin, minAcc);

                // the two halves (128 values, one 64-byte load) in a loop, and the activations from a Java array:
                // with the body written out and the activations in an aligned memory segment, C2 ran past its
                // node budget for parsing in most JVM runs after a prefill (the budget depends on the type and
                // branch profiles that the prefill left), inlined the rest of the body late, without exact vector
                // types, and made 5x the code: decode of a Q4_K_M file 17 instead of 28 t/s (docs/kernels.md)
                var isum = IntVector.zero(I16);
                for (int h = 0; h < 2; h++) {
                    var q = ByteVector.fromMemorySegment(B64, w, p + 16 + 64 * h, LE).reinterpretAsShorts();
                    int xh = x + 128 * h;
                    // two products of at most 15 * 127 per lane, pair sums <= 7620
                    var lo = q.and((short) 0x0F).mul(ShortVector.fromArray(S32, xq, xh))
                            .add(q.lanewise(VectorOperators.LSHR, 8).and((short) 0x0F).mul(ShortVector.fromArray(S32, xq, xh + 64)))
                            .reinterpretAsInts();
                    var hi = q.lanewise(VectorOperators.LSHR, 4).and((short) 0x0F).mul(ShortVector.fromArray(S32, xq, xh + 32))
                            .add(q.lanewise(VectorOperators.LSHR, 12).mul(ShortVector.fromArray(S32, xq, xh + 96)))
                            .reinterpretAsInts();
                    // pair sums written out (as pairSum512), times the 6-bit scales: at most 4 * 63 * 7620 per
                    // lane over the super-block, exact (the same in float, converts and FMAs instead of vpmulld,
                    // was slower)
                    isum = isum.add(lo.mul(65537).lanewise(VectorOperators.ASHR, 16).mul(K_SCALES_0.add(4 * h).selectFrom(sc)))
                            .add(hi.mul(65537).lanewise(VectorOperators.ASHR, 16).mul(K_SCALES_1.add(4 * h).selectFrom(sc)));
                }
                acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
            }
            acc.intoArray(out, 16 * r);
            minAcc.intoArray(out, 16 * (ROWS_PER_CALL + r));
        }
    }

    /**
     * Q4_K in the sub-block layout ({@link Matrix#interleaved}): rows {@code [first, first + rows)} of a matrix of
     * {@code height} rows, rows of more than one slice ({@link Matrix#K_SLICE_BLOCKS}) slice by slice
     * ({@link #q4_KSliceRows}), on 512-bit vectors: as {@link #q4_KWide}, but each 16-bit lane of both 64-byte quant loads holds nibbles of
     * one sub-block only (lane {@code i}: sub-block {@code i / 4}), so a lane's eight products (at most
     * 8 * 15 * 127 = 15,240) add up in 16 bits over the whole super-block, and the pair sums and their
     * multiplication by the 6-bit scales are done once per super-block instead of four times; the scales and
     * mins are stored unpacked, one byte each, and taken by one widening load. The integer sum per super-block
     * is the same as {@link #q4_KWide}'s (exact), spread over other lanes.
     */
    static void q4_KSplit(MemorySegment w, int height, int first, int rows, Q8Activations a, int row, float[] out, int outOff) {
        requireOrder(a.q4_KSplit, row, "Q4_K");
        final int cols = a.cols, slices = Matrix.slices(cols / 256, Matrix.K_SLICE_BLOCKS);
        final float[] acc = ROW_ACC.get();
        // rows of one super-block (the small models' 256 values): no loop over super-blocks (q6_KSplitShortRows)
        final boolean shortRows = a.cols == 256;
        if (slices == 1) {
            long rowBytes = Matrix.Q4_K_SPLIT_BYTES * (cols / 256), offset = first * rowBytes;
            for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
                int n = Math.min(ROWS_PER_CALL, rows - r0);
                if (shortRows) q4_KSplitShortRows(w, offset, rowBytes, n, a, row, acc);
                else q4_KSplitRows(w, offset, rowBytes, n, a, row, acc);
                kRowSums(acc, n, out, outOff + r0);
            }
            return;
        }
        // slice by slice (Matrix.K_SLICE_BLOCKS), each row's three accumulators carried in ROW_CARRY
        final float[] carry = zeroed(ROW_CARRY, 48 * rows);
        for (int s = 0; s < slices; s++) {
            int blocks = Matrix.sliceUnits(cols / 256, Matrix.K_SLICE_BLOCKS, s);
            long rowBytes = Matrix.Q4_K_SPLIT_BYTES * blocks, at = Matrix.Q4_K_SPLIT_BYTES * Matrix.sliceRow(height, cols / 256, Matrix.K_SLICE_BLOCKS, s, first);
            for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL) {
                q4_KSliceRows(w, at + r0 * rowBytes, rowBytes, Math.min(ROWS_PER_CALL, rows - r0), a, row, Matrix.K_SLICE_BLOCKS * s, blocks, carry, 48 * r0);
            }
        }
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            for (int r = 0; r < n; r++) {
                int c = 48 * (r0 + r);
                FloatVector.fromArray(F16, carry, c).lanewise(ADD, FloatVector.fromArray(F16, carry, c + 16)).intoArray(acc, 16 * r);
                FloatVector.fromArray(F16, carry, c + 32).intoArray(acc, 16 * (ROWS_PER_CALL + r));
            }
            kRowSums(acc, n, out, outOff + r0);
        }
    }

    /** Pair-sum lane {@code j} of a sub-block-layout super-block belongs to sub-block {@code j / 2}: its scale is unpacked lane {@code 8 + j / 2}. */
    private static final IntVector K_SPLIT_SCALES = IntVector.fromArray(I16, new int[] {8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15}, 0);

    /**
     * {@code n} Q4_K rows in the sub-block layout, as {@link #q4_KRows} (its two accumulators per row into
     * {@link #ROW_ACC}); the dot's float sums alternate between two accumulators, super-block by super-block.
     * Why two: with one, the only other difference from {@link #q4_KRows} being which lanes the exact integer
     * sums land in, the float rounding moved one teacher-forced top-1 of {@code ReferenceOutputsTest} on the
     * random tiny Q4_K_M file (a near-tie, 0.055 nats) off llama.cpp's; two accumulators did not. Neither is
     * more exact: both round once per super-block and lane.
     */
    private static void q4_KSplitRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q4_KSplit.q;
        final int[] bsum32 = a.bsum32;
        final float[] dx = a.d;
        final int xo = row * a.cols, blocks = a.cols / 256;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F16);
            var acc2 = acc;
            var minAcc = FloatVector.zero(F16);
            for (int b = 0; b < blocks; b++) {
                long p = offset + Matrix.Q4_K_SPLIT_BYTES * b;
                int x = xo + 256 * b;
                // mins (lanes 0-7) and scales (8-15), one byte each
                var ms = (IntVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2I, I16, 0);
                int dm = w.get(Quant.I32, p + 16);
                float dX = dx[b + xo / 256], d = Float.float16ToFloat((short) dm) * dX, dmin = Float.float16ToFloat((short) (dm >>> 16)) * dX;
                // written for C2's late inlining as q4_0Quads: operations the classes override, FMAs called on
                // broadcasts from a constant vector, the two halves written out (no vector carried round a loop but
                // the accumulators); nibbles taken with int shifts and masks as there (the same shorts)
                var m = ms.lanewise(MUL, IntVector.fromArray(I16, bsum32, x / 32)).blend(ZERO_I16, UPPER_8_INTS);
                minAcc = F16_VECTOR.broadcast(dmin).lanewise(FMA, (FloatVector) m.convertShape(VectorOperators.I2F, F16, 0), minAcc);
                var q = IntVector.fromMemorySegment(I16, w, p + 20, LE);
                var s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96)));
                q = IntVector.fromMemorySegment(I16, w, p + 84, LE);
                s = s.lanewise(ADD, ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224)));
                // pair sums (at most 30,480) times the scales: at most 1,920,240 per lane, exact as a float
                var isum = ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, K_SPLIT_SCALES.selectFrom(ms));
                var next = F16_VECTOR.broadcast(d).lanewise(FMA, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0), acc2);
                acc2 = acc;
                acc = next;
            }
            acc.lanewise(ADD, acc2).intoArray(out, 16 * r);
            minAcc.intoArray(out, 16 * (ROWS_PER_CALL + r));
        }
    }

    /** {@link #q4_KSplitRows} for rows of one super-block (256 values), as {@link #q6_KSplitShortRows}. */
    private static void q4_KSplitShortRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q4_KSplit.q;
        final int[] bsum32 = a.bsum32;
        final float[] dx = a.d;
        final int xo = row * a.cols;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            long p = offset;
            int x = xo;
            // mins (lanes 0-7) and scales (8-15), one byte each
            var ms = (IntVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2I, I16, 0);
            int dm = w.get(Quant.I32, p + 16);
            float dX = dx[xo / 256], d = Float.float16ToFloat((short) dm) * dX, dmin = Float.float16ToFloat((short) (dm >>> 16)) * dX;
            // written for C2's late inlining as q4_0Quads: operations the classes override, multiplies called on
            // broadcasts from a constant vector, the two halves written out; nibbles taken with int shifts and masks
            // as there (the same shorts)
            var m = ms.lanewise(MUL, IntVector.fromArray(I16, bsum32, x / 32)).blend(ZERO_I16, UPPER_8_INTS);
            F16_VECTOR.broadcast(dmin).lanewise(MUL, (FloatVector) m.convertShape(VectorOperators.I2F, F16, 0)).intoArray(out, 16 * (ROWS_PER_CALL + r));
            var q = IntVector.fromMemorySegment(I16, w, p + 20, LE);
            var s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96)));
            q = IntVector.fromMemorySegment(I16, w, p + 84, LE);
            s = s.lanewise(ADD, ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224)));
            // pair sums (at most 30,480) times the scales: at most 1,920,240 per lane, exact as a float
            var isum = ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, K_SPLIT_SCALES.selectFrom(ms));
            F16_VECTOR.broadcast(d).lanewise(MUL, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0)).intoArray(out, 16 * r);
        }
    }

    /**
     * {@link #q4_KSplitRows} over one slice of long rows ({@link Matrix#K_SLICE_BLOCKS}): super-blocks {@code [k0, k0 +
     * blocks)} of {@code n} rows of {@code rowBytes} from {@code offset}, row r's three accumulators taken from
     * {@code out[outOff + 48r, outOff + 48r + 48)} and put back there (the same sums in the same order as one pass over
     * the row, so the same bits). A copy of {@link #q4_KSplitRows} rather than one kernel for both, as
     * {@link #q8_0SliceRows} is of its kernel: carrying the accumulators through memory costs short rows.
     */
    private static void q4_KSliceRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, int k0, int blocks,
                                      float[] out, int outOff) {
        final short[] xq = a.q4_KSplit.q;
        final int[] bsum32 = a.bsum32;
        final float[] dx = a.d;
        final int xo = row * a.cols + 256 * k0;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            int o = outOff + 48 * r;
            var acc = FloatVector.fromArray(F16, out, o);
            var acc2 = FloatVector.fromArray(F16, out, o + 16);
            var minAcc = FloatVector.fromArray(F16, out, o + 32);
            for (int b = 0; b < blocks; b++) {
                long p = offset + Matrix.Q4_K_SPLIT_BYTES * b;
                int x = xo + 256 * b;
                // mins (lanes 0-7) and scales (8-15), one byte each
                var ms = (IntVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2I, I16, 0);
                int dm = w.get(Quant.I32, p + 16);
                float dX = dx[b + xo / 256], d = Float.float16ToFloat((short) dm) * dX, dmin = Float.float16ToFloat((short) (dm >>> 16)) * dX;
                // written for C2's late inlining as q4_0Quads: operations the classes override, FMAs called on
                // broadcasts from a constant vector, the two halves written out (no vector carried round a loop but
                // the accumulators); nibbles taken with int shifts and masks as there (the same shorts)
                var m = ms.lanewise(MUL, IntVector.fromArray(I16, bsum32, x / 32)).blend(ZERO_I16, UPPER_8_INTS);
                minAcc = F16_VECTOR.broadcast(dmin).lanewise(FMA, (FloatVector) m.convertShape(VectorOperators.I2F, F16, 0), minAcc);
                var q = IntVector.fromMemorySegment(I16, w, p + 20, LE);
                var s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96)));
                q = IntVector.fromMemorySegment(I16, w, p + 84, LE);
                s = s.lanewise(ADD, ((ShortVector) q.lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224)));
                // pair sums (at most 30,480) times the scales: at most 1,920,240 per lane, exact as a float
                var isum = ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, K_SPLIT_SCALES.selectFrom(ms));
                var next = F16_VECTOR.broadcast(d).lanewise(FMA, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0), acc2);
                acc2 = acc;
                acc = next;
            }
            acc.intoArray(out, o);
            acc2.intoArray(out, o + 16);
            minAcc.intoArray(out, o + 32);
        }
    }

    /** Bit 4 of both shorts of an int lane: where a Q5_K nibble's fifth bit goes. */
    private static final IntVector BIT_4 = IntVector.broadcast(I16, 0x0010_0010);

    /**
     * Q5_K in the sub-block layout ({@link Matrix#interleaved}): {@link #q4_KSplit} with a fifth bit per value, from
     * 32 bytes widened to one short per 16-bit lane of the quants (byte {@code i}: lane {@code i} of both halves).
     * Values 0..31: a lane's eight products at most 8 * 31 * 127 = 31,496, pair sums up to 62,992 (sign-extended
     * as in {@link #q6_KSplit}, past {@link #pairSum}'s bound). Activations in the Q4_K sub-block order.
     */
    static void q5_KSplit(MemorySegment w, int height, int first, int rows, Q8Activations a, int row, float[] out, int outOff) {
        requireOrder(a.q4_KSplit, row, "Q5_K");
        final int cols = a.cols, slices = Matrix.slices(cols / 256, Matrix.K_SLICE_BLOCKS);
        final float[] acc = ROW_ACC.get();
        // rows of one super-block (the small models' 256 values): no loop over super-blocks (q6_KSplitShortRows)
        final boolean shortRows = a.cols == 256;
        if (slices == 1) {
            long rowBytes = Matrix.Q5_K_SPLIT_BYTES * (cols / 256), offset = first * rowBytes;
            for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
                int n = Math.min(ROWS_PER_CALL, rows - r0);
                if (shortRows) q5_KSplitShortRows(w, offset, rowBytes, n, a, row, acc);
                else q5_KSplitRows(w, offset, rowBytes, n, a, row, acc);
                kRowSums(acc, n, out, outOff + r0);
            }
            return;
        }
        // slice by slice (Matrix.K_SLICE_BLOCKS), each row's two accumulators carried in ROW_CARRY
        final float[] carry = zeroed(ROW_CARRY, 32 * rows);
        for (int s = 0; s < slices; s++) {
            int blocks = Matrix.sliceUnits(cols / 256, Matrix.K_SLICE_BLOCKS, s);
            long rowBytes = Matrix.Q5_K_SPLIT_BYTES * blocks, at = Matrix.Q5_K_SPLIT_BYTES * Matrix.sliceRow(height, cols / 256, Matrix.K_SLICE_BLOCKS, s, first);
            for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL) {
                q5_KSliceRows(w, at + r0 * rowBytes, rowBytes, Math.min(ROWS_PER_CALL, rows - r0), a, row, Matrix.K_SLICE_BLOCKS * s, blocks, carry, 32 * r0);
            }
        }
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            for (int r = 0; r < n; r++) {
                int c = 32 * (r0 + r);
                FloatVector.fromArray(F16, carry, c).intoArray(acc, 16 * r);
                FloatVector.fromArray(F16, carry, c + 16).intoArray(acc, 16 * (ROWS_PER_CALL + r));
            }
            kRowSums(acc, n, out, outOff + r0);
        }
    }

    /** {@code n} Q5_K rows in the sub-block layout, as {@link #q4_KSplitRows} (its two accumulators per row into {@link #ROW_ACC}). */
    private static void q5_KSplitRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q4_KSplit.q;
        final int[] bsum32 = a.bsum32;
        final float[] dx = a.d;
        final int xo = row * a.cols, blocks = a.cols / 256;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F16);
            var minAcc = FloatVector.zero(F16);
            for (int b = 0; b < blocks; b++) {
                long p = offset + Matrix.Q5_K_SPLIT_BYTES * b;
                int x = xo + 256 * b;
                var ms = (IntVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2I, I16, 0);
                int dm = w.get(Quant.I32, p + 16);
                float dX = dx[b + xo / 256], d = Float.float16ToFloat((short) dm) * dX, dmin = Float.float16ToFloat((short) (dm >>> 16)) * dX;
                // written for C2's late inlining as q4_0Quads (overridden operations, the two halves written out, FMAs
                // on broadcasts from a constant vector)
                var m = ms.lanewise(MUL, IntVector.fromArray(I16, bsum32, x / 32)).blend(ZERO_I16, UPPER_8_INTS);
                minAcc = F16_VECTOR.broadcast(dmin).lanewise(FMA, (FloatVector) m.convertShape(VectorOperators.I2F, F16, 0), minAcc);
                // the fifth bits, a byte per lane (sign-extended: the bits above 7 never reach bit 4 below); in half h,
                // nibble k's bit at 2h + (0, 4, 1, 5) for k = 0..3 (Matrix): at (0, 4, 1, 5) after the shift by 2h
                var qh = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 148, LE).convertShape(VectorOperators.B2S, S32, 0)).reinterpretShape(I16, 0);
                var hb = qh;
                var q = IntVector.fromMemorySegment(I16, w, p + 20, LE);
                var s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT3).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT1).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96)));
                hb = qh.lanewise(LSHR, SHIFT2);
                q = IntVector.fromMemorySegment(I16, w, p + 84, LE);
                s = s.lanewise(ADD, ((ShortVector) q.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT3).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT1).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224)));
                // pair sums times the scales: at most 62,992 * 63 per lane, exact as a float
                var v = (IntVector) s.reinterpretShape(I16, 0);
                var isum = v.lanewise(LSHL, SHIFT16).lanewise(ASHR, SHIFT16).lanewise(ADD, v.lanewise(ASHR, SHIFT16))
                        .lanewise(MUL, K_SPLIT_SCALES.selectFrom(ms));
                acc = F16_VECTOR.broadcast(d).lanewise(FMA, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0), acc);
            }
            acc.intoArray(out, 16 * r);
            minAcc.intoArray(out, 16 * (ROWS_PER_CALL + r));
        }
    }

    /** {@link #q5_KSplitRows} for rows of one super-block (256 values), as {@link #q6_KSplitShortRows}. */
    private static void q5_KSplitShortRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q4_KSplit.q;
        final int[] bsum32 = a.bsum32;
        final float[] dx = a.d;
        final int xo = row * a.cols;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            long p = offset;
            int x = xo;
            var ms = (IntVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2I, I16, 0);
            int dm = w.get(Quant.I32, p + 16);
            float dX = dx[xo / 256], d = Float.float16ToFloat((short) dm) * dX, dmin = Float.float16ToFloat((short) (dm >>> 16)) * dX;
            // written for C2's late inlining as q4_0Quads (overridden operations, the two halves written out,
            // multiplies on broadcasts from a constant vector)
            var m = ms.lanewise(MUL, IntVector.fromArray(I16, bsum32, x / 32)).blend(ZERO_I16, UPPER_8_INTS);
            F16_VECTOR.broadcast(dmin).lanewise(MUL, (FloatVector) m.convertShape(VectorOperators.I2F, F16, 0)).intoArray(out, 16 * (ROWS_PER_CALL + r));
            // the fifth bits, a byte per lane (sign-extended: the bits above 7 never reach bit 4 below); in half h,
            // nibble k's bit at 2h + (0, 4, 1, 5) for k = 0..3 (Matrix): at (0, 4, 1, 5) after the shift by 2h
            var qh = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 148, LE).convertShape(VectorOperators.B2S, S32, 0)).reinterpretShape(I16, 0);
            var hb = qh;
            var q = IntVector.fromMemorySegment(I16, w, p + 20, LE);
            var s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT3).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT1).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96)));
            hb = qh.lanewise(LSHR, SHIFT2);
            q = IntVector.fromMemorySegment(I16, w, p + 84, LE);
            s = s.lanewise(ADD, ((ShortVector) q.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT3).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192)))
                    .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT1).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224)));
            // pair sums times the scales: at most 62,992 * 63 per lane, exact as a float
            var v = (IntVector) s.reinterpretShape(I16, 0);
            var isum = v.lanewise(LSHL, SHIFT16).lanewise(ASHR, SHIFT16).lanewise(ADD, v.lanewise(ASHR, SHIFT16))
                    .lanewise(MUL, K_SPLIT_SCALES.selectFrom(ms));
            F16_VECTOR.broadcast(d).lanewise(MUL, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0)).intoArray(out, 16 * r);
        }
    }

    /**
     * {@link #q5_KSplitRows} over one slice of long rows, as {@link #q4_KSliceRows} (its two accumulators per row taken
     * from and put back to {@code out[outOff + 32r, outOff + 32r + 32)}).
     */
    private static void q5_KSliceRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, int k0, int blocks,
                                      float[] out, int outOff) {
        final short[] xq = a.q4_KSplit.q;
        final int[] bsum32 = a.bsum32;
        final float[] dx = a.d;
        final int xo = row * a.cols + 256 * k0;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            int o = outOff + 32 * r;
            var acc = FloatVector.fromArray(F16, out, o);
            var minAcc = FloatVector.fromArray(F16, out, o + 16);
            for (int b = 0; b < blocks; b++) {
                long p = offset + Matrix.Q5_K_SPLIT_BYTES * b;
                int x = xo + 256 * b;
                var ms = (IntVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2I, I16, 0);
                int dm = w.get(Quant.I32, p + 16);
                float dX = dx[b + xo / 256], d = Float.float16ToFloat((short) dm) * dX, dmin = Float.float16ToFloat((short) (dm >>> 16)) * dX;
                // written for C2's late inlining as q4_0Quads (overridden operations, the two halves written out, FMAs
                // on broadcasts from a constant vector)
                var m = ms.lanewise(MUL, IntVector.fromArray(I16, bsum32, x / 32)).blend(ZERO_I16, UPPER_8_INTS);
                minAcc = F16_VECTOR.broadcast(dmin).lanewise(FMA, (FloatVector) m.convertShape(VectorOperators.I2F, F16, 0), minAcc);
                // the fifth bits, a byte per lane (sign-extended: the bits above 7 never reach bit 4 below); in half h,
                // nibble k's bit at 2h + (0, 4, 1, 5) for k = 0..3 (Matrix): at (0, 4, 1, 5) after the shift by 2h
                var qh = (IntVector) ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 148, LE).convertShape(VectorOperators.B2S, S32, 0)).reinterpretShape(I16, 0);
                var hb = qh;
                var q = IntVector.fromMemorySegment(I16, w, p + 20, LE);
                var s = ((ShortVector) q.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT3).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT1).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96)));
                hb = qh.lanewise(LSHR, SHIFT2);
                q = IntVector.fromMemorySegment(I16, w, p + 84, LE);
                s = s.lanewise(ADD, ((ShortVector) q.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT3).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192)))
                        .lanewise(ADD, ((ShortVector) q.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT1).lanewise(AND, BIT_4)).reinterpretShape(S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224)));
                // pair sums times the scales: at most 62,992 * 63 per lane, exact as a float
                var v = (IntVector) s.reinterpretShape(I16, 0);
                var isum = v.lanewise(LSHL, SHIFT16).lanewise(ASHR, SHIFT16).lanewise(ADD, v.lanewise(ASHR, SHIFT16))
                        .lanewise(MUL, K_SPLIT_SCALES.selectFrom(ms));
                acc = F16_VECTOR.broadcast(d).lanewise(FMA, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0), acc);
            }
            acc.intoArray(out, o);
            minAcc.intoArray(out, o + 16);
        }
    }

    /**
     * {@code qh} bit {@code 2g} (low nibbles) and {@code 2g+1} (high) of a Q5_K group g, for the first load:
     * groups 0 (lanes 0-15) and 1 (16-31); the second load's groups 2 and 3 shift by 4 more.
     */
    private static final ShortVector Q5_QH_SHIFT = ShortVector.fromArray(S32, q5QhShifts(), 0);

    private static short[] q5QhShifts() {
        short[] s = new short[32];
        for (int i = 0; i < 32; i++) s[i] = (short) (2 * (i / 16));
        return s;
    }

    /**
     * Q5_K on 512-bit vectors: {@link #q4_KWide} with a fifth bit per value, bit {@code j} of {@code qh[l]} for
     * value l of sub-block j. A short of quants holds values t and t+1 of its group ({@code t = 2i % 32}), so
     * one permute lines up qh bytes t, t+1 with every short (as for Q6_K), a per-lane shift by {@code 2g}
     * brings the group's two bits down, and each nibble takes its bit at position 4. Values 0..31: two
     * products of at most 31 * 127 per lane, pair sums 15748; the super-block's sum is exact as in Q4_K.
     * Activations in the Q4_K order (the quant bytes are laid out alike).
     */
    static void q5_KWide(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        requireOrder(a.q4_K, row, "Q5_K");
        final float[] acc = ROW_ACC.get();
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            q5_KRows(w, offset, rowBytes, n, a, row, acc);
            kRowSums(acc, n, out, outOff + r0);
        }
    }

    private static void q5_KRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q4_K.q;
        final int[] bsum32 = a.bsum32;
        final float[] dx = a.d;
        final int xo = row * a.cols, blocks = a.cols / 256;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F16);
            var minAcc = FloatVector.zero(F16);
            for (int b = 0; b < blocks; b++) {
                long p = offset + 176L * b;
                int x = xo + 256 * b;
                // scales, mins and the min term exactly as in q4_KRows (same 16 leading bytes)
                var packed = ByteVector.fromMemorySegment(B16, w, p, LE);
                var sc = kMinsAndScales(packed);
                var dm = packed.reinterpretAsShorts();
                float dX = dx[b + xo / 256], d = Float.float16ToFloat(dm.lane(0)) * dX, dmin = Float.float16ToFloat(dm.lane(1)) * dX;
                minAcc = kMinTerm(sc, bsum32, x / 32, dmin, minAcc);

                // qh: 32 bytes at 16, read as the first half of a 64-byte load
                var qh = Q6_QH_0.selectFrom(ByteVector.fromMemorySegment(B64, w, p + 16, LE).reinterpretAsShorts());
                // the two halves in a loop, as in q4_KRows (written out, the body ran past C2's parsing budget)
                var isum = IntVector.zero(I16);
                for (int h = 0; h < 2; h++) {
                    var hb = qh.lanewise(VectorOperators.LSHR, Q5_QH_SHIFT.add((short) (4 * h))).reinterpretAsInts();   // groups 2h, 2h + 1
                    var q = IntVector.fromMemorySegment(I16, w, p + 48 + 64 * h, LE);
                    int xh = x + 128 * h;
                    // two products of at most 31 * 127 per lane, pair sums <= 15748; the bits taken with int shifts and
                    // masks of both shorts, as in q6_KRows
                    var lo = q.and(0x000F_000F).or(hb.lanewise(VectorOperators.LSHL, 4).and(0x0010_0010)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S32, xq, xh))
                            .add(q.lanewise(VectorOperators.LSHR, 8).and(0x000F_000F).or(hb.lanewise(VectorOperators.LSHR, 4).and(0x0010_0010)).reinterpretAsShorts()
                                    .mul(ShortVector.fromArray(S32, xq, xh + 64)))
                            .reinterpretAsInts();
                    var hi = q.lanewise(VectorOperators.LSHR, 4).and(0x000F_000F).or(hb.lanewise(VectorOperators.LSHL, 3).and(0x0010_0010)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S32, xq, xh + 32))
                            .add(q.lanewise(VectorOperators.LSHR, 12).and(0x000F_000F).or(hb.lanewise(VectorOperators.LSHR, 5).and(0x0010_0010)).reinterpretAsShorts()
                                    .mul(ShortVector.fromArray(S32, xq, xh + 96)))
                            .reinterpretAsInts();
                    isum = isum.add(lo.mul(65537).lanewise(VectorOperators.ASHR, 16).mul(K_SCALES_0.add(4 * h).selectFrom(sc)))
                            .add(hi.mul(65537).lanewise(VectorOperators.ASHR, 16).mul(K_SCALES_1.add(4 * h).selectFrom(sc)));
                }
                acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
            }
            acc.intoArray(out, 16 * r);
            minAcc.intoArray(out, 16 * (ROWS_PER_CALL + r));
        }
    }

    /**
     * Lane {@code i} of the first Q6_K half super-block's {@code qh} as shorts: short {@code i % 16} of the half's
     * 32 bytes (both rows of its {@code ql} share them); the second half's are 16 further on.
     */
    private static final ShortVector Q6_QH_0 = ShortVector.fromArray(S32, q6QhIndexes(), 0);
    /** {@code qh} bits 0-1 and 4-5 belong to the first 32 bytes of a half's {@code ql} (lanes 0-15), bits 2-3 and 6-7 to the next 32. */
    private static final ShortVector Q6_QH_SHIFT = ShortVector.fromArray(S32, q6QhShifts(), 0);
    /**
     * Scale lanes of a Q6_K pair-sum vector {@code m}: lanes 4j..4j+3 take scale {@code 4m + j} of the
     * super-block's 16 (m = 0, 1 here; the second half's m = 2, 3 are 8 further on).
     */
    private static final IntVector Q6_SCALES_0 = quarters(0), Q6_SCALES_1 = quarters(1);
    /** Masks of both shorts of an int lane (the low nibble; bits 4-5), and Q6_K's offset, as vectors: see {@link #q6_KRows}. */
    private static final IntVector LOW_NIBBLES = IntVector.broadcast(I16, 0x000F_000F), BITS_4_5 = IntVector.broadcast(I16, 0x0030_0030);
    private static final ShortVector Q6_OFFSET = ShortVector.broadcast(S32, (short) 32);

    private static short[] q6QhIndexes() {
        short[] idx = new short[32];
        for (int i = 0; i < 32; i++) idx[i] = (short) (i % 16);
        return idx;
    }

    private static short[] q6QhShifts() {
        short[] s = new short[32];
        for (int i = 16; i < 32; i++) s[i] = 2;
        return s;
    }

    private static IntVector quarters(int m) {
        int[] idx = new int[16];
        for (int l = 0; l < 16; l++) idx[l] = 4 * m + l / 4;
        return IntVector.fromArray(I16, idx, 0);
    }

    /**
     * Q6_K on 512-bit vectors, a super-block per step, as {@link #q4_KWide}: each half's 64 bytes of {@code ql}
     * are 32 shorts of four nibbles, taken out in 16-bit lanes, and the two high bits of each value come from
     * {@code qh} (the half's 32 bytes, one short permute to line them up with both 32-byte rows of {@code ql},
     * one per-lane shift for the row). Value {@code 2i + k / 2 + 64 (k % 2)} of the half meets nibble k of
     * short i (activations in that order, {@link Q8Activations#prepareQ6_K}); the products of a short's two
     * low nibbles (and of its two high ones) add in 16 bits, each under one 16-value sub-block. The values
     * lose their offset of 32 in 16 bits before the multiply ({@code -32..31}, as llama.cpp does): at most
     * 2 * 32 * 127 per lane, pair sums 16256. Times int8 scales the super-block's sum is at most
     * 4 * 128 * 16256 < 2^24 per lane: exact in int and in float. (The offset as a separate term,
     * {@code 32 * d * dx * sum_j scale_j * bsum16_j}, took a multiply and a lane reduction per super-block.)
     */
    static void q6_KWide(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        requireOrder(a.q6_K, row, "Q6_K");
        final float[] acc = ROW_ACC.get();
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            q6_KRows(w, offset, rowBytes, n, a, row, acc);
            rowSums(acc, n, out, outOff + r0);
        }
    }

    /**
     * {@code n} Q6_K rows: row r's accumulator into {@code out[16r, 16r + 16)} ({@link #ROW_ACC}). The two halves of a
     * super-block (128 values: one 64-byte load of {@code ql}, 32 bytes of {@code qh}) go through an inner
     * loop and the activations come from Java arrays, as in {@link #q4_KRows}: written out, with the
     * activations in an aligned memory segment, C2 compiled this method to ~6.5 KB in some JVM runs and
     * to ~9 KB in others, and decode in those ran 10-60 % slower; this form compiled the same in every run.
     */
    private static void q6_KRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q6_K.q;
        final float[] dx = a.d;
        final int xo = row * a.cols, blocks = a.cols / 256;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F16);
            for (int b = 0; b < blocks; b++) {
                long p = offset + 210L * b;
                int x = xo + 256 * b;
                var scales = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 192, LE).convertShape(VectorOperators.B2I, I16, 0);
                // d read here, not by Quant.f16: a call left out of inlining would make every vector register spill
                float d = Float.float16ToFloat(w.get(Quant.I16, p + 208)) * dx[b + xo / 256];
                var qh = ByteVector.fromMemorySegment(B64, w, p + 128, LE).reinterpretAsShorts();
                var isum = IntVector.zero(I16);
                for (int h = 0; h < 2; h++) {
                    // the half's qh bytes lined up with its ql shorts (the second half's indexes are 16 further on)
                    var qhh = Q6_QH_0.add((short) (16 * h)).selectFrom(qh).lanewise(VectorOperators.LSHR, Q6_QH_SHIFT).reinterpretAsInts();
                    var l = IntVector.fromMemorySegment(I16, w, p + 64 * h, LE);
                    int xh = x + 128 * h;
                    // values 0..63: low 4 bits from a nibble of ql, bits 4-5 from the matching 2 bits of qh; minus 32.
                    // The bits are taken with int shifts and masks of both shorts (0x000F000F, 0x00300030), which drop
                    // what a shift moves across the two: C2 compiles a short vector's shift by a constant to a shift
                    // by a register, a mov and a vmovd more each
                    var lo = l.and(LOW_NIBBLES).or(qhh.lanewise(VectorOperators.LSHL, 4).and(BITS_4_5)).reinterpretAsShorts().sub(Q6_OFFSET)
                            .mul(ShortVector.fromArray(S32, xq, xh))
                            .add(l.lanewise(VectorOperators.LSHR, 8).and(LOW_NIBBLES).or(qhh.lanewise(VectorOperators.LSHR, 4).and(BITS_4_5)).reinterpretAsShorts()
                                    .sub(Q6_OFFSET).mul(ShortVector.fromArray(S32, xq, xh + 64)))
                            .reinterpretAsInts();
                    var hi = l.lanewise(VectorOperators.LSHR, 4).and(LOW_NIBBLES).or(qhh.and(BITS_4_5)).reinterpretAsShorts().sub(Q6_OFFSET)
                            .mul(ShortVector.fromArray(S32, xq, xh + 32))
                            .add(l.lanewise(VectorOperators.LSHR, 12).and(LOW_NIBBLES).or(qhh.lanewise(VectorOperators.LSHR, 8).and(BITS_4_5)).reinterpretAsShorts()
                                    .sub(Q6_OFFSET).mul(ShortVector.fromArray(S32, xq, xh + 96)))
                            .reinterpretAsInts();
                    // pair sums written out (see q4_KRows), with shifts: pairSum512's multiply measured slower here;
                    // sub-blocks: lo 0-3 and hi 4-7 in the first half, 8-11 and 12-15 in the second (its scale
                    // indexes 8 further on)
                    isum = isum.add(lo.add(lo.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(Q6_SCALES_0.add(8 * h).selectFrom(scales)))
                            .add(hi.add(hi.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(Q6_SCALES_1.add(8 * h).selectFrom(scales)));
                }
                acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
            }
            acc.intoArray(out, 16 * r);
        }
    }

    /**
     * Q6_K in the sub-block layout ({@link Matrix#interleaved}), on 512-bit vectors: as {@link #q6_KWide}, but each
     * 16-bit lane of both 64-byte loads of {@code ql} holds low bits of one 16-value sub-block only (lane {@code i}:
     * sub-block {@code i / 2}), and the byte of {@code qh} with its high bits is byte {@code h} of short {@code i}
     * of one 64-byte load: no permute and no per-lane shift to line the bits up, a lane's eight products (at most
     * 8 * 32 * 127 = 32,512) add up in 16 bits over the whole super-block, and the pair sums and their
     * multiplication by the 16 scales (pair-sum lane {@code j}: sub-block {@code j}, its scale in lane {@code j} of
     * one widening load) are done once per super-block instead of four times. The integer sum per super-block is
     * {@link #q6_KWide}'s (exact), spread over other lanes.
     */
    static void q6_KSplit(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        requireOrder(a.q6_KSplit, row, "Q6_K");
        final float[] acc = ROW_ACC.get();
        // rows of one super-block (the small models' 256 values): no loop over super-blocks (q6_KSplitShortRows)
        final boolean shortRows = a.cols == 256;
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            if (shortRows) q6_KSplitShortRows(w, offset, rowBytes, n, a, row, acc);
            else q6_KSplitRows(w, offset, rowBytes, n, a, row, acc);
            rowSums(acc, n, out, outOff + r0);
        }
    }

    /**
     * {@code n} Q6_K rows in the sub-block layout, as {@link #q6_KRows} (row r's accumulator into {@code out[16r, 16r + 16)}).
     * The accumulator lives in {@code out}, loaded and stored once a super-block, not in a vector carried round the
     * loop: carried, it was the vector that C2 boxed in about a third of the processes after a prefill on the 1.1B
     * Q4_K_M file (the FMA and the zero; 79.4 MiB a token; {@code hearth bench -t 2 -p 512 -n 32 -r 1}: 8 of 27 processes,
     * then 1 of 17 this way). The same FMAs in the same order, so the same bits. In isolation ~10 % slower
     * ({@code MatMulBench} Q6_K 8,192 x 2,048, decode layout, one thread: 392-399 -> 426-447 us); the whole model's
     * decode without a prefill within its noise (docs/perf.md, nineteenth block).
     */
    private static void q6_KSplitRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q6_KSplit.q;
        final float[] dx = a.d;
        final int xo = row * a.cols, blocks = a.cols / 256;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            FloatVector.zero(F16).intoArray(out, 16 * r);
            for (int b = 0; b < blocks; b++) {
                long p = offset + 210L * b;
                int x = xo + 256 * b;
                var scales = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 192, LE).convertShape(VectorOperators.B2I, I16, 0);
                float d = Float.float16ToFloat(w.get(Quant.I16, p + 208)) * dx[b + xo / 256];
                var qh = IntVector.fromMemorySegment(I16, w, p + 128, LE);
                // written for C2's late inlining as q4_0Quads (overridden operations, the two halves written out, the
                // FMA on a broadcast from a constant vector). Half h: byte h of each short of qh down to bits 0-7,
                // bits 2k, 2k+1 going with nibble k (the bits moved in from the next short are masked off below);
                // value of nibble k: its 4 bits and bits 4-5 from hb, minus 32 (int shifts and masks of both shorts,
                // as in q6_KRows)
                var hb = qh;
                var l = IntVector.fromMemorySegment(I16, w, p, LE);
                var s = ((ShortVector) l.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                                .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x))
                        .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT2).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                                .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32)))
                        .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                                .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64)))
                        .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT2).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                                .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96)));
                hb = qh.lanewise(LSHR, SHIFT8);
                l = IntVector.fromMemorySegment(I16, w, p + 64, LE);
                s = s.lanewise(ADD, ((ShortVector) l.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                                .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128)))
                        .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT2).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                                .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160)))
                        .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                                .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192)))
                        .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT2).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                                .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224)));
                // pair sums by sign-extending both shorts (up to 65,024: past pairSum's 16-bit bound), times the
                // int8 scales: at most 65,024 * 128 per lane, exact as a float
                var v = (IntVector) s.reinterpretShape(I16, 0);
                var isum = v.lanewise(LSHL, SHIFT16).lanewise(ASHR, SHIFT16).lanewise(ADD, v.lanewise(ASHR, SHIFT16)).lanewise(MUL, scales);
                F16_VECTOR.broadcast(d).lanewise(FMA, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0), FloatVector.fromArray(F16, out, 16 * r))
                        .intoArray(out, 16 * r);
            }
        }
    }

    /**
     * {@link #q6_KSplitRows} for rows of one super-block (256 values: every matrix of the small models), with the same
     * operations but no loop over super-blocks, so no vector carried round one. For such rows C2's code for the loop
     * form was slow: these kernels are 1.6-1.75x faster for Q6_K and Q5_K, 1.33x for Q4_K and 1.2x for Q2_K
     * ({@code MatMulBench}, one thread, 768 x 256 and 32000 x 256; Q3_K gained nothing and keeps its loop). And
     * after a prefill, the tiny Q2_K file's decode left the carried accumulator boxed in 4 of 8 processes (none of 8
     * with these kernels; docs/kernels.md). The first super-block's product replaces a multiply-add onto zero: the
     * same float, but for the sign of a zero.
     */
    private static void q6_KSplitShortRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q6_KSplit.q;
        final float[] dx = a.d;
        final int xo = row * a.cols;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            long p = offset;
            int x = xo;
            var scales = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 192, LE).convertShape(VectorOperators.B2I, I16, 0);
            float d = Float.float16ToFloat(w.get(Quant.I16, p + 208)) * dx[xo / 256];
            var qh = IntVector.fromMemorySegment(I16, w, p + 128, LE);
            // written for C2's late inlining as q4_0Quads (overridden operations, the two halves written out, the
            // multiply on a broadcast from a constant vector). Half h: byte h of each short of qh down to bits 0-7,
            // bits 2k, 2k+1 going with nibble k (the bits moved in from the next short are masked off below);
            // value of nibble k: its 4 bits and bits 4-5 from hb, minus 32 (int shifts and masks of both shorts,
            // as in q6_KRows)
            var hb = qh;
            var l = IntVector.fromMemorySegment(I16, w, p, LE);
            var s = ((ShortVector) l.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                            .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x))
                    .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT2).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                            .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32)))
                    .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                            .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64)))
                    .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT2).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                            .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96)));
            hb = qh.lanewise(LSHR, SHIFT8);
            l = IntVector.fromMemorySegment(I16, w, p + 64, LE);
            s = s.lanewise(ADD, ((ShortVector) l.lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT4).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                            .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128)))
                    .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT4).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHL, SHIFT2).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                            .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160)))
                    .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT8).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                            .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192)))
                    .lanewise(ADD, ((ShortVector) l.lanewise(LSHR, SHIFT12).lanewise(AND, LOW_NIBBLES).lanewise(OR, hb.lanewise(LSHR, SHIFT2).lanewise(AND, BITS_4_5)).reinterpretShape(S32, 0))
                            .lanewise(SUB, Q6_OFFSET).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224)));
            // pair sums by sign-extending both shorts (up to 65,024: past pairSum's 16-bit bound), times the
            // int8 scales: at most 65,024 * 128 per lane, exact as a float
            var v = (IntVector) s.reinterpretShape(I16, 0);
            var isum = v.lanewise(LSHL, SHIFT16).lanewise(ASHR, SHIFT16).lanewise(ADD, v.lanewise(ASHR, SHIFT16)).lanewise(MUL, scales);
            F16_VECTOR.broadcast(d).lanewise(MUL, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0)).intoArray(out, 16 * r);
        }
    }

    /** Where {@link #q8_0GroupRows} keeps a group's 16 scale products in {@link #ROW_ACC}: past the row sums of {@link #rowSums}. */
    private static final int GROUP_SCALES = SUMS + 16;

    /**
     * Q8_0 in groups ({@link Matrix#interleaved}), on 512-bit vectors: {@link #q8_0Wide}'s operations per block, bit for
     * bit (the same products, pair sums, scale products and accumulators), but a group's 16 scale products come from
     * one 32-byte load of its float16 scales: their bits moved into float bits (the value times 2^-112, exact, as in
     * {@link #q4_0Quads}), times the activations' scales times 2^112 (exact: they are float16 values), one rounding
     * as {@code Quant.f16(w, p) * dx}. Stored once per group, each is then a broadcast from memory. The per-block
     * load, conversion and multiply of the scale (and the address arithmetic around them) were a third of
     * {@link #q8_0Rows}'s instructions. A row's last 1-15 blocks take their scale products one at a time.
     *
     * <p>Rows {@code [first, first + rows)} of a matrix of {@code height} rows, into {@code out[outOff..]}. Rows of more
     * than one slice ({@link Matrix#Q8_0_SLICE_BLOCKS}) pass slice after slice ({@link #q8_0SliceRows}), their
     * accumulators carried in {@link #ROW_CARRY}.
     */
    static void q8_0Groups(MemorySegment w, int height, int first, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final int cols = a.cols, slices = Matrix.slices(cols / 32, Matrix.Q8_0_SLICE_BLOCKS);
        final float[] acc = ROW_ACC.get();
        if (slices == 1) {
            long rowBytes = 34L * (cols / 32), offset = first * rowBytes;
            // rows of 8-15 blocks and no whole group (a 20M model's 256-value rows): the short-row kernel
            final boolean shortRows = cols < 512 && cols >= 256;
            for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
                int n = Math.min(ROWS_PER_CALL, rows - r0);
                if (cols == 256) q8_0EightBlockRows(w, offset, rowBytes, n, a, row, acc);
                else if (shortRows) q8_0ShortRows(w, offset, rowBytes, n, a, row, acc);
                else q8_0GroupRows(w, offset, rowBytes, n, a, row, acc);
                rowSums(acc, n, out, outOff + r0);
            }
            return;
        }
        final float[] carry = zeroed(ROW_CARRY, 32 * rows);
        // slice by slice (Matrix.Q8_0_SLICE_BLOCKS), each row's two accumulators carried in carry
        for (int s = 0; s < slices; s++) {
            int blocks = Matrix.sliceUnits(cols / 32, Matrix.Q8_0_SLICE_BLOCKS, s);
            long at = 34 * Matrix.sliceRow(height, cols / 32, Matrix.Q8_0_SLICE_BLOCKS, s, first), rowBytes = 34L * blocks;
            for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL) {
                q8_0SliceRows(w, at + r0 * rowBytes, rowBytes, Math.min(ROWS_PER_CALL, rows - r0), a, row,
                        Matrix.Q8_0_SLICE_BLOCKS * s, blocks / 16, blocks % 16, carry, 32 * r0, acc);
            }
        }
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            for (int r = 0; r < n; r++) {
                int c = 32 * (r0 + r);
                FloatVector.fromArray(F16, carry, c).lanewise(ADD, FloatVector.fromArray(F16, carry, c + 16)).intoArray(acc, 16 * r);
            }
            rowSums(acc, n, out, outOff + r0);
        }
    }

    /** The accumulators of a run of rows of {@link #q8_0Groups}, {@link #q4_KSplit} and {@link #q5_KSplit} (two or three vectors of 16 lanes per row), grown to the longest run. */
    private static final ThreadLocal<float[]> ROW_CARRY = ThreadLocal.withInitial(() -> new float[32 * ROWS_PER_CALL]);

    /**
     * {@code n} Q8_0 rows in groups; row r's accumulator goes to {@code out[16r, 16r + 16)} ({@link #ROW_ACC}). Written
     * for C2's late inlining as {@link #q4_0Quads}; the accumulators' FMAs are called on broadcasts from a constant
     * vector ({@link #F16_VECTOR}). {@code ProfilePollution}: the previous form boxed in 3 of 3 processes, this in none.
     */
    private static void q8_0GroupRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int xo = row * a.cols, bo = xo / 32, groups = a.cols / 512, tail = a.cols / 32 % 16;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc0 = FloatVector.zero(F16);
            var acc1 = FloatVector.zero(F16);
            for (int g = 0; g < groups; g++) {
                long p = offset + Matrix.Q8_0_GROUP_BYTES * g;
                int x = xo + 512 * g;
                var h = (IntVector) ShortVector.fromMemorySegment(S16, w, p, LE).convertShape(VectorOperators.S2I, I16, 0);
                ((FloatVector) h.lanewise(LSHL, SHIFT13).lanewise(AND, F16_BITS).reinterpretShape(F16, 0))
                        .lanewise(MUL, FloatVector.fromArray(F16, dx, bo + 16 * g).lanewise(MUL, TIMES_2_112)).intoArray(out, GROUP_SCALES);
                // even blocks into acc0, odd into acc1, as q8_0Rows (a row's blocks are in the same order)
                for (int k = 0; k < 16; k += 2) {
                    // written out, not a helper called twice: past C2's parse budget a helper may stay out of line,
                    // its vectors boxed (as q4_0Quads's rows)
                    var s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 32 + 32L * k, LE).convertShape(VectorOperators.B2S, S32, 0))
                            .lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32 * k));
                    var f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                            .convertShape(VectorOperators.I2F, F16, 0);
                    acc0 = F16_VECTOR.broadcast(out[GROUP_SCALES + k]).lanewise(FMA, f, acc0);
                    s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 64 + 32L * k, LE).convertShape(VectorOperators.B2S, S32, 0))
                            .lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32 * k + 32));
                    f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                            .convertShape(VectorOperators.I2F, F16, 0);
                    acc1 = F16_VECTOR.broadcast(out[GROUP_SCALES + k + 1]).lanewise(FMA, f, acc1);
                }
            }
            // the last 1-15 blocks: each into the accumulator of its parity, which the swap keeps in acc0 (a choice of
            // accumulator by a branch made C2 box them: 24 MB per decode token of a 21M model); the sum of the two
            // at the end is the same whichever is which
            long p = offset + Matrix.Q8_0_GROUP_BYTES * groups;
            int x = xo + 512 * groups, b = bo + 16 * groups;
            for (int k = 0; k < tail; k++) {
                float scale = Float.float16ToFloat(w.get(Quant.I16, p + 2 * k)) * dx[b + k];
                var s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 2 * tail + 32L * k, LE).convertShape(VectorOperators.B2S, S32, 0))
                        .lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32 * k));
                var f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                        .convertShape(VectorOperators.I2F, F16, 0);
                var next = F16_VECTOR.broadcast(scale).lanewise(FMA, f, acc0);
                acc0 = acc1;
                acc1 = next;
            }
            acc0.lanewise(ADD, acc1).intoArray(out, 16 * r);
        }
    }

    /** Broadcasts of lane k of a vector, for {@link #q8_0ShortRows}'s eight blocks. */
    private static final VectorShuffle<Float> LANE_0 = VectorShuffle.fromOp(F16, i -> 0), LANE_1 = VectorShuffle.fromOp(F16, i -> 1),
            LANE_2 = VectorShuffle.fromOp(F16, i -> 2), LANE_3 = VectorShuffle.fromOp(F16, i -> 3),
            LANE_4 = VectorShuffle.fromOp(F16, i -> 4), LANE_5 = VectorShuffle.fromOp(F16, i -> 5),
            LANE_6 = VectorShuffle.fromOp(F16, i -> 6), LANE_7 = VectorShuffle.fromOp(F16, i -> 7);

    /**
     * {@code n} Q8_0 rows of 8-15 blocks (256-480 values, no whole group: the 256-value rows of a 20M model, most of
     * its decode), as {@link #q8_0GroupRows}'s last blocks, bit for bit: the same products, scale products and
     * accumulators. But the first eight blocks' scale products come from one vector (a 32-byte load of the row's
     * float16 scales, converted as a group's, times the activations' scales) and each is broadcast from it by a
     * constant shuffle; the eight blocks are written out. {@link #q8_0GroupRows} took each block's scale as a scalar
     * (a float16 load and conversion, an activation scale's load, a multiply) in a loop of variable length, and
     * storing a group's products to memory and loading them back per block was slower still (the store is read back
     * lane by lane every 8 blocks). A harness, one thread, 50,257 rows of 256 values (a 50k-vocab output
     * matrix) in cache: 594-612 -> 356-362 us. Blocks 8 and on (rows of 9-15 blocks) are taken one at a time as in
     * {@link #q8_0GroupRows}.
     *
     * <p>Reads {@code dx[bo, bo + 16)}: {@link Q8Activations#d} has 16 floats past its last row for this.
     */
    private static void q8_0ShortRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int xo = row * a.cols, bo = xo / 32, blocks = a.cols / 32;
        // the activations' scales times 2^112, as in q8_0GroupRows; lanes past the row's blocks are not used
        final var dx112 = FloatVector.fromArray(F16, dx, bo).lanewise(MUL, TIMES_2_112);
        for (int r = 0; r < n; r++, offset += rowBytes) {
            // the row's scales and then 16 - blocks shorts of quants: 32 bytes, inside the row (34 bytes a block)
            var h = (IntVector) ShortVector.fromMemorySegment(S16, w, offset, LE).convertShape(VectorOperators.S2I, I16, 0);
            var t = ((FloatVector) h.lanewise(LSHL, SHIFT13).lanewise(AND, F16_BITS).reinterpretShape(F16, 0)).lanewise(MUL, dx112);
            final long q = offset + 2 * blocks;
            var acc0 = FloatVector.zero(F16);
            var acc1 = FloatVector.zero(F16);
            // written out, not a loop or helper: constant shuffles, and no vector carried round a loop but the
            // accumulators (docs/kernels.md, "Decode kernels written for C2's late inlining")
            ShortVector s;
            FloatVector f;
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc0 = t.rearrange(LANE_0).lanewise(FMA, f, acc0);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 32, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 32));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc1 = t.rearrange(LANE_1).lanewise(FMA, f, acc1);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 64, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 64));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc0 = t.rearrange(LANE_2).lanewise(FMA, f, acc0);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 96, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 96));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc1 = t.rearrange(LANE_3).lanewise(FMA, f, acc1);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 128, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 128));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc0 = t.rearrange(LANE_4).lanewise(FMA, f, acc0);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 160, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 160));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc1 = t.rearrange(LANE_5).lanewise(FMA, f, acc1);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 192, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 192));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc0 = t.rearrange(LANE_6).lanewise(FMA, f, acc0);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 224, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 224));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc1 = t.rearrange(LANE_7).lanewise(FMA, f, acc1);
            // blocks 8 and on one at a time, as q8_0GroupRows's last blocks
            int b = bo + 8;
            for (int k = 8; k < blocks; k++) {
                float scale = Float.float16ToFloat(w.get(Quant.I16, offset + 2 * k)) * dx[b++];
                s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 32L * k, LE).convertShape(VectorOperators.B2S, S32, 0))
                        .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 32 * k));
                f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                        .convertShape(VectorOperators.I2F, F16, 0);
                var next = F16_VECTOR.broadcast(scale).lanewise(FMA, f, acc0);
                acc0 = acc1;
                acc1 = next;
            }
            acc0.lanewise(ADD, acc1).intoArray(out, 16 * r);
        }
    }

    /**
     * {@link #q8_0ShortRows} for rows of exactly eight blocks (256 values, the shared small models' rows): the same
     * operations without the loop over blocks 8 and on, so the same bits. A twin kept for speed: one thread, 50,257 x
     * 256, 399-406 -> 366-371 us ({@code MatMulBench}); a branch past the loop in {@link #q8_0ShortRows} itself measured
     * no faster. It was written because a boxed process had its boxes after that loop, but it did not end the boxing
     * on that file (brown qwen2 Q8_0, one thread, rare): this kernel boxed too, at its final store (docs/kernels.md,
     * "K-quant rows of one super-block").
     */
    private static void q8_0EightBlockRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int xo = row * a.cols, bo = xo / 32;
        // the activations' scales times 2^112, as in q8_0GroupRows; lanes 8-15 are not used
        final var dx112 = FloatVector.fromArray(F16, dx, bo).lanewise(MUL, TIMES_2_112);
        for (int r = 0; r < n; r++, offset += rowBytes) {
            // the row's eight scales and then eight shorts of quants: 32 bytes, inside the row
            var h = (IntVector) ShortVector.fromMemorySegment(S16, w, offset, LE).convertShape(VectorOperators.S2I, I16, 0);
            var t = ((FloatVector) h.lanewise(LSHL, SHIFT13).lanewise(AND, F16_BITS).reinterpretShape(F16, 0)).lanewise(MUL, dx112);
            final long q = offset + 16;
            var acc0 = FloatVector.zero(F16);
            var acc1 = FloatVector.zero(F16);
            // written out, not a loop or helper: constant shuffles, and no vector carried round a loop but the
            // accumulators (docs/kernels.md, "Decode kernels written for C2's late inlining")
            ShortVector s;
            FloatVector f;
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc0 = t.rearrange(LANE_0).lanewise(FMA, f, acc0);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 32, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 32));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc1 = t.rearrange(LANE_1).lanewise(FMA, f, acc1);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 64, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 64));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc0 = t.rearrange(LANE_2).lanewise(FMA, f, acc0);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 96, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 96));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc1 = t.rearrange(LANE_3).lanewise(FMA, f, acc1);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 128, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 128));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc0 = t.rearrange(LANE_4).lanewise(FMA, f, acc0);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 160, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 160));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc1 = t.rearrange(LANE_5).lanewise(FMA, f, acc1);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 192, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 192));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc0 = t.rearrange(LANE_6).lanewise(FMA, f, acc0);
            s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, q + 224, LE).convertShape(VectorOperators.B2S, S32, 0))
                    .lanewise(MUL, ShortVector.fromArray(S32, xq, xo + 224));
            f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                    .convertShape(VectorOperators.I2F, F16, 0);
            acc1 = t.rearrange(LANE_7).lanewise(FMA, f, acc1);
            acc0.lanewise(ADD, acc1).intoArray(out, 16 * r);
        }
    }

    /**
     * {@link #q8_0GroupRows} over one slice of long rows ({@link Matrix#Q8_0_SLICE_BLOCKS}): blocks {@code [b0, b0 + 16
     * groups + tail)} of {@code n} rows of {@code rowBytes} from {@code offset}, row r's two accumulators taken from
     * {@code out[outOff + 32r, outOff + 32r + 32)} and put back there (the same sums in the same order as one pass
     * over the row, so the same bits); the group scales go through {@code scales} ({@link #ROW_ACC}). Written as
     * {@link #q8_0GroupRows}; a separate method because carrying the accumulators through memory cost rows of 256
     * values a fifth of their speed (the 21M brown model's decode, one thread: 1,290-1,373 -> 1,052-1,086 t/s).
     */
    private static void q8_0SliceRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row,
                                      int b0, int groups, int tail, float[] out, int outOff, float[] scales) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int xo = row * a.cols + 32 * b0, bo = xo / 32;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc0 = FloatVector.fromArray(F16, out, outOff + 32 * r);
            var acc1 = FloatVector.fromArray(F16, out, outOff + 32 * r + 16);
            for (int g = 0; g < groups; g++) {
                long p = offset + Matrix.Q8_0_GROUP_BYTES * g;
                int x = xo + 512 * g;
                var h = (IntVector) ShortVector.fromMemorySegment(S16, w, p, LE).convertShape(VectorOperators.S2I, I16, 0);
                ((FloatVector) h.lanewise(LSHL, SHIFT13).lanewise(AND, F16_BITS).reinterpretShape(F16, 0))
                        .lanewise(MUL, FloatVector.fromArray(F16, dx, bo + 16 * g).lanewise(MUL, TIMES_2_112)).intoArray(scales, GROUP_SCALES);
                // even blocks into acc0, odd into acc1, as q8_0Rows (a row's blocks are in the same order)
                for (int k = 0; k < 16; k += 2) {
                    // written out, not a helper called twice: past C2's parse budget a helper may stay out of line,
                    // its vectors boxed (as q4_0Quads's rows)
                    var s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 32 + 32L * k, LE).convertShape(VectorOperators.B2S, S32, 0))
                            .lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32 * k));
                    var f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                            .convertShape(VectorOperators.I2F, F16, 0);
                    acc0 = F16_VECTOR.broadcast(scales[GROUP_SCALES + k]).lanewise(FMA, f, acc0);
                    s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 64 + 32L * k, LE).convertShape(VectorOperators.B2S, S32, 0))
                            .lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32 * k + 32));
                    f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                            .convertShape(VectorOperators.I2F, F16, 0);
                    acc1 = F16_VECTOR.broadcast(scales[GROUP_SCALES + k + 1]).lanewise(FMA, f, acc1);
                }
            }
            // the last 1-15 blocks: each into the accumulator of its parity, which the swap keeps in acc0 (a choice of
            // accumulator by a branch made C2 box them: 24 MB per decode token of a 21M model); the sum of the two
            // at the end is the same whichever is which
            long p = offset + Matrix.Q8_0_GROUP_BYTES * groups;
            int x = xo + 512 * groups, b = bo + 16 * groups;
            for (int k = 0; k < tail; k++) {
                float scale = Float.float16ToFloat(w.get(Quant.I16, p + 2 * k)) * dx[b + k];
                var s = ((ShortVector) ByteVector.fromMemorySegment(B32, w, p + 2 * tail + 32L * k, LE).convertShape(VectorOperators.B2S, S32, 0))
                        .lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32 * k));
                var f = (FloatVector) ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16)
                        .convertShape(VectorOperators.I2F, F16, 0);
                var next = F16_VECTOR.broadcast(scale).lanewise(FMA, f, acc0);
                acc0 = acc1;
                acc1 = next;
            }
            acc0.intoArray(out, outOff + 32 * r);
            acc1.intoArray(out, outOff + 32 * r + 16);
        }
    }

    /**
     * Dots of rows {@code [first, first + rows)} of a matrix in its decode layout ({@link Matrix#interleaved}) with
     * activation row {@code row}, into {@code out[outOff..]}: the layout's kernel (Q4_0 in quads, Q8_0 in groups, the
     * K-quants in sub-blocks; Q8_0, Q4_K and Q5_K in slices).
     */
    static void layoutDots(Matrix w, int first, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final MemorySegment m = w.data();
        switch (w.type()) {
            case Q4_0 -> q4_0x4(m, w.rows(), first, rows, w.cols(), a, row, out, outOff);
            case Q8_0 -> q8_0Groups(m, w.rows(), first, rows, a, row, out, outOff);
            case Q4_K -> q4_KSplit(m, w.rows(), first, rows, a, row, out, outOff);
            case Q5_K -> q5_KSplit(m, w.rows(), first, rows, a, row, out, outOff);
            case Q6_K -> q6_KSplit(m, first * w.rowBytes(), w.rowBytes(), rows, a, row, out, outOff);
            default -> throw new UnsupportedOperationException("no decode layout kernel for " + w.type());
        }
    }

    /** For {@link #q2_KRows}'s step {@code 4h + j}: lanes 0-7 take sub-block {@code 8h + 2j}'s scale, lanes 8-15 the next one's. */
    private static final VectorShuffle<Integer> Q2_K_STEP_0 = q2_KStep(0), Q2_K_STEP_1 = q2_KStep(1), Q2_K_STEP_2 = q2_KStep(2),
            Q2_K_STEP_3 = q2_KStep(3), Q2_K_STEP_4 = q2_KStep(4), Q2_K_STEP_5 = q2_KStep(5), Q2_K_STEP_6 = q2_KStep(6),
            Q2_K_STEP_7 = q2_KStep(7);
    private static final IntVector TWO_BITS = IntVector.broadcast(I16, 0x0303_0303), NIBBLE = IntVector.broadcast(I16, 0x0F),
            SHIFT6 = IntVector.broadcast(I16, 6);

    private static VectorShuffle<Integer> q2_KStep(int step) {
        return VectorShuffle.fromOp(I16, i -> 2 * step + i / 8);
    }

    /**
     * Q2_K on 512-bit vectors (no 256-bit twin: without AVX-512, Q2_K rows take the float path). Value {@code 32j + l}
     * of half super-block {@code h} (128 values) is bits {@code 2j, 2j+1} of {@code qs[32h + l]} (0..3), in sub-block
     * {@code 8h + 2j + l / 16}, whose scale byte holds its scale (bits 0-3) and min (bits 4-7): the value is
     * {@code d * scale * q - dmin * min} (as {@link Quant}'s q2_K). So a row's dot with 8-bit activations is, per
     * super-block, {@code dx * (d * sum_s scale_s * (q . xq)_s - dmin * sum_s min_s * bsum16_s)}: the first sum in
     * 16-bit products (at most 3 * 127), pair sums (762), times the scale (11,430), eight steps per lane (91,440); the
     * second one vector of the mins times the activations' 16-value sums (at most 15 * 2,032). Both exact in int and
     * in float. The float path decoded Q2_K rows at ~5.5 G values/s and was most of a Q2_K file's decode (the tiny
     * Q2_K file at 0.68 of llama.cpp on one thread, docs/perf.md).
     */
    static void q2_KWide(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final float[] acc = ROW_ACC.get();
        // rows of one super-block (the small models' 256 values): no loop over super-blocks (q6_KSplitShortRows)
        final boolean shortRows = a.cols == 256;
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            if (shortRows) q2_KShortRows(w, offset, rowBytes, n, a, row, acc);
            else q2_KRows(w, offset, rowBytes, n, a, row, acc);
            rowSums(acc, n, out, outOff + r0);
        }
    }

    /**
     * {@code n} Q2_K rows: row r's accumulator into {@code out[16r, 16r + 16)} ({@link #ROW_ACC}). Written in the form
     * of {@link #q4_0Quads} (operations the vector classes override, constants as vectors, no helper). The 64 quant
     * bytes are one load; shifted by {@code 2j} and masked, their bytes 0-31 are step (0, j)'s values and bytes 32-63
     * step (1, j)'s, widened to shorts as the conversion's two parts.
     */
    private static void q2_KRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int[] bsum16 = a.bsum16;
        final int xo = row * a.cols, blocks = a.cols / 256;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F16);
            for (int b = 0; b < blocks; b++) {
                long p = offset + 84L * b;
                int x = xo + 256 * b;
                // the 16 scale bytes as ints (sign-extended: the masks drop the copies of bit 7)
                var sm = (IntVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2I, I16, 0);
                var sc = sm.lanewise(AND, NIBBLE);
                var mins = sm.lanewise(LSHR, SHIFT4).lanewise(AND, NIBBLE).lanewise(MUL, IntVector.fromArray(I16, bsum16, x / 16));
                var qs = IntVector.fromMemorySegment(I16, w, p + 16, LE);
                var q0 = (ByteVector) qs.lanewise(AND, TWO_BITS).reinterpretShape(B64, 0);
                var q1 = (ByteVector) qs.lanewise(LSHR, SHIFT2).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0);
                var q2 = (ByteVector) qs.lanewise(LSHR, SHIFT4).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0);
                var q3 = (ByteVector) qs.lanewise(LSHR, SHIFT6).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0);
                ShortVector s;
                var isum = IntVector.zero(I16);
                s = ((ShortVector) q0.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x));
                isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_0)));
                s = ((ShortVector) q1.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32));
                isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_1)));
                s = ((ShortVector) q2.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64));
                isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_2)));
                s = ((ShortVector) q3.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96));
                isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_3)));
                s = ((ShortVector) q0.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128));
                isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_4)));
                s = ((ShortVector) q1.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160));
                isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_5)));
                s = ((ShortVector) q2.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192));
                isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_6)));
                s = ((ShortVector) q3.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224));
                isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_7)));
                float db = dx[x / 256], d = Float.float16ToFloat(w.get(Quant.I16, p + 80)) * db, dmin = Float.float16ToFloat(w.get(Quant.I16, p + 82)) * db;
                acc = F16_VECTOR.broadcast(d).lanewise(FMA, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0), acc);
                acc = F16_VECTOR.broadcast(-dmin).lanewise(FMA, (FloatVector) mins.convertShape(VectorOperators.I2F, F16, 0), acc);
            }
            acc.intoArray(out, 16 * r);
        }
    }

    /** {@link #q2_KRows} for rows of one super-block (256 values), as {@link #q6_KSplitShortRows}. */
    private static void q2_KShortRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int[] bsum16 = a.bsum16;
        final int xo = row * a.cols;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            long p = offset;
            int x = xo;
            // the 16 scale bytes as ints (sign-extended: the masks drop the copies of bit 7)
            var sm = (IntVector) ByteVector.fromMemorySegment(B16, w, p, LE).convertShape(VectorOperators.B2I, I16, 0);
            var sc = sm.lanewise(AND, NIBBLE);
            var mins = sm.lanewise(LSHR, SHIFT4).lanewise(AND, NIBBLE).lanewise(MUL, IntVector.fromArray(I16, bsum16, x / 16));
            var qs = IntVector.fromMemorySegment(I16, w, p + 16, LE);
            var q0 = (ByteVector) qs.lanewise(AND, TWO_BITS).reinterpretShape(B64, 0);
            var q1 = (ByteVector) qs.lanewise(LSHR, SHIFT2).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0);
            var q2 = (ByteVector) qs.lanewise(LSHR, SHIFT4).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0);
            var q3 = (ByteVector) qs.lanewise(LSHR, SHIFT6).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0);
            ShortVector s;
            var isum = IntVector.zero(I16);
            s = ((ShortVector) q0.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_0)));
            s = ((ShortVector) q1.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_1)));
            s = ((ShortVector) q2.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_2)));
            s = ((ShortVector) q3.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_3)));
            s = ((ShortVector) q0.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_4)));
            s = ((ShortVector) q1.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_5)));
            s = ((ShortVector) q2.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_6)));
            s = ((ShortVector) q3.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_7)));
            float db = dx[x / 256], d = Float.float16ToFloat(w.get(Quant.I16, p + 80)) * db, dmin = Float.float16ToFloat(w.get(Quant.I16, p + 82)) * db;
            F16_VECTOR.broadcast(-dmin).lanewise(FMA, (FloatVector) mins.convertShape(VectorOperators.I2F, F16, 0),
                    F16_VECTOR.broadcast(d).lanewise(MUL, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0))).intoArray(out, 16 * r);
        }
    }

    /**
     * Q3_K on 512-bit vectors (no 256-bit twin: without AVX-512, Q3_K rows take the float path). Value
     * {@code 32j + l} of half super-block {@code h} (128 values) is bits {@code 2j, 2j+1} of {@code qs[32h + l]},
     * plus 4 if bit {@code 4h + j} of {@code hmask[l]} is set, minus 4: -4..3 (as {@link Quant}'s q3_K). A step
     * takes the 32 values of one (h, j), two 16-value sub-blocks with 6-bit scales minus 32 (-32..31), against
     * activations in their natural order: products at most 4 * 127 per 16-bit lane, pair sums 1,016, times a
     * scale 32,512, eight steps per super-block 260,096 per lane: exact in int and in float.
     */
    static void q3_KWide(MemorySegment w, long offset, long rowBytes, int rows, Q8Activations a, int row, float[] out, int outOff) {
        final float[] acc = ROW_ACC.get();
        // rows of one super-block (the small models' 256 values): no loop over super-blocks (q6_KSplitShortRows)
        final boolean shortRows = a.cols == 256;
        for (int r0 = 0; r0 < rows; r0 += ROWS_PER_CALL, offset += ROWS_PER_CALL * rowBytes) {
            int n = Math.min(ROWS_PER_CALL, rows - r0);
            if (shortRows) q3_KShortRows(w, offset, rowBytes, n, a, row, acc);
            else q3_KRows(w, offset, rowBytes, n, a, row, acc);
            rowSums(acc, n, out, outOff + r0);
        }
    }

    /** Lanes 0-7 and 8-15 of a Q3_K super-block's first 64 bytes read as ints: its 32 hmask bytes twice. */
    private static final VectorShuffle<Integer> Q3_K_HMASK_TWICE = VectorShuffle.fromOp(I16, i -> i % 8);
    /**
     * The hmask ints moved so that a right shift by {@code j} puts bit {@code j} (lanes 0-7, half 0) or bit
     * {@code 4 + j} (lanes 8-15, half 1) of each byte at bit 2: left by 2, or right by 2.
     */
    private static final IntVector Q3_K_HMASK_LEFT = halves(2, 0), Q3_K_HMASK_RIGHT = halves(0, 2);
    private static final IntVector BIT_2 = IntVector.broadcast(I16, 0x0404_0404), ALL_ONES = IntVector.broadcast(I16, -1);
    /**
     * The 16 scales from 16 bytes read 2 bytes before them (lane {@code m + 2} is scale byte {@code m}): scale
     * {@code i}'s low nibble is nibble {@code i / 8} of byte {@code i % 8}, its top two bits are bits {@code 2 (i / 4)}
     * of byte {@code 8 + i % 4} (as {@link Quant#q3kScales}).
     */
    private static final VectorShuffle<Integer> Q3_K_LOW_BYTE = VectorShuffle.fromOp(I16, i -> 2 + i % 8),
            Q3_K_HIGH_BYTE = VectorShuffle.fromOp(I16, i -> 10 + i % 4);
    private static final IntVector Q3_K_LOW_SHIFT = halves(0, 4), Q3_K_HIGH_SHIFT = IntVector.fromArray(I16,
            new int[] {0, 0, 0, 0, 2, 2, 2, 2, 4, 4, 4, 4, 6, 6, 6, 6}, 0), THREE = IntVector.broadcast(I16, 3),
            THIRTY_TWO = IntVector.broadcast(I16, 32);

    /** {@code n} Q3_K rows: row r's accumulator into {@code out[16r, 16r + 16)} ({@link #ROW_ACC}). */
    private static void q3_KRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int xo = row * a.cols, blocks = a.cols / 256;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            var acc = FloatVector.zero(F16);
            for (int b = 0; b < blocks; b++) {
                long p = offset + 110L * b, sc = p + 96;
                int x = xo + 256 * b;
                var hm = ByteVector.fromMemorySegment(B32, w, p, LE).reinterpretAsInts();
                // the 16 6-bit scales as the bytes of two longs (scales 0-7, 8-15), from two loads
                long lo = w.get(Quant.I64, sc);
                int hi = w.get(Quant.I32, sc + 8);
                long scales0 = Quant.q3kScales(lo, hi, 0), scales1 = Quant.q3kScales(lo, hi, 1);
                var isum = IntVector.zero(I16);
                for (int h = 0; h < 2; h++) {
                    var qs = ByteVector.fromMemorySegment(B32, w, p + 32 + 32L * h, LE).reinterpretAsInts();
                    long scales = h == 0 ? scales0 : scales1;
                    for (int j = 0; j < 4; j++) {
                        var v = qs.lanewise(VectorOperators.LSHR, 2 * j).and(0x0303_0303)
                                .or(hm.lanewise(VectorOperators.LSHR, 4 * h + j).and(0x0101_0101).lanewise(VectorOperators.LSHL, 2))
                                .reinterpretAsBytes().sub((byte) 4);
                        var q = (ShortVector) v.convertShape(VectorOperators.B2S, S32, 0);
                        int s0 = (int) (scales >>> 16 * j & 0xFF) - 32, s1 = (int) (scales >>> 16 * j + 8 & 0xFF) - 32;
                        var scale = IntVector.broadcast(I16, s0).blend(s1, UPPER_8_INTS);
                        isum = isum.add(pairSum512(q.mul(ShortVector.fromArray(S32, xq, x + 128 * h + 32 * j))).mul(scale));
                    }
                }
                float d = Float.float16ToFloat(w.get(Quant.I16, p + 108)) * dx[b + xo / 256];
                acc = ((FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0)).fma(FloatVector.broadcast(F16, d), acc);
            }
            acc.intoArray(out, 16 * r);
        }
    }

    /**
     * {@code n} Q3_K rows of one super-block (256 values, the small models' rows): row r's accumulator into {@code
     * out[16r, 16r + 16)} ({@link #ROW_ACC}). Written in the form of {@link #q2_KShortRows}: the 64 bytes of low bits
     * are one load whose shifts by {@code 2j} give steps (0, j) and (1, j) at once (bytes 0-31 and 32-63); the high
     * bits come from the 32 hmask bytes read into both halves of one vector, so that one shift by {@code j} and a mask
     * give step (0, j)'s bit {@code j} and step (1, j)'s bit {@code 4 + j}, each at bit 2 of its byte. A value is its
     * low bits minus 4 where its high bit is clear (-4..3). The 16 scales come from one 16-byte load, unpacked on a
     * vector. The same integer lanes as {@link #q3_KRows} (which takes each step's bits and scales apart on their own,
     * a scale at a time), so the same bits up to the sign of a zero (a multiply for its multiply-add onto zero): the
     * tiny Q2_K file's logits over 200 decode steps were the same. One thread, in cache ({@code MatMulBench}): 1,536 x
     * 256 21.9-23.4 -> 15.6-16.1 us. {@code ProfilePollution 400 Q3_K 256}: 0 of 4 boxed, 83-92 us per 2M weights
     * against 113-122. Rows of several super-blocks keep {@link #q3_KRows}: this form with its accumulator carried
     * from one super-block to the next boxed under {@code ProfilePollution} (3 of 4 processes here; the
     * twenty-second session's try, docs/kernels.md).
     */
    private static void q3_KShortRows(MemorySegment w, long offset, long rowBytes, int n, Q8Activations a, int row, float[] out) {
        final short[] xq = a.q;
        final float[] dx = a.d;
        final int xo = row * a.cols;
        for (int r = 0; r < n; r++, offset += rowBytes) {
            long p = offset;
            int x = xo;
            // the scales: bytes 94-109 of the block (its last 16), as sign-extended ints; the masks drop the copies of bit 7
            var sm = (IntVector) ByteVector.fromMemorySegment(B16, w, p + 94, LE).convertShape(VectorOperators.B2I, I16, 0);
            var sc = sm.rearrange(Q3_K_LOW_BYTE).lanewise(LSHR, Q3_K_LOW_SHIFT).lanewise(AND, NIBBLE)
                    .lanewise(OR, sm.rearrange(Q3_K_HIGH_BYTE).lanewise(LSHR, Q3_K_HIGH_SHIFT).lanewise(AND, THREE).lanewise(LSHL, SHIFT4))
                    .lanewise(SUB, THIRTY_TWO);
            // 4 where a value's high bit is clear, at bit 2 of its byte once shifted right by j
            var hm = IntVector.fromMemorySegment(I16, w, p, LE).rearrange(Q3_K_HMASK_TWICE).lanewise(XOR, ALL_ONES)
                    .lanewise(LSHL, Q3_K_HMASK_LEFT).lanewise(LSHR, Q3_K_HMASK_RIGHT);
            var qs = IntVector.fromMemorySegment(I16, w, p + 32, LE);
            var q0 = ((ByteVector) qs.lanewise(AND, TWO_BITS).reinterpretShape(B64, 0))
                    .lanewise(SUB, (ByteVector) hm.lanewise(AND, BIT_2).reinterpretShape(B64, 0));
            var q1 = ((ByteVector) qs.lanewise(LSHR, SHIFT2).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0))
                    .lanewise(SUB, (ByteVector) hm.lanewise(LSHR, SHIFT1).lanewise(AND, BIT_2).reinterpretShape(B64, 0));
            var q2 = ((ByteVector) qs.lanewise(LSHR, SHIFT4).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0))
                    .lanewise(SUB, (ByteVector) hm.lanewise(LSHR, SHIFT2).lanewise(AND, BIT_2).reinterpretShape(B64, 0));
            var q3 = ((ByteVector) qs.lanewise(LSHR, SHIFT6).lanewise(AND, TWO_BITS).reinterpretShape(B64, 0))
                    .lanewise(SUB, (ByteVector) hm.lanewise(LSHR, SHIFT3).lanewise(AND, BIT_2).reinterpretShape(B64, 0));
            ShortVector s;
            var isum = IntVector.zero(I16);
            s = ((ShortVector) q0.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_0)));
            s = ((ShortVector) q1.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 32));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_1)));
            s = ((ShortVector) q2.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 64));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_2)));
            s = ((ShortVector) q3.convertShape(VectorOperators.B2S, S32, 0)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 96));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_3)));
            s = ((ShortVector) q0.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 128));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_4)));
            s = ((ShortVector) q1.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 160));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_5)));
            s = ((ShortVector) q2.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 192));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_6)));
            s = ((ShortVector) q3.convertShape(VectorOperators.B2S, S32, 1)).lanewise(MUL, ShortVector.fromArray(S32, xq, x + 224));
            isum = isum.lanewise(ADD, ((IntVector) s.reinterpretShape(I16, 0)).lanewise(MUL, TIMES_65537).lanewise(ASHR, SHIFT16).lanewise(MUL, sc.rearrange(Q2_K_STEP_7)));
            float d = Float.float16ToFloat(w.get(Quant.I16, p + 108)) * dx[x / 256];
            F16_VECTOR.broadcast(d).lanewise(MUL, (FloatVector) isum.convertShape(VectorOperators.I2F, F16, 0)).intoArray(out, 16 * r);
        }
    }
}
