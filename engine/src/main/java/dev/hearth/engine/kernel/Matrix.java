package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufTensor;
import java.lang.foreign.MemorySegment;
import java.util.function.LongFunction;

/**
 * A weight matrix of {@code rows x cols} in a GGUF tensor type. As a GGUF file stores it (zero copy, a view of
 * the mapped file), row {@code r} starts at byte {@code r * rowBytes()}. A Q4_0, Q8_0, Q4_K, Q5_K or Q6_K matrix can
 * instead be {@link #interleaved}, a copy laid out for the decode kernel ({@link #interleave}).
 *
 * <p><b>Interleaved Q4_0</b> (rows a multiple of 4, columns of 128, 512-bit vectors): rows in quads, each quad
 * the same bytes as its four rows, {@link #QUAD_GROUP_BYTES} per group of 4 blocks (128 columns): the four
 * rows' quants (64 bytes each: their four blocks' 16 quant bytes in order) and the 16 float16 scales (at
 * {@code 4 * row + block}). One 64-byte load is a row's group, and the four rows share the activations and a
 * single load of their scales. A quad's groups come in pairs, {@link #QUAD_PAIR_BYTES} (nine cache lines): both
 * groups' scales in the first line, then both groups' quants ({@link #pairQuants}, {@link #pairScales}), so that
 * every 64-byte load of quants is one whole cache line and the kernel reads the lines in order; a slice's odd last
 * group has the same place as the first group of a pair (its scales, 32 bytes of padding, its quants), so that the
 * next quad starts on a line too ({@link #quadSliceBytes}). (Groups of 288 bytes one after the other put every
 * other group's quants 32 bytes off a line, each load split over two: that layout was 5-11 % slower on the 1.1B
 * Q4_0 file's decode matrices at two threads, and up to twice as slow from memory at some starts of the matrix;
 * the scales after the quants in each pair, lines read out of order, a further 3-8 %: docs/kernels.md "Q4_0 groups
 * in pairs".) One stream of bytes (scales in a region of their own after the quants ran at 60 % of the speed from
 * memory). Rows longer than
 * {@link #QUAD_SLICE_GROUPS} groups (2,048 columns) are cut into slices of that many groups (the last one may be
 * shorter), stored slice after slice, each slice holding every quad's groups of it quad after quad: the decode
 * kernel runs slice by slice over a run of quads, so the activations it rereads for every quad are those of one
 * slice (6 KiB), not of the whole row (3 bytes per value: 42 KiB at 14,336 columns, near the core's 48 KiB L1);
 * JMH {@code MatMulBench} on a 4,096 x 14,336 matrix from memory: 2.2x faster on one thread (docs/kernels.md "Long
 * Q4_0 rows in slices").
 *
 * <p><b>Q4_K in sub-blocks</b> (512-bit vectors): row by row, {@link #Q4_K_SPLIT_BYTES} per super-block of 256
 * values: the 8 mins and 8 scales unpacked (one byte each), then d and dmin (float16), then 128 quant bytes in
 * two halves of 64. Sub-block {@code s}'s 32 values are 16 bytes as in a Q4_0 block (byte {@code j}: value
 * {@code j} in the low nibble, {@code j + 16} in the high one), of which bytes 0-7 lie at {@code 8s} in the
 * first half and bytes 8-15 at {@code 8s} in the second: 16-bit lane {@code i} of either half holds four nibbles
 * of sub-block {@code i / 4}. Same values as the file's layout, 4 bytes more per super-block; the decode kernel
 * ({@code Q8Kernels.q4_KSplit}) sums a lane's products in 16 bits and scales each sub-block once, and a
 * sub-block's 16 bytes come back by one blend of two 16-byte loads ({@code RowDecoder.q4_KSplit}).
 *
 * Rows longer than {@link #K_SLICE_BLOCKS} super-blocks (2,048 values) are cut into slices of that many (the last
 * takes the rest), slice after slice and in each slice row after row, as Q4_0's and Q8_0's are (JMH
 * {@code MatMulBench}, 4,096 x 14,336 from memory: 1.8x faster on one thread). Q5_K rows the same way.
 *
 * <p><b>Q5_K in sub-blocks</b> (512-bit vectors): Q4_K's layout for the low 4 bits, then 32 bytes of fifth bits,
 * {@link #Q5_K_SPLIT_BYTES} per super-block. Byte {@code i} holds those of the values of 16-bit lane {@code i} of
 * both halves (sub-block {@code i / 4}, values {@code v = 2 (i % 4) + j + 8h + 16c}: {@code j} the lane's byte,
 * {@code h} the half, {@code c} the high nibble) at bit {@code j + 2h + 4c}: the kernel ({@code Q8Kernels.q5_KSplit})
 * widens the 32 bytes to shorts and takes each nibble's bit by a constant shift.
 *
 * <p><b>Q6_K in sub-blocks</b> (512-bit vectors): row by row, the file's 210 bytes per super-block, its 16 scales
 * and d where they were, the 6-bit values moved so that each 16-bit lane of the two 64-byte halves of {@code ql}
 * holds low bits of one 16-value sub-block only. Sub-block {@code s}'s value {@code t} has its low 4 bits in nibble
 * {@code t % 8} of the 4 bytes at {@code 4s} of half {@code t / 8} ({@code 64 (t / 8) + 4s}: lanes {@code 2s, 2s+1},
 * four values each), and its high 2 bits at bits {@code 2 (t % 4)} of byte {@code 2 (2s + t % 8 / 4) + t / 8} of the
 * 64 bytes of {@code qh} at 128: byte 0 of {@code qh}'s short {@code i} goes with short {@code i} of the first
 * half, byte 1 with the second's, so the kernel ({@code Q8Kernels.q6_KSplit}) lines them up by one shift per half
 * (no permute), sums a lane's eight products in 16 bits and scales each sub-block once.
 *
 * <p><b>Q8_0 in groups</b> (512-bit vectors): row by row, the same bytes as in the file, each 16 blocks reordered
 * into {@link #Q8_0_GROUP_BYTES}: their 16 float16 scales, then their 16 x 32 quants (a row's last 1-15 blocks the
 * same way, {@code 34} bytes each). The decode kernel ({@code Q8Kernels.q8_0Groups}) turns 16 scales into 16 scale
 * products with a few vector operations instead of a load, a conversion and a multiply per block. (Groups of 4,
 * 136 bytes, ran as fast with the matrix in cache and at half the speed from memory.) Rows longer than
 * {@link #Q8_0_SLICE_BLOCKS} blocks (2,048 values) are cut into slices of that many (the last takes the rest, tail
 * included), stored slice after slice and in each slice row after row, for the reason Q4_0's are (its rows reread
 * 2 bytes of activations per value for every row: 28 KiB at 14,336 columns); JMH {@code MatMulBench} on a 4,096 x
 * 14,336 matrix from memory: 2.0x faster on one thread, 1.7x on two.
 */
public record Matrix(String name, GgmlType type, MemorySegment data, int rows, int cols, boolean interleaved) {
    /** Bytes of a quad's group of 4 blocks in an interleaved Q4_0 matrix: 4 rows x 64 quant bytes and 16 scales. */
    static final long QUAD_GROUP_BYTES = 288;
    /** Bytes of a pair of a quad's groups in an interleaved Q4_0 matrix: both groups' scales (a line), then both groups' quants. */
    static final long QUAD_PAIR_BYTES = 2 * QUAD_GROUP_BYTES;
    /** Groups (of 128 columns) of a slice of an interleaved Q4_0 matrix: 2,048 columns (class comment). */
    static final int QUAD_SLICE_GROUPS = 16;
    /** Bytes of a super-block of a Q4_K matrix in sub-blocks: 8 mins, 8 scales, d, dmin, 128 quant bytes. */
    static final long Q4_K_SPLIT_BYTES = 148;
    /** Bytes of a group of 16 blocks of a Q8_0 matrix in groups: 16 float16 scales, then 16 x 32 quants (as in the file). */
    static final long Q8_0_GROUP_BYTES = 544;
    /** Bytes of a super-block of a Q5_K matrix in sub-blocks: those of Q4_K, then 32 bytes of fifth bits. */
    static final long Q5_K_SPLIT_BYTES = 180;

    public Matrix {
        if (!type.supported()) {
            throw new GgufException("tensor '" + name + "' has type " + type
                    + ", which Hearth cannot compute with yet (supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K); "
                    + "re-quantize the model to one of those, e.g. llama-quantize --allow-requantize in.gguf out.gguf Q4_K_M");
        }
        if (cols % type.blockSize() != 0) {
            throw new GgufException("tensor '" + name + "': row length " + cols + " is not a multiple of the " + type + " block size");
        }
        if (data.byteSize() < type.byteSize((long) rows * cols)) {
            throw new GgufException("tensor '" + name + "': " + data.byteSize() + " bytes is too small for " + rows + "x" + cols + " " + type);
        }
        if (interleaved && !interleaves(type, rows, cols)) {
            throw new IllegalArgumentException("tensor '" + name + "': a " + rows + "x" + cols + " " + type + " matrix cannot be interleaved");
        }
    }

    /** A matrix stored row by row, as in a GGUF file. */
    public Matrix(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        this(name, type, data, rows, cols, false);
    }

    public static Matrix of(GgufTensor t) {
        return new Matrix(t.name(), t.type(), t.data(), t.rows(), t.cols());
    }

    /** Whether a matrix of this type and shape has a decode kernel's layout on this machine (see the class comment). */
    public static boolean interleaves(GgmlType type, int rows, int cols) {
        return Q8Kernels.WIDE && switch (type) {
            case Q4_0 -> rows % 4 == 0 && cols % 128 == 0;
            case Q8_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Whether this is a Q4_0 matrix interleaved in quads of rows. */
    boolean quads() {
        return interleaved && type == GgmlType.Q4_0;
    }

    /**
     * This matrix interleaved (see the class comment) in memory from {@code allocate} (bytes to a 64-byte aligned
     * segment), or this matrix itself where that layout does not apply. Results of every matmul stay bit for bit
     * what they were.
     */
    public Matrix interleave(LongFunction<MemorySegment> allocate) {
        if (interleaved || !interleaves(type, rows, cols)) return this;
        if (type == GgmlType.Q4_K || type == GgmlType.Q5_K) return splitQ4_KOrQ5_K(allocate);
        if (type == GgmlType.Q6_K) return splitQ6_K(allocate);
        if (type == GgmlType.Q8_0) return groupQ8_0(allocate);
        final long rowBytes = rowBytes();
        int last = (cols / 128 - 1) / QUAD_SLICE_GROUPS * QUAD_SLICE_GROUPS;   // the last slice's first group
        MemorySegment dst = allocate.apply(quadSlice(rows, cols, rows / 4, last));
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < cols / 32; b++) {
                long from = r * rowBytes + 18L * b;
                MemorySegment.copy(data, from + 2, dst, interleavedQuants(rows, cols, r, b), 16);
                dst.set(Quant.I16, interleavedScale(rows, cols, r, b), data.get(Quant.I16, from));
            }
        }
        return new Matrix(name, type, dst, rows, cols, true);
    }

    /** Byte offset of block {@code b}'s 16 quant bytes of row {@code r} in an interleaved Q4_0 matrix of {@code rows x cols}. */
    static long interleavedQuants(int rows, int cols, int r, int b) {
        int g = b / 4, first = g / QUAD_SLICE_GROUPS * QUAD_SLICE_GROUPS;
        return quadSlice(rows, cols, r / 4, first) + pairQuants(g - first) + 64 * (r % 4) + 16 * (b % 4);
    }

    /** Byte offset of block {@code b}'s float16 scale of row {@code r} in an interleaved Q4_0 matrix of {@code rows x cols}. */
    static long interleavedScale(int rows, int cols, int r, int b) {
        int g = b / 4, first = g / QUAD_SLICE_GROUPS * QUAD_SLICE_GROUPS;
        return quadSlice(rows, cols, r / 4, first) + pairScales(g - first) + 2 * (4 * (r % 4) + b % 4);
    }

    /**
     * Byte offset of quad {@code q}'s groups of the slice that starts at group {@code first} (a multiple of
     * {@link #QUAD_SLICE_GROUPS}) in an interleaved Q4_0 matrix of {@code rows x cols}: slice after slice, each slice
     * every quad's groups of it, quad after quad (class comment).
     */
    static long quadSlice(int rows, int cols, int q, int first) {
        return QUAD_GROUP_BYTES * (rows / 4) * first + q * quadSliceBytes(sliceGroups(cols, first));
    }

    /** Bytes of a quad's groups in a slice of {@code groups} groups: pairs, and an odd last group padded to whole lines. */
    static long quadSliceBytes(int groups) {
        return QUAD_GROUP_BYTES * groups + 32 * (groups & 1);
    }

    /** Groups of the slice that starts at group {@code first}: {@link #QUAD_SLICE_GROUPS}, or fewer for the last one. */
    static int sliceGroups(int cols, int first) {
        return Math.min(QUAD_SLICE_GROUPS, cols / 128 - first);
    }

    /**
     * Byte offset of group {@code j}'s quants from the start of its quad's slice: after its pair's line of scales
     * (class comment).
     */
    static long pairQuants(int j) {
        return QUAD_PAIR_BYTES * (j >> 1) + 64 + 256 * (j & 1);
    }

    /**
     * Byte offset of group {@code j}'s 16 scales from the start of its quad's slice: its half of its pair's first line
     * (class comment).
     */
    static long pairScales(int j) {
        return QUAD_PAIR_BYTES * (j >> 1) + 32 * (j & 1);
    }

    /**
     * {@link #splitQ4_KOrQ5_K}: each super-block's 12 packed scale bytes unpacked into 8 mins and 8 scales, and its
     * quants moved so that a 16-bit lane of a 64-byte half holds one sub-block's nibbles (class comment); Q5_K's
     * fifth bits regrouped the same way after them.
     */
    private Matrix splitQ4_KOrQ5_K(LongFunction<MemorySegment> allocate) {
        final boolean q5 = type == GgmlType.Q5_K;
        final long blocks = (long) rows * (cols / 256), from = q5 ? 176 : 144, to = q5 ? Q5_K_SPLIT_BYTES : Q4_K_SPLIT_BYTES;
        final long quants = q5 ? 48 : 16;   // where the file's 128 quant bytes start in a super-block
        MemorySegment dst = allocate.apply(blocks * to);
        final long lowNibbles = 0x0F0F_0F0F_0F0F_0F0FL;
        final int perRow = cols / 256;
        for (long b = 0; b < blocks; b++) {
            // in slices (class comment): super-block k of row r to its slice's place
            int r = (int) (b / perRow), k = (int) (b % perRow), slice = slice(perRow, K_SLICE_BLOCKS, k);
            long p = from * b, o = to * (sliceRow(rows, perRow, K_SLICE_BLOCKS, slice, r) + k - K_SLICE_BLOCKS * slice);
            long lo = data.get(Quant.I64, p + 4);
            int hi = data.get(Quant.I32, p + 12);
            long scales = Quant.kScales(lo, hi), mins = Quant.kMins(lo, hi);
            dst.set(Quant.I64, o, mins);   // byte j: min j (little-endian, as kMins packs them)
            dst.set(Quant.I64, o + 8, scales);
            dst.set(Quant.I32, o + 16, data.get(Quant.I32, p));   // d, dmin
            // the file's group g (32 bytes at quants + 32g): low nibbles sub-block 2g, high nibbles 2g + 1, value v
            // in byte v. Sub-block s's byte j (values j, j + 16) goes to half j / 8, byte 8s + j % 8: eight bytes at
            // a time
            for (int g = 0; g < 4; g++) {
                for (int h = 0; h < 2; h++) {
                    long a = data.get(Quant.I64, p + quants + 32 * g + 8 * h), c = data.get(Quant.I64, p + quants + 32 * g + 8 * h + 16);
                    long at = o + 20 + 64 * h + 8 * (2 * g);
                    dst.set(Quant.I64, at, a & lowNibbles | (c & lowNibbles) << 4);
                    dst.set(Quant.I64, at + 8, a >>> 4 & lowNibbles | c & ~lowNibbles);
                }
            }
            if (q5) {
                // the file's fifth bit of value v of sub-block s: bit s of qh[v] (32 bytes at 16). Byte 4s + m of the
                // copy's 32 (at 148) holds those of lane 4s + m of both halves: bits v = 2m, 2m + 1 (+ 8 in the
                // second half, + 16 for the high nibbles) of the sub-block's 32, in that order (Q8Kernels.q5_KSplit)
                long[] qh = {data.get(Quant.I64, p + 16), data.get(Quant.I64, p + 24), data.get(Quant.I64, p + 32), data.get(Quant.I64, p + 40)};
                for (int s = 0; s < 8; s++) {
                    int bits = 0;   // bit v: the fifth bit of value v
                    for (int e = 0; e < 4; e++) bits |= (int) Long.compress(qh[e] >>> s, 0x0101_0101_0101_0101L) << 8 * e;
                    for (int m = 0; m < 4; m++) dst.set(Quant.I8, o + 148 + 4 * s + m, (byte) Integer.compress(bits, 0x0303_0303 << 2 * m));
                }
            }
        }
        return new Matrix(name, type, dst, rows, cols, true);
    }

    /**
     * {@link #splitQ6_K}: each 16-value sub-block's low 4 bits packed into 4 + 4 bytes of the two halves of
     * {@code ql}, and its high 2 bits into 4 bytes of {@code qh}, in the order of the class comment.
     */
    private Matrix splitQ6_K(LongFunction<MemorySegment> allocate) {
        final long blocks = (long) rows * (cols / 256);
        MemorySegment dst = allocate.apply(blocks * 210);
        for (long b = 0; b < blocks; b++) {
            long p = 210 * b;
            // the file: sub-block s (values 16s..16s+15) has its low 4 bits in nibble q / 2 of the 16 bytes of ql at
            // 64n + 32 (q % 2) + 16 (s % 2) and its high 2 bits in bits 2q, 2q+1 of the 16 bytes of qh at
            // 128 + 32n + 16 (s % 2), value t in byte t, for the half n = s / 8 and q = s % 8 / 2
            for (int s = 0; s < 16; s++) {
                int q = s % 8 / 2;
                long ql = p + 64 * (s / 8) + 32 * (q % 2) + 16 * (s % 2), qh = p + 128 + 32 * (s / 8) + 16 * (s % 2);
                for (int h = 0; h < 2; h++) {
                    // values 8h..8h+7: one nibble a byte, then pairs of bytes into one (byte 2m | byte 2m+1 << 4),
                    // then bytes 0, 2, 4, 6 together: value 8h + j in nibble j of the 4 bytes at 64h + 4s
                    long nibbles = data.get(Quant.I64, ql + 8 * h) >>> 4 * (q / 2) & 0x0F0F_0F0F_0F0F_0F0FL;
                    dst.set(Quant.I32, p + 64 * h + 4 * s, (int) Long.compress(nibbles | nibbles >>> 4, 0x00FF_00FF_00FF_00FFL));
                    // values 8h + 4m .. 8h + 4m + 3 (m = 0, 1): their 2-bit fields in one byte, at 2 (2s + m) + h of qh
                    for (int m = 0; m < 2; m++) {
                        int bits = data.get(Quant.I32, qh + 8 * h + 4 * m) >>> 2 * q & 0x0303_0303;
                        dst.set(Quant.I8, p + 128 + 2 * (2 * s + m) + h, (byte) Integer.compress(bits, 0x0303_0303));
                    }
                }
            }
            MemorySegment.copy(data, p + 192, dst, p + 192, 18);   // scales, d
        }
        return new Matrix(name, type, dst, rows, cols, true);
    }

    /** {@link #groupQ8_0}: each row's blocks in groups of 16, each group's scales first (class comment). */
    private Matrix groupQ8_0(LongFunction<MemorySegment> allocate) {
        final long rowBytes = rowBytes();
        final int blocks = cols / 32;
        MemorySegment dst = allocate.apply(rows * rowBytes);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                long from = r * rowBytes + 34L * b;   // the block in the file
                int s = slice(blocks, Q8_0_SLICE_BLOCKS, b), first = Q8_0_SLICE_BLOCKS * s, inSlice = sliceUnits(blocks, Q8_0_SLICE_BLOCKS, s);
                long row = 34 * sliceRow(rows, blocks, Q8_0_SLICE_BLOCKS, s, r);
                dst.set(Quant.I16, q8_0GroupScale(row, inSlice, b - first), data.get(Quant.I16, from));
                long to = q8_0GroupQuants(row, inSlice, b - first);
                for (int j = 0; j < 32; j += 8) dst.set(Quant.I64, to + j, data.get(Quant.I64, from + 2 + j));
            }
        }
        return new Matrix(name, type, dst, rows, cols, true);
    }

    /** Super-blocks of a slice of a Q4_K or Q5_K matrix in sub-blocks: 2,048 columns ({@link #slices}). */
    static final int K_SLICE_BLOCKS = 8;

    /** Blocks of a slice of a Q8_0 matrix in groups: four groups, 2,048 columns ({@link #slices}; the last slice also takes the row's last 1-15 blocks). */
    static final int Q8_0_SLICE_BLOCKS = 64;

    /**
     * The slices of a row of {@code units} blocks (Q8_0) or super-blocks (Q4_K, Q5_K) in a decode layout cut every
     * {@code per} units, the last slice taking the rest (class comment): at least one.
     */
    static int slices(int units, int per) {
        return Math.max(1, units / per);
    }

    /** The slice that holds unit {@code k} of a row of {@code units} cut every {@code per} ({@link #slices}). */
    static int slice(int units, int per, int k) {
        return Math.min(k / per, slices(units, per) - 1);
    }

    /** Units of slice {@code s} of a row of {@code units} cut every {@code per} ({@link #slices}). */
    static int sliceUnits(int units, int per, int s) {
        return s < slices(units, per) - 1 ? per : units - per * s;
    }

    /**
     * The unit (not byte) where row {@code r}'s part of slice {@code s} starts in a matrix of {@code rows} rows of
     * {@code units} cut every {@code per} ({@link #slices}): slice after slice, each row after row.
     */
    static long sliceRow(int rows, int units, int per, int s, int r) {
        return (long) per * s * rows + (long) sliceUnits(units, per, s) * r;
    }

    /** Where block {@code b}'s float16 scale lies in a Q8_0 row in groups of {@code blocks} blocks starting at {@code row}. */
    static long q8_0GroupScale(long row, int blocks, int b) {
        return row + Q8_0_GROUP_BYTES * (b / 16) + 2 * (b % 16);
    }

    /** Where block {@code b}'s 32 quants lie in a Q8_0 row in groups: after the scales of its group (16, or the row's last 1-15). */
    static long q8_0GroupQuants(long row, int blocks, int b) {
        int inGroup = Math.min(16, blocks - b / 16 * 16);
        return row + Q8_0_GROUP_BYTES * (b / 16) + 2 * inGroup + 32 * (b % 16);
    }

    /** Bytes from one row's start to the next: the GGUF type's row size, or that of the decode kernel's layout (Q4_K and Q5_K in sub-blocks). */
    public long rowBytes() {
        if (!interleaved || quads()) return type.byteSize(cols);
        return switch (type) {
            case Q4_K -> Q4_K_SPLIT_BYTES * (cols / 256);
            case Q5_K -> Q5_K_SPLIT_BYTES * (cols / 256);
            default -> type.byteSize(cols);   // Q6_K and Q8_0: the file's bytes, moved within a row
        };
    }

    /** Dequantizes row {@code r} into {@code dst[dstOff .. dstOff+cols)}. */
    public void row(int r, float[] dst, int dstOff) {
        if (interleaved) RowDecoder.layout(this, r, r + 1, dst, dstOff);
        else Quant.dequantize(type, data, r * rowBytes(), dst, dstOff, cols);
    }

    /** Rows {@code [r0, r1)} as floats into {@code dst[0, (r1 - r0) * cols)} ({@link RowDecoder}). */
    void decodeRows(int r0, int r1, float[] dst) {
        if (interleaved) RowDecoder.layout(this, r0, r1, dst, 0);
        else RowDecoder.decode(type, data, r0 * rowBytes(), dst, (r1 - r0) * cols);
    }
}
