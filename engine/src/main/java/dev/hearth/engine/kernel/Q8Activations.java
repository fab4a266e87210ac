package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activation rows quantized to 8-bit integers for the integer matmul path, as llama.cpp does:
 * {@link Kind#Q8_0} uses one float scale per 32 values (for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 weights),
 * {@link Kind#Q8_K} one per 256 values (for the K-quants, whose sub-block scales are integers).
 *
 * <p>Each block gets {@code d = max|x| / 127} and {@code q = rint(x * 127 / max|x|)} (round half to even),
 * as llama.cpp's AVX2 {@code quantize_row_q8_0}; so {@code |x - d*q| <= d/2}. (llama.cpp's Q8_K maps the
 * signed extreme to -127 instead, the same step size and error.)
 * As in llama.cpp, a Q8_0 block's {@code d} is rounded to float16 (its {@code block_q8_0} stores a half)
 * while the quants are computed with the unrounded scale; Q8_K keeps a float {@code d}. This matters for
 * agreeing with llama.cpp: a difference of one float16 rounding here changes which way later activations
 * round to 8 bits, and those flips add up to differences of ~0.01 in log-probabilities.
 * The quants are stored widened to {@code short}, ready for 16-bit vector multiplies. Also kept:
 * the sum of the quants of every 16 values (to fold weight offsets such as Q4_0's {@code -8} or the
 * K-quant mins into one scalar term per block), and {@code d * sum(q)} per 32 values.
 * Buffers are reused across calls and grown when needed; an instance is not thread-safe to fill.
 */
public final class Q8Activations {
    /** Block size of the activation scales. */
    public enum Kind {
        Q8_0(32), Q8_K(256);

        final int block;

        Kind(int block) {
            this.block = block;
        }

        /** Values per scale. */
        public int block() {
            return block;
        }
    }

    final Kind kind;
    int batch, cols;
    short[] q = new short[0];
    /**
     * Scale per block of {@code kind.block} values, rows concatenated; 16 more floats past the last (zero, or stale
     * after a smaller batch), so that a 16-float load at a row's first scale ({@code Q8Kernels.q8_0ShortRows}, which
     * uses only the row's lanes) stays inside the array.
     */
    float[] d = new float[0];
    /** Sum of the quants of each 16 values. */
    int[] bsum16 = new int[0];
    /**
     * Sum of the quants of each 32 values; 8 more ints past the last (zero, or stale after a smaller batch),
     * so that a 16-int load at a Q4_K super-block's 8 sums ({@code Q8Kernels.q4_KWide}, which drops the
     * upper 8 lanes) stays inside the array.
     */
    int[] bsum32 = new int[0];
    /** {@code d * sum(q)} of each 32 values (Q8_0 kind only). */
    float[] dsum32 = new float[0];
    /**
     * Q8_0 kind on 512-bit vectors ({@link Q8Kernels#WIDE}) only, for the rows made ready by {@link #prepareQ4_0}
     * (decode rows; sized on first use): the quants in the order of the Q4_0 kernel, which takes the nibbles of a
     * 64-byte load out in 16-bit lanes (short {@code i} = bytes {@code 2i, 2i+1}), so slot {@code 32k + i} of each
     * 128 values meets nibble {@code k} of short {@code i}: per 128 values (four blocks), byte {@code 2i + k / 2}
     * of the group (of block {@code i / 8}); its low nibble is value {@code byte % 16} of its block, its high
     * nibble value {@code byte % 16 + 16}. A row's last 1-3 blocks stay in their natural order.
     */
    short[] q4 = new short[0];
    /**
     * {@link #q4} again, for Q4_0 only, copied by {@link #prepareQ4_0} into off-heap memory aligned to 64
     * bytes, where the 512-bit Q4_0 kernel reads it: a Java array's elements start 16 bytes into the object,
     * so every 64-byte load from one splits two cache lines (the Q4_0 kernel ran 5-8 % faster aligned). The
     * K-quant kernels read their {@link Order}'s array themselves: with segment loads their bodies were too
     * large for C2 to compile the same way in every run (see {@code Q8Kernels.q4_KRows}).
     *
     * <p>For Q4_0 (Q8_0 kind), everything the kernel reads per 4-block group of values {@code v..v+127} of
     * the activations sits together at byte {@code 3v}: the 128 quants as shorts in {@link #q4}'s order
     * (256 bytes), then the 16 ints of the offset term (as {@link #q4Offset} defines it, 64 bytes), then 16 floats of
     * scales, {@code d[v / 32 + j / 4] * 2^112} for lane j (64 bytes; the 2^112 is the exponent shift of the
     * kernel's float16 conversion, exact and finite as d is a float16). One stream of activations, not three: on
     * rows of 8192 values, whose activations no longer stay in L1 while the weights stream past, the kernel
     * read 27 % more bytes per second from memory than with three arrays (docs/kernels.md).
     */
    MemorySegment q4Aligned = MemorySegment.NULL;
    /**
     * Q8_0 kind on 512-bit vectors only: Q4_0's {@code -8} offset, {@code 8 *} the sum of the quants that one
     * 32-bit lane of the kernel's pair sums multiplies with nibbles, so {@code sum(n * q) - q4Offset} is
     * {@code sum((n - 8) * q)} lane by lane. A 4-block group's 16 (one per lane) are written straight into
     * {@link #q4Aligned}; this array holds those of a row's last 1-3 blocks, 8 ints at {@code 8b} for block
     * {@code b} ({@code q[2j] + q[2j+1] + q[2j+16] + q[2j+17]} for lane j).
     */
    int[] q4Offset = new int[0];
    /** Rows {@code [0, q4Rows)} are in the Q4_0 kernel's order: {@link #q4}, {@link #q4Aligned} and {@link #q4Offset}. */
    int q4Rows;
    /**
     * Q8_K kind on 512-bit vectors only: the quants of the rows made ready by {@link #prepare(Order, int)} (decode
     * rows; sized on first use) in the order of a K-quant kernel. The kernels take the nibbles of a 64-byte load
     * of quants out in 16-bit lanes (short {@code i} = bytes {@code 2i, 2i+1}): slot {@code 128h + 32k + i} of a
     * super-block is the activation that meets nibble {@code k} (bits {@code 4k..4k+3}) of short {@code i} of
     * its load {@code h}, value {@link #slots}{@code [128h + 32k + i]} of the super-block. (A model's matrices of
     * several kinds share one activation buffer: an array per order.)
     */
    static final class Order {
        final String name;
        /** Value (0-255) of the super-block in each slot (shared by every instance). */
        final int[] slots;
        short[] q = new short[0];
        /** Rows {@code [0, rows)} are in this order. */
        int rows;

        Order(String name, int[] slots) {
            this.name = name;
            this.slots = slots;
        }
    }

    /** The value of a super-block that meets nibble {@code k} of short {@code i} of load {@code h}. */
    @FunctionalInterface
    private interface SlotValue {
        int of(int h, int k, int i);
    }

    private static int[] slots(SlotValue value) {
        int[] slots = new int[256];
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                for (int i = 0; i < 32; i++) slots[128 * h + 32 * k + i] = value.of(h, k, i);
            }
        }
        return slots;
    }

    /**
     * Q4_K and Q5_K as in the file: each load (128 values) is two 32-byte groups of quants, each the low nibbles
     * of sub-block {@code 2g} and high ones of {@code 2g+1}; short {@code i} is in group {@code i / 16} at byte
     * {@code t = 2i % 32}, and nibble k is value {@code t + k / 2} of sub-block {@code 2g + k % 2}.
     */
    private static final int[] Q4_K_SLOTS = slots((h, k, i) -> 128 * h + 32 * (2 * (i / 16) + k % 2) + 2 * i % 32 + k / 2);
    /** Q6_K as in the file: short {@code i} of 64 bytes of {@code ql} as four nibbles {@code k} meets value {@code 2i + k / 2 + 64 (k % 2)} of the load's 128. */
    private static final int[] Q6_K_SLOTS = slots((h, k, i) -> 128 * h + 64 * (k % 2) + 2 * i + k / 2);
    /**
     * Q4_K (and Q5_K) in the sub-block layout ({@link Matrix#interleaved}): nibble {@code k} of short {@code i} of
     * load {@code h} is value {@code 8h + 2 (i % 4) + k / 2 + 16 (k % 2)} of sub-block {@code i / 4}.
     */
    private static final int[] Q4_K_SPLIT_SLOTS = slots((h, k, i) -> 32 * (i / 4) + 8 * h + 2 * (i % 4) + k / 2 + 16 * (k % 2));
    /**
     * Q6_K in the sub-block layout ({@link Matrix#interleaved}): nibble {@code k} of short {@code i} of load
     * {@code h} is value {@code 8h + 4 (i % 2) + k} of the 16-value sub-block {@code i / 2}.
     */
    private static final int[] Q6_K_SPLIT_SLOTS = slots((h, k, i) -> 16 * (i / 2) + 8 * h + 4 * (i % 2) + k);

    final Order q4_K = new Order("Q4_K", Q4_K_SLOTS);
    final Order q6_K = new Order("Q6_K", Q6_K_SLOTS);
    final Order q4_KSplit = new Order("Q4_K sub-block", Q4_K_SPLIT_SLOTS);
    final Order q6_KSplit = new Order("Q6_K sub-block", Q6_K_SPLIT_SLOTS);

    /** Vectors for quantizing: the platform's floats (at most 16 lanes, one group of 16 sums) and shorts of as many lanes. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() > 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * F.length()));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final float ROUNDER = 12582912f;   // 1.5 * 2^23

    public Q8Activations(Kind kind) {
        this.kind = kind;
    }

    /** The activation format the integer kernels for {@code weights} expect, or null when the type has none. */
    public static Kind kindFor(GgmlType weights) {
        return switch (weights) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 -> Kind.Q8_0;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> Kind.Q8_K;
            default -> null;
        };
    }

    public Kind kind() {
        return kind;
    }

    public int batch() {
        return batch;
    }

    public int cols() {
        return cols;
    }

    /** Quantizes {@code batch} rows of {@code cols} floats from {@code x} (row-major). */
    public Q8Activations quantize(float[] x, int batch, int cols) {
        return quantize(null, x, batch, cols);
    }

    /**
     * {@link #quantize(float[], int, int)} with the blocks shared out over {@code pool} (null: this thread) when
     * there are several rows: a 512-token prompt's activations took 5-7 % of a small model's prefill on the
     * calling thread alone while the others waited.
     */
    public Q8Activations quantize(Parallel pool, float[] x, int batch, int cols) {
        int bs = kind.block;
        if (cols % bs != 0) {
            throw new IllegalArgumentException("quantize activations to " + kind + ": row length " + cols
                    + " is not a multiple of " + bs);
        }
        int n = batch * cols;
        if (x.length < n) throw new IllegalArgumentException("x has " + x.length + " floats, needs " + n);
        if (q.length < n) {
            q = new short[n];
            d = new float[n / 32 + 16];
            bsum16 = new int[n / 16];
            bsum32 = new int[n / 32 + 8];
            dsum32 = new float[n / 32];
        }
        this.batch = batch;
        this.cols = cols;
        this.q4Rows = 0;
        q4_K.rows = q6_K.rows = q4_KSplit.rows = q6_KSplit.rows = 0;
        if (pool == null || batch == 1) quantizeBlocks(x, 0, n / bs);
        else pool.run(n / bs, BLOCKS_PER_CHUNK * 32 / bs, (from, to) -> quantizeBlocks(x, from, to));
        return this;
    }

    /** Blocks per parallel chunk of {@link #quantize} and {@link #dequantize} (in 32-value blocks): ~2 µs of work. */
    private static final int BLOCKS_PER_CHUNK = 64;

    /** Blocks {@code [from, to)} of {@code kind.block} values of {@link #quantize}. */
    private void quantizeBlocks(float[] x, int from, int to) {
        final int bs = kind.block, l = F.length();
        for (int b = from; b < to; b++) {
            int o = b * bs;
            var vmax = FloatVector.zero(F);
            for (int i = o; i < o + bs; i += l) vmax = vmax.max(FloatVector.fromArray(F, x, i).abs());
            float amax = vmax.reduceLanes(VectorOperators.MAX);
            float scale = amax / 127f;
            float inv = amax == 0f ? 0f : 127f / amax;
            d[b] = kind == Kind.Q8_0 ? Float.float16ToFloat(Float.floatToFloat16(scale)) : scale;
            var vinv = FloatVector.broadcast(F, inv);
            for (int g = o; g < o + bs; g += 16) {
                int sum = 0;
                for (int i = g; i < g + 16; i += l) {
                    // round half to even (Math.rint) exactly: adding and taking away 1.5 * 2^23 leaves the
                    // float rounded to an integer, since |x * inv| <= 127 is far below 2^22
                    var r = FloatVector.fromArray(F, x, i).mul(vinv).add(ROUNDER).sub(ROUNDER);
                    var v = (IntVector) r.convertShape(VectorOperators.F2I, I, 0);
                    ((ShortVector) v.convertShape(VectorOperators.I2S, S, 0)).intoArray(q, i);
                    sum += v.reduceLanes(VectorOperators.ADD);
                }
                bsum16[g / 16] = sum;
            }
            for (int c = o / 32; c < (o + bs) / 32; c++) {
                bsum32[c] = bsum16[2 * c] + bsum16[2 * c + 1];
                if (kind == Kind.Q8_0) dsum32[c] = d[c] * bsum32[c];
            }
        }
    }

    /**
     * Fills the Q4_0 kernel's order ({@link #q4}, {@link #q4Offset}) for rows {@code [0, rows)} where not
     * done since the last {@link #quantize}; only decode rows on 512-bit vectors need it, so it is not part
     * of quantizing. Call it before the parallel run that reads them (not thread-safe).
     */
    void prepareQ4_0(int rows) {
        if (kind != Kind.Q8_0 || !Q8Kernels.WIDE || rows <= q4Rows) return;
        if (rows > batch) throw new IllegalArgumentException("prepareQ4_0: " + rows + " rows, only " + batch + " quantized");
        if (q4.length < rows * cols) {
            growQ4(rows * cols);
            q4Aligned = Arena.ofAuto().allocate(3L * rows * cols, 64);   // three bytes per value (see q4Aligned)
            q4Offset = new int[rows * cols / 4];
        }
        for (int r = q4Rows; r < rows; r++) {
            int o = r * cols, groupsEnd = o + cols / 128 * 128;
            for (int g = o; g < groupsEnd; g += 128) {
                for (int k = 0; k < 4; k++) {
                    for (int i = 0; i < 32; i++) {
                        int byteIndex = 2 * i + k / 2;
                        q4[g + 32 * k + i] = q[g + 32 * (byteIndex / 16) + byteIndex % 16 + 16 * (k % 2)];
                    }
                }
                int b = g / 32;
                long at = 3L * g;
                MemorySegment.copy(q4, g, q4Aligned, ValueLayout.JAVA_SHORT, at, 128);
                for (int j = 0; j < 16; j++) {
                    int sum = 0;
                    for (int k = 0; k < 4; k++) sum += q4[g + 32 * k + 2 * j] + q4[g + 32 * k + 2 * j + 1];
                    q4Aligned.set(ValueLayout.JAVA_INT, at + 256 + 4 * j, 8 * sum);
                    q4Aligned.set(ValueLayout.JAVA_FLOAT, at + 320 + 4 * j, d[b + j / 4] * 0x1p112f);
                }
            }
            System.arraycopy(q, groupsEnd, q4, groupsEnd, o + cols - groupsEnd);
            for (int b = groupsEnd / 32; b < (o + cols) / 32; b++) {
                int e = 32 * b;
                for (int j = 0; j < 8; j++) {
                    q4Offset[8 * b + j] = 8 * (q[e + 2 * j] + q[e + 2 * j + 1] + q[e + 2 * j + 16] + q[e + 2 * j + 17]);
                }
            }
        }
        q4Rows = rows;
    }

    /**
     * Room for {@code n} values in the Q4_0 order, sized by the rows prepared (decode rows: a prompt's rows never
     * need it); the rows already prepared are made again.
     */
    private void growQ4(int n) {
        q4 = new short[n];
        q4Rows = 0;
    }

    /**
     * Fills {@code order} for rows {@code [0, rows)} where not done since the last {@link #quantize}; as
     * {@link #prepareQ4_0}.
     */
    void prepare(Order order, int rows) {
        if (kind != Kind.Q8_K || !Q8Kernels.WIDE || rows <= order.rows) return;
        if (rows > batch) throw new IllegalArgumentException("prepare " + order.name + ": " + rows + " rows, only " + batch + " quantized");
        if (order.q.length < rows * cols) {
            // all rows again: the new array starts empty
            order.q = new short[rows * cols];
            order.rows = 0;
        }
        final short[] dst = order.q;
        final int[] slots = order.slots;
        for (int s = order.rows * cols; s < rows * cols; s += 256) {
            for (int j = 0; j < 256; j++) dst[s + j] = q[s + slots[j]];
        }
        order.rows = rows;
    }

    /**
     * Writes the dequantized values {@code d * q} of rows {@code fromRow..batch-1} into {@code dst} at their
     * usual offsets (grown when too small) and returns it: the float path uses these so that it computes
     * with the same 8-bit activations as llama.cpp.
     */
    public float[] dequantize(float[] dst, int fromRow) {
        return dequantize(null, dst, fromRow);
    }

    /** {@link #dequantize(float[], int)} with the blocks shared out over {@code pool} (null: this thread). */
    public float[] dequantize(Parallel pool, float[] dst, int fromRow) {
        int n = batch * cols, bs = kind.block, first = fromRow * cols / bs;
        final float[] out = dst.length < n ? new float[n] : dst;
        if (pool == null || batch - fromRow <= 1) dequantizeBlocks(out, first, n / bs);
        else pool.run(n / bs - first, BLOCKS_PER_CHUNK * 32 / bs, (from, to) -> dequantizeBlocks(out, first + from, first + to));
        return out;
    }

    private void dequantizeBlocks(float[] dst, int from, int to) {
        final int bs = kind.block;
        for (int b = from; b < to; b++) {
            float scale = d[b];
            for (int i = b * bs; i < (b + 1) * bs; i++) dst[i] = scale * q[i];
        }
    }

    /** The dequantized value {@code d * q} of element {@code i} of row {@code row} (for tests). */
    public float value(int row, int i) {
        int e = row * cols + i;
        return d[e / kind.block] * q[e];
    }
}
