package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The integer path: activation quantization, integer kernels, and their error bounds. */
class Q8Test {
    static final Parallel POOL = new Parallel(3);

    @AfterAll
    static void close() {
        POOL.close();
    }

    static GgmlType[] integerTypes() {
        return Arrays.stream(QuantTest.supportedTypes()).filter(Q8Kernels::supports).toArray(GgmlType[]::new);
    }

    /**
     * The 16-bit products and pair sums at the ends of their ranges: every quant byte of the blocks one fill (all
     * nibbles 15, Q6_K values 63 or 0, Q3_K values 3 or -4, Q2_K values 3 and 4-bit scales and mins 15, Q8_0 quants -128 or 127, 6-bit scales and mins 63, Q6_K
     * scales -128 or 127), scales 1.0, against activations of +-127; still exact but for float rounding.
     */
    @ParameterizedTest
    @MethodSource("integerTypes")
    void kernelsAreExactAtTheEndsOfTheirRanges(GgmlType type) {
        int cols = 512, rows = 2, batch = 2;
        long rowBytes = type.byteSize(cols), blockBytes = type.byteSize(type.blockSize());
        for (int fill : new int[] {0xFF, 0x80, 0x7F, 0x00, 0xC0}) {
            byte[] data = new byte[(int) (rows * rowBytes)];
            Arrays.fill(data, (byte) fill);
            for (long b = 0; b < data.length / blockBytes; b++) {
                int at = (int) (b * blockBytes);
                switch (type) {   // the float16 scale fields: 1.0 (Q4_K/Q5_K: d and dmin)
                    case Q6_K -> { data[at + 208] = 0; data[at + 209] = 0x3C; }
                    case Q3_K -> { data[at + 108] = 0; data[at + 109] = 0x3C; }
                    case Q2_K -> { data[at + 80] = 0; data[at + 81] = 0x3C; data[at + 82] = 0; data[at + 83] = 0x3C; }
                    case Q4_K, Q5_K -> { data[at] = 0; data[at + 1] = 0x3C; data[at + 2] = 0; data[at + 3] = 0x3C; }
                    default -> { data[at] = 0; data[at + 1] = 0x3C; }
                }
            }
            var seg = MemorySegment.ofArray(data);
            float[] x = new float[batch * cols];
            for (int i = 0; i < cols; i++) {
                x[i] = 1f;                                // row 0: all +127
                x[cols + i] = (i / 2) % 2 == 0 ? 1f : -1f; // row 1: +-127 in pairs (the lanes a pair sum adds)
            }
            var a = new Q8Activations(Q8Activations.kindFor(type)).quantize(x, batch, cols);
            Q8Kernels.prepare(type, a, batch);
            float[] out = new float[rows];
            for (int b = 0; b < batch; b++) {
                Q8Kernels.dots(type, seg, 0, rowBytes, rows, a, b, out, 0);
                for (int r = 0; r < rows; r++) assertMatchesReference(out[r], type, data, r, cols, a, b);
            }
        }
    }

    /** Quantizing and dequantizing many rows over a pool gives what one thread gives, every array bit for bit. */
    @ParameterizedTest
    @EnumSource(Q8Activations.Kind.class)
    void quantizingOverThePoolMatchesOneThread(Q8Activations.Kind kind) {
        int batch = 37, cols = 512;
        float[] x = DotTest.randomFloats(batch * cols, 77);
        var one = new Q8Activations(kind).quantize(x, batch, cols);
        var many = new Q8Activations(kind).quantize(POOL, x, batch, cols);
        int n = batch * cols;
        assertThat(Arrays.copyOf(many.q, n)).isEqualTo(Arrays.copyOf(one.q, n));
        assertThat(Arrays.copyOf(many.d, n / kind.block)).isEqualTo(Arrays.copyOf(one.d, n / kind.block));
        assertThat(Arrays.copyOf(many.bsum16, n / 16)).isEqualTo(Arrays.copyOf(one.bsum16, n / 16));
        assertThat(Arrays.copyOf(many.bsum32, n / 32)).isEqualTo(Arrays.copyOf(one.bsum32, n / 32));
        assertThat(Arrays.copyOf(many.dsum32, n / 32)).isEqualTo(Arrays.copyOf(one.dsum32, n / 32));
        for (int from : new int[] {0, 5, batch - 1}) {
            float[] a = one.dequantize(new float[0], from), b = many.dequantize(POOL, new float[0], from);
            assertThat(Arrays.copyOfRange(b, from * cols, n)).isEqualTo(Arrays.copyOfRange(a, from * cols, n));
        }
    }

    @Test
    void decodeRowsOfQ4_0TakeTheIntegerPath() {
        var w = new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(RandomBlocks.generate(GgmlType.Q4_0, 2, 64, 1)), 2, 64);
        assertThat(MatMul.hasIntegerPath(w)).isEqualTo(Q8Kernels.AVAILABLE);
    }

    @Test
    void theCommonTypesHaveIntegerKernels() {
        // on this project's targets (AVX2 / AVX-512) the integer path must be on for these
        if (Q8Kernels.AVAILABLE) assertThat(integerTypes()).contains(GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
    }

    @ParameterizedTest
    @EnumSource(Q8Activations.Kind.class)
    void quantizationIsWithinHalfAStepAndSumsAreRight(Q8Activations.Kind kind) {
        int cols = 512, batch = 3;
        float[] x = DotTest.randomFloats(batch * cols, 5);
        x[7] = 0f;
        Arrays.fill(x, 256, 512, 0f); // an all-zero block must quantize to zeros with d = 0
        var a = new Q8Activations(kind).quantize(x, batch, cols);
        for (int b = 0; b < batch; b++) {
            for (int blk = 0; blk < cols / kind.block; blk++) {
                int o = b * cols + blk * kind.block;
                float amax = 0;
                for (int i = 0; i < kind.block; i++) amax = Math.max(amax, Math.abs(x[o + i]));
                float d = a.d[o / kind.block];
                // Q8_0 keeps its scale as a float16 (as llama.cpp's block_q8_0), Q8_K as a float
                float exact = amax / 127f;
                assertThat(d).isEqualTo(kind == Q8Activations.Kind.Q8_0 ? Float.float16ToFloat(Float.floatToFloat16(exact)) : exact);
                for (int i = 0; i < kind.block; i++) {
                    assertThat(Math.abs(a.q[o + i])).isLessThanOrEqualTo(127);
                    assertThat((double) a.value(b, blk * kind.block + i)).isCloseTo(x[o + i], Offset.offset(exact * (0.5 + 127.0 / 2048) * 1.0001 + 1e-12));
                }
            }
            for (int g = 0; g < cols / 16; g++) {
                int s = 0;
                for (int i = 0; i < 16; i++) s += a.q[b * cols + 16 * g + i];
                assertThat(a.bsum16[b * cols / 16 + g]).isEqualTo(s);
            }
        }
        // a second, smaller call reuses the buffers and reports its own shape
        a.quantize(x, 1, 256);
        assertThat(a.batch()).isEqualTo(1);
        assertThat(a.cols()).isEqualTo(256);
    }

    /**
     * Quants are {@code Math.rint(x * 127 / amax)} exactly, ties to even as llama.cpp's AVX rounding: a block
     * with amax 127 has the scale 1, so x = 2.5 must give 2, -3.5 give -4, 0.5 give 0, 126.5 give 126.
     */
    @ParameterizedTest
    @EnumSource(Q8Activations.Kind.class)
    void quantsAreRoundedHalfToEven(Q8Activations.Kind kind) {
        int cols = 256;
        float[] x = DotTest.randomFloats(cols, 9);
        for (int i = 0; i < cols; i++) x[i] *= 60f;   // |x| < 127 but for the ones set below
        x[0] = 127f;
        if (kind == Q8Activations.Kind.Q8_0) for (int b = 32; b < cols; b += 32) x[b] = -127f;   // amax 127 in every block
        float[] ties = {2.5f, -3.5f, 0.5f, -0.5f, 126.5f, -1.5f, 7.5f, 64.5f};
        for (int i = 0; i < ties.length; i++) x[1 + i] = ties[i];
        var a = new Q8Activations(kind).quantize(x, 1, cols);
        // scale 1: the quant is x rounded
        for (int i = 0; i < cols; i++) assertThat(a.q[i]).as("x[%d] = %s", i, x[i]).isEqualTo((short) Math.rint(x[i]));
        assertThat(a.q[1]).isEqualTo((short) 2);
        assertThat(a.q[2]).isEqualTo((short) -4);
        assertThat(a.q[3]).isEqualTo((short) 0);
        assertThat(a.q[5]).isEqualTo((short) 126);
    }

    /**
     * {@code got} against the exact dot of weight row {@code r} of {@code data} (decoded by the independent
     * {@link RefDequant}) with the dequantized activation row {@code b}: only float rounding may differ.
     */
    private static void assertMatchesReference(float got, GgmlType type, byte[] data, int r, int cols, Q8Activations a, int b) {
        double[] wr = RefDequant.decode(type, data, (long) r * cols, cols);
        double s = 0, abs = 0;
        for (int i = 0; i < cols; i++) {
            double t = wr[i] * a.value(b, i);
            s += t;
            abs += Math.abs(t);
        }
        assertThat((double) got).as("%s cols %d row %d batch row %d", type, cols, r, b).isCloseTo(s, Offset.offset(1e-5 * abs + 1e-6));
    }

    /** The integer kernel against the exact dot of the weights with the dequantized activations: only float rounding differs. */
    @ParameterizedTest
    @MethodSource("integerTypes")
    void integerKernelIsExactOnQuantizedActivations(GgmlType type) {
        var kind = Q8Activations.kindFor(type);
        for (int cols : new int[] {256, 768, 4096}) {
            int rows = 3, batch = 2;
            byte[] data = RandomBlocks.generate(type, rows, cols, cols + type.id());
            var seg = MemorySegment.ofArray(data);
            float[] x = DotTest.randomFloats(batch * cols, cols * 3L);
            var a = new Q8Activations(kind).quantize(x, batch, cols);
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < batch; b++) {
                    float got = Q8Kernels.dot(type, seg, type.byteSize((long) r * cols), a, b);
                    assertMatchesReference(got, type, data, r, cols, a, b);
                }
            }
        }
    }

    /**
     * The kernels take rows 16 to a call and sum their lanes together ({@link Dot#sumRows16}): a run of rows that
     * is not a multiple of 16, written at an offset, gives each row bit for bit what a call for that row alone
     * gives, and matches the reference; the floats around the run are left alone.
     */
    @ParameterizedTest
    @MethodSource("integerTypes")
    void runsOfRowsGiveWhatSingleRowsGive(GgmlType type) {
        for (int cols : type == GgmlType.Q4_0 || type == GgmlType.Q8_0 ? new int[] {256, 160} : new int[] {256, 512}) {
            int rows = 37, batch = 2;
            byte[] data = RandomBlocks.generate(type, rows, cols, cols + 31L);
            var seg = MemorySegment.ofArray(data);
            var a = new Q8Activations(Q8Activations.kindFor(type)).quantize(DotTest.randomFloats(batch * cols, cols * 7L), batch, cols);
            Q8Kernels.prepare(type, a, batch);
            for (int b = 0; b < batch; b++) {
                float[] run = new float[rows + 10], single = new float[1];
                java.util.Arrays.fill(run, -7f);
                Q8Kernels.dots(type, seg, 0, type.byteSize(cols), rows, a, b, run, 5);
                for (int r = 0; r < rows; r++) {
                    Q8Kernels.dots(type, seg, type.byteSize((long) r * cols), 0, 1, a, b, single, 0);
                    assertThat(Float.floatToRawIntBits(run[5 + r])).as("%s cols %d row %d", type, cols, r).isEqualTo(Float.floatToRawIntBits(single[0]));
                    assertMatchesReference(run[5 + r], type, data, r, cols, a, b);
                }
                for (int i : new int[] {0, 4, rows + 5, rows + 9}) assertThat(run[i]).isEqualTo(-7f);
            }
        }
    }

    /**
     * Q4_0 and Q8_0 rows whose blocks do not fill the kernels' steps: on 512-bit vectors Q8_0 takes blocks
     * in pairs and Q4_0 in fours, and the last 1-3 blocks of such a row (and, for a second activation row,
     * the steps themselves) start at odd block positions of the activations.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void rowsOfAnOddNumberOfBlocksAreExact(GgmlType type) {
        for (int cols : new int[] {32, 96, 160, 192, 224, 2080}) {
            int rows = 3, batch = 3;
            byte[] data = RandomBlocks.generate(type, rows, cols, cols + 7L);
            var seg = MemorySegment.ofArray(data);
            float[] x = DotTest.randomFloats(batch * cols, cols * 5L);
            var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(x, batch, cols);
            a.prepareQ4_0(batch);
            float[] out = new float[rows];
            for (int b = 0; b < batch; b++) {
                Q8Kernels.dots(type, seg, 0, type.byteSize(cols), rows, a, b, out, 0);
                for (int r = 0; r < rows; r++) assertMatchesReference(out[r], type, data, r, cols, a, b);
            }
        }
    }

    /**
     * Q4_0 rows interleaved four at a time give each row's bits of the row-major kernel: runs of quads from any
     * quad, rows of one to three groups and of many (2,048 columns), two activation rows.
     */
    @Test
    void interleavedQ4_0RowsGiveTheRowMajorKernelsBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Q8Kernels.WIDE, "the interleaved Q4_0 layout needs 512-bit vectors");
        for (int cols : new int[] {128, 384, 2048, 2176, 4736}) {
            int rows = 140, batch = 2;
            byte[] data = RandomBlocks.generate(GgmlType.Q4_0, rows, cols, cols + 3L);
            var seg = MemorySegment.ofArray(data);
            var x4 = new Matrix("w", GgmlType.Q4_0, seg, rows, cols).interleave(bytes -> MemorySegment.ofArray(new byte[(int) bytes])).data();
            var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(DotTest.randomFloats(batch * cols, cols * 3L), batch, cols);
            a.prepareQ4_0(batch);
            for (int b = 0; b < batch; b++) {
                float[] expected = new float[rows];
                Q8Kernels.dots(GgmlType.Q4_0, seg, 0, GgmlType.Q4_0.byteSize(cols), rows, a, b, expected, 0);
                for (int first = 0; first < rows; first += 7) {
                    int n = Math.min(rows - first, 1 + first % 37);
                    float[] got = new float[n + 2];
                    java.util.Arrays.fill(got, -7f);
                    Q8Kernels.q4_0x4(x4, rows, first, n, cols, a, b, got, 1);
                    for (int r = 0; r < n; r++) {
                        assertThat(Float.floatToRawIntBits(got[1 + r])).as("cols %d row %d", cols, first + r).isEqualTo(Float.floatToRawIntBits(expected[first + r]));
                    }
                    assertThat(got[0]).isEqualTo(-7f);
                    assertThat(got[n + 1]).isEqualTo(-7f);
                }
            }
            // activation rows not in the Q4_0 order: refused, as by the row-major kernel
            assertThatThrownBy(() -> Q8Kernels.q4_0x4(x4, rows, 0, 4, cols, a, batch, new float[4], 0))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("call Q8Kernels.prepare first");
        }
        // a matrix that cannot take the layout is not labelled with it
        var odd = MemorySegment.ofArray(RandomBlocks.generate(GgmlType.Q4_0, 6, 128, 5));
        assertThatThrownBy(() -> new Matrix("w", GgmlType.Q4_0, odd, 6, 128, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("6x128 Q4_0 matrix cannot be interleaved");
        assertThat(new Matrix("w", GgmlType.Q4_0, odd, 6, 128).interleave(bytes -> { throw new AssertionError("copied"); }).interleaved()).isFalse();
    }

    /**
     * The interleaved Q4_0 layout (groups in pairs, {@link Matrix#pairQuants}): every row's group of quants is one whole
     * 64-byte line of the copy, a group's scales are half a line before its quants, and the quants and scales of all
     * blocks take distinct bytes of it, with no more than 32 bytes of padding per quad; odd group counts (a slice's
     * last group alone) included.
     */
    @Test
    void interleavedQ4_0QuantsFillWholeLines() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Q8Kernels.WIDE, "the interleaved Q4_0 layout needs 512-bit vectors");
        for (int cols : new int[] {128, 384, 2048, 2176, 4736}) {
            int rows = 8, blocks = cols / 32;
            var file = new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(RandomBlocks.generate(GgmlType.Q4_0, rows, cols, 11)), rows, cols);
            long bytes = file.interleave(n -> MemorySegment.ofArray(new byte[(int) n])).data().byteSize();
            assertThat(bytes).as("cols %d", cols).isBetween(rows * GgmlType.Q4_0.byteSize(cols), rows * GgmlType.Q4_0.byteSize(cols) + rows / 4 * 32);
            int[] owner = new int[(int) bytes];
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < blocks; b++) {
                    long q = Matrix.interleavedQuants(rows, cols, r, b), d = Matrix.interleavedScale(rows, cols, r, b);
                    if (b % 4 == 0) assertThat(q % 64).as("cols %d row %d group %d", cols, r, b / 4).isZero();
                    if (b % 4 == 0 && r % 4 == 0) assertThat(d % 32).as("scales of cols %d row %d group %d", cols, r, b / 4).isZero();
                    assertThat(d).as("scale before quants").isLessThan(q);
                    for (long i = q; i < q + 16; i++) owner[(int) i]++;
                    owner[(int) d]++;
                    owner[(int) d + 1]++;
                }
            }
            for (int i = 0; i < bytes; i++) assertThat(owner[i]).as("cols %d byte %d", cols, i).isLessThanOrEqualTo(1);
        }
    }

    /**
     * {@code copy}, a decode layout of {@code file} ({@link Matrix#interleave}), decodes to the file's values bit for bit:
     * row by row against the reference decoder ({@code -0} and {@code +0} taken as one where {@code eitherZero}), and
     * in blocks of rows against the batched path's decoder.
     */
    private static void assertDecodesAsTheFile(Matrix file, Matrix copy, String what, boolean eitherZero) {
        final int rows = file.rows(), cols = file.cols();
        float[] want = new float[cols], got = new float[cols + 3];
        float[] wantRows = new float[rows * cols], gotRows = new float[rows * cols];
        file.decodeRows(0, rows, wantRows);
        copy.decodeRows(0, rows, gotRows);
        final float zero = eitherZero ? 0f : -0f;   // x + 0f turns -0 into +0; x + -0f leaves every value as it is
        for (int r = 0; r < rows; r++) {
            file.row(r, want, 0);
            copy.row(r, got, 3);
            for (int i = 0; i < cols; i++) {
                assertThat(Float.floatToRawIntBits(got[3 + i] + zero)).as("%s cols %d row %d value %d", what, cols, r, i).isEqualTo(Float.floatToRawIntBits(want[i] + zero));
                assertThat(Float.floatToRawIntBits(gotRows[r * cols + i])).as("block decode, row %d value %d", r, i).isEqualTo(Float.floatToRawIntBits(wantRows[r * cols + i]));
            }
        }
    }

    /** Three activation rows that quantize to +-127 everywhere: all +1, all -1, and +-1 in runs of four. */
    private static float[] extremeRows(int cols) {
        float[] x = new float[3 * cols];
        for (int i = 0; i < cols; i++) { x[i] = 1f; x[cols + i] = -1f; x[2 * cols + i] = (i / 4) % 2 == 0 ? 1f : -1f; }
        return x;
    }

    /**
     * Q8_0 matrices in groups ({@link Matrix#interleaved}): decoded rows are the file's values bit for bit, and the
     * grouped kernel gives the file kernel's bits ({@code q8_0Wide}: the same operations per block), in runs of rows
     * and alone, with random blocks, with every quant at -128, 127 and -64 against activations of +-127 (pair sums of
     * 32,512), and with scales of every kind of float16 (zero, subnormal, largest); rows of whole groups of 16 blocks,
     * of a group and a tail (1, 3, 8 and 14 blocks), and of a tail only (5 blocks; and 8, 12 and 15, the short-row
     * kernel's).
     */
    @Test
    void q8_0InGroupsGivesTheFileKernelsBits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Q8Kernels.WIDE, "the Q8_0 groups need 512-bit vectors");
        var type = GgmlType.Q8_0;
        short[] scales = {0x3C00, 0x0001, 0x03FF, 0x0400, 0x7BFF, (short) 0x8000, (short) 0xBC00, 0x2E66};
        for (int cols : new int[] {160, 256, 384, 480, 544, 768, 1472, 2048, 4192, 6688}) {
            int rows = 133, batch = 3;
            for (int fill : new int[] {-1, 0x80, 0x7F, 0xC0}) {
                byte[] data = fill < 0 ? RandomBlocks.generate(type, rows, cols, cols + 17L) : new byte[(int) type.byteSize((long) rows * cols)];
                if (fill >= 0) {
                    Arrays.fill(data, (byte) fill);
                    for (int at = 0, k = 0; at < data.length; at += 34, k++) {
                        data[at] = (byte) scales[k % scales.length];
                        data[at + 1] = (byte) (scales[k % scales.length] >> 8);
                    }
                }
                var file = new Matrix("w", type, MemorySegment.ofArray(data), rows, cols);
                var grouped = file.interleave(bytes -> MemorySegment.ofArray(new byte[(int) bytes]));
                assertThat(grouped.interleaved()).isTrue();
                assertThat(grouped.rowBytes()).isEqualTo(file.rowBytes());
                assertDecodesAsTheFile(file, grouped, "fill " + fill, false);
                float[] x = fill < 0 ? DotTest.randomFloats(batch * cols, cols * 7L) : extremeRows(cols);
                var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(x, batch, cols);
                for (int b = 0; b < batch; b++) {
                    float[] run = new float[rows + 2], fileRun = new float[rows], single = new float[1];
                    Arrays.fill(run, -7f);
                    Q8Kernels.q8_0Groups(grouped.data(), rows, 0, rows, a, b, run, 1);
                    Q8Kernels.dots(type, file.data(), 0, file.rowBytes(), rows, a, b, fileRun, 0);
                    assertThat(run[0]).isEqualTo(-7f);
                    assertThat(run[rows + 1]).isEqualTo(-7f);
                    for (int r = 0; r < rows; r++) {
                        Q8Kernels.q8_0Groups(grouped.data(), rows, r, 1, a, b, single, 0);
                        assertThat(Float.floatToRawIntBits(run[1 + r])).as("fill %d cols %d row %d alone", fill, cols, r).isEqualTo(Float.floatToRawIntBits(single[0]));
                        assertThat(Float.floatToRawIntBits(run[1 + r])).as("fill %d cols %d row %d, file kernel", fill, cols, r).isEqualTo(Float.floatToRawIntBits(fileRun[r]));
                        if (fill < 0) assertMatchesReference(run[1 + r], type, data, r, cols, a, b);
                    }
                }
            }
        }
    }

    /**
     * Q4_K, Q5_K and Q6_K matrices in the sub-block layout ({@link Matrix#interleaved}): decoded rows are the file's
     * values bit for bit (the reference decoder and the batched path's), and the decode kernel is exact up to float
     * rounding, in runs of rows of any length and alone, with random blocks and with every quant and scale (and the
     * mins) at the ends of their ranges against activations of +-127 (lane sums of 15,240, 31,496 and 32,512, pair
     * sums of twice that).
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void kQuantsInSubBlocksDecodeToTheFilesValuesAndDotExactly(GgmlType type) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Q8Kernels.WIDE, "the sub-block layouts need 512-bit vectors");
        int blockBytes = (int) type.byteSize(256);
        for (int cols : new int[] {256, 512, 4096, 4352}) {
            int rows = 133, batch = 3;
            for (int fill : new int[] {-1, 0xFF, 0x00, 0xC0}) {
                byte[] data = fill < 0 ? RandomBlocks.generate(type, rows, cols, cols + 13L) : new byte[(int) type.byteSize((long) rows * cols)];
                if (fill >= 0) {
                    Arrays.fill(data, (byte) fill);
                    for (int at = 0; at < data.length; at += blockBytes) {
                        if (type != GgmlType.Q6_K) {
                            data[at] = 0; data[at + 1] = 0x3C; data[at + 2] = 0; data[at + 3] = 0x3C;   // d = dmin = 1
                        } else {
                            // scales 127 (quants all 31), -128 (all -32), 64 (0xC0: a mix)
                            Arrays.fill(data, at + 192, at + 208, (byte) (fill ^ 0x80));
                            data[at + 208] = 0; data[at + 209] = 0x3C;   // d = 1
                        }
                    }
                }
                var file = new Matrix("w", type, MemorySegment.ofArray(data), rows, cols);
                var split = file.interleave(bytes -> MemorySegment.ofArray(new byte[(int) bytes]));
                assertThat(split.interleaved()).isTrue();
                assertThat(split.rowBytes()).isEqualTo((type == GgmlType.Q4_K ? 148L : type == GgmlType.Q5_K ? 180L : 210L) * cols / 256);
                // for Q6_K values of 0 the reference gives (d * scale) * 0, -0 where the scale is negative, and the
                // vector decoders' fma +0
                assertDecodesAsTheFile(file, split, "fill " + fill, type == GgmlType.Q6_K);
                float[] x = fill < 0 ? DotTest.randomFloats(batch * cols, cols * 5L) : extremeRows(cols);
                var a = new Q8Activations(Q8Activations.Kind.Q8_K).quantize(x, batch, cols);
                Q8Kernels.prepare(split, a, batch);
                for (int b = 0; b < batch; b++) {
                    float[] run = new float[rows + 2], single = new float[1];
                    Arrays.fill(run, -7f);
                    Q8Kernels.layoutDots(split, 0, rows, a, b, run, 1);
                    assertThat(run[0]).isEqualTo(-7f);
                    assertThat(run[rows + 1]).isEqualTo(-7f);
                    for (int r = 0; r < rows; r++) {
                        Q8Kernels.layoutDots(split, r, 1, a, b, single, 0);
                        assertThat(Float.floatToRawIntBits(run[1 + r])).as("fill %d cols %d row %d", fill, cols, r).isEqualTo(Float.floatToRawIntBits(single[0]));
                        assertMatchesReference(run[1 + r], type, data, r, cols, a, b);
                    }
                }
                // activation rows not in the sub-block order: refused
                var fresh = new Q8Activations(Q8Activations.Kind.Q8_K).quantize(x, batch, cols);
                Q8Kernels.prepare(type, fresh, batch);   // the file layout's order only
                assertThatThrownBy(() -> Q8Kernels.layoutDots(split, 0, 1, fresh, 0, new float[1], 0))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("call Q8Kernels.prepare first");
            }
        }
    }

    /**
     * The 512-bit Q4_0 kernel turns the f16 scales into floats on the vector with bit operations: every kind
     * of finite f16 (zero of both signs, subnormals, the smallest and largest normals, negatives) must give
     * the scale that {@link Float#float16ToFloat} gives. A row of 8 blocks (two 4-block steps) per scale.
     */
    @Test
    void q4_0ScalesOfEveryKindOfFiniteF16AreExact() {
        short[] scales = {0x0000, (short) 0x8000, 0x0001, (short) 0x83FF, 0x0400, (short) 0x8400, 0x3C00, (short) 0xB555, 0x7BFF, (short) 0xFBFF};
        int cols = 256, blocks = cols / 32;
        var rnd = new java.util.Random(11);
        float[] x = DotTest.randomFloats(cols, 12);
        var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(x, 1, cols);
        a.prepareQ4_0(1);
        for (short scale : scales) {
            byte[] data = new byte[18 * blocks];
            for (int b = 0; b < blocks; b++) {
                data[18 * b] = (byte) scale;
                data[18 * b + 1] = (byte) (scale >> 8);
                for (int i = 2; i < 18; i++) data[18 * b + i] = (byte) rnd.nextInt(256);
            }
            float d = Float.float16ToFloat(scale);
            double s = 0, abs = 0;
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < 32; i++) {
                    int n = i < 16 ? data[18 * b + 2 + i] & 0x0F : (data[18 * b + 2 + i - 16] & 0xFF) >> 4;
                    double term = (double) d * (n - 8) * a.value(0, 32 * b + i);
                    s += term;
                    abs += Math.abs(term);
                }
            }
            float[] out = new float[1];
            Q8Kernels.dots(GgmlType.Q4_0, MemorySegment.ofArray(data), 0, 18L * blocks, 1, a, 0, out, 0);
            assertThat((double) out[0]).as("scale %s (0x%04x)", d, scale & 0xFFFF).isCloseTo(s, Offset.offset(1e-5 * abs));
        }
    }

    /**
     * The reordered activations are sized by the rows prepared: preparing more rows later (a bigger decode
     * batch, or more rows of the same one) grows them and makes every row again, so all rows stay right.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void preparingMoreRowsLaterKeepsEveryRowRight(GgmlType type) {
        int cols = 512, rows = 2;
        byte[] data = RandomBlocks.generate(type, rows, cols, 21);
        var seg = MemorySegment.ofArray(data);
        var a = new Q8Activations(Q8Activations.kindFor(type)).quantize(DotTest.randomFloats(cols, 22), 1, cols);
        Q8Kernels.prepare(type, a, 1);
        a.quantize(DotTest.randomFloats(3 * cols, 23), 3, cols);
        Q8Kernels.prepare(type, a, 1);
        Q8Kernels.prepare(type, a, 3);
        float[] out = new float[rows];
        for (int b = 0; b < 3; b++) {
            Q8Kernels.dots(type, seg, 0, type.byteSize(cols), rows, a, b, out, 0);
            for (int r = 0; r < rows; r++) assertMatchesReference(out[r], type, data, r, cols, a, b);
        }
    }

    /** The 512-bit Q4_0, Q4_K, Q5_K and Q6_K kernels (file layouts) read activations in their own order; without it, a clear error instead of wrong sums. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void fourBitKernelsRefuseActivationsNotInTheirOrder(GgmlType type) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Q8Kernels.WIDE, "the 4-bit order exists on 512-bit vectors only");
        int cols = 256;
        var seg = MemorySegment.ofArray(RandomBlocks.generate(type, 1, cols, 1));
        var a = new Q8Activations(Q8Activations.kindFor(type)).quantize(DotTest.randomFloats(2 * cols, 2), 2, cols);
        Q8Kernels.prepare(type, a, 1);
        float[] out = new float[1];
        Q8Kernels.dots(type, seg, 0, 0, 1, a, 0, out, 0);
        assertThatThrownBy(() -> Q8Kernels.dots(type, seg, 0, 0, 1, a, 1, out, 0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("call Q8Kernels.prepare first");
        // more rows than were quantized: refused, with what was asked and what there is
        assertThatThrownBy(() -> Q8Kernels.prepare(type, a, 3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3 rows, only 2 quantized");
        // a new quantize forgets the order of the previous rows
        a.quantize(DotTest.randomFloats(cols, 3), 1, cols);
        assertThatThrownBy(() -> Q8Kernels.dots(type, seg, 0, 0, 1, a, 0, out, 0)).isInstanceOf(IllegalStateException.class);
    }

    /** Quants are x * 127 / max|x| rounded half to even, as Math.rint (llama.cpp's AVX2 rounding). */
    @Test
    void activationQuantsRoundHalfToEven() {
        // max 127: the quants are the values themselves, rounded; halves go to the even neighbour
        float[] x = new float[32];
        float[] halves = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -126.5f, 3.4999998f, 127f};
        System.arraycopy(halves, 0, x, 0, halves.length);
        var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(x, 1, 32);
        int[] expected = {0, 2, 2, 0, -2, -2, 126, -126, 3, 127};
        for (int i = 0; i < expected.length; i++) assertThat((int) a.q[i]).as("x = %s", x[i]).isEqualTo(expected[i]);
        // random rows of both kinds: every quant is Math.rint(x * 127 / max|x|) of its block
        var rnd = new java.util.Random(3);
        for (var kind : Q8Activations.Kind.values()) {
            float[] y = new float[4 * 256];
            for (int i = 0; i < y.length; i++) y[i] = (float) rnd.nextGaussian() * (1 + i % 7);
            var q = new Q8Activations(kind).quantize(y, 4, 256);
            for (int b = 0; b < y.length / kind.block(); b++) {
                float amax = 0;
                for (int i = 0; i < kind.block(); i++) amax = Math.max(amax, Math.abs(y[b * kind.block() + i]));
                float inv = 127f / amax;
                for (int i = b * kind.block(); i < (b + 1) * kind.block(); i++) {
                    assertThat((int) q.q[i]).as("%s value %d", kind, i).isEqualTo((int) Math.rint(y[i] * inv));
                }
            }
        }
    }

    /**
     * What 8-bit activations may cost on one output: each activation moves by at most half its
     * block's step, so |error| <= sum_i |w_i| * d_x(i) / 2 (plus float rounding).
     */
    static double activationErrorBound(double[] w, float[] x, int xOff, int cols, int block) {
        double bound = 0;
        for (int o = 0; o < cols; o += block) {
            float amax = 0;
            for (int i = 0; i < block; i++) amax = Math.max(amax, Math.abs(x[xOff + o + i]));
            double sw = 0;
            for (int i = 0; i < block; i++) sw += Math.abs(w[o + i]);
            // rounding to d/2, plus (Q8_0) the float16 rounding of d: |q| <= 127 times |d - half(d)| <= d * 2^-11
            bound += sw * amax / 127.0 * (0.5 + (block == 32 ? 127.0 / 2048 : 0));
        }
        return bound;
    }

    /**
     * Checks integer-path outputs against the double reference: error within the activation bound
     * (times 1.001) plus {@link DotTest#REL_TOL} of sum|w*x|; also within 1e-2 relative of sum|w*x|,
     * llama.cpp's usual tolerance for 8-bit activations.
     */
    static void checkIntegerResult(GgmlType type, byte[] data, int rows, int cols, int batch, float[] x, float[] out, String what) {
        int block = Q8Activations.kindFor(type).block;
        for (int r = 0; r < rows; r++) {
            double[] wr = RefDequant.decode(type, data, (long) r * cols, cols);
            for (int b = 0; b < batch; b++) {
                double s = 0, abs = 0;
                for (int i = 0; i < cols; i++) {
                    s += wr[i] * x[b * cols + i];
                    abs += Math.abs(wr[i] * x[b * cols + i]);
                }
                double bound = activationErrorBound(wr, x, b * cols, cols, block) * 1.001 + DotTest.REL_TOL * abs + 1e-6;
                double got = out[b * rows + r];
                assertThat(got).as("%s %s %dx%d batch %d: out[%d][%d]", what, type, rows, cols, batch, b, r)
                        .isCloseTo(s, Offset.offset(bound))
                        .isCloseTo(s, Offset.offset(1e-2 * abs + 1e-6));
            }
        }
    }

    /** The integer path (any batch, through pre-quantized activations) against the float path: within 1e-2 of sum|w*x| per output. */
    @ParameterizedTest
    @MethodSource("integerTypes")
    void integerMatmulAgreesWithFloatPath(GgmlType type) {
        int cols = 1024;
        for (int rows : new int[] {1, 5, 33}) {
            byte[] data = RandomBlocks.generate(type, rows, cols, 77L * rows + type.id());
            var w = new Matrix("w", type, MemorySegment.ofArray(data), rows, cols);
            for (int batch : new int[] {1, 3, 7, 9}) {
                float[] x = DotTest.randomFloats(batch * cols, 11L * batch);
                float[] out = new float[batch * rows];
                MatMul.matmul(POOL, w, new Q8Activations(Q8Activations.kindFor(type)).quantize(x, batch, cols), out);
                checkIntegerResult(type, data, rows, cols, batch, x, out, "integer matmul");
                float[] ref = new float[batch * rows];
                MatMul.matmulFloat(POOL, w, x, ref, batch);
                for (int r = 0; r < rows; r++) {
                    double[] wr = RefDequant.decode(type, data, (long) r * cols, cols);
                    for (int b = 0; b < batch; b++) {
                        double abs = 0;
                        for (int i = 0; i < cols; i++) abs += Math.abs(wr[i] * x[b * cols + i]);
                        assertThat((double) out[b * rows + r]).as("%s %dx%d batch %d: integer vs float path at [%d][%d]", type, rows, cols, batch, b, r)
                                .isCloseTo(ref[b * rows + r], Offset.offset(1e-2 * abs));
                    }
                }
            }
        }
    }

    @Test
    void wrongActivationKindIsRejected() {
        byte[] data = RandomBlocks.generate(GgmlType.Q4_K, 2, 256, 1);
        var w = new Matrix("blk.3.attn_q", GgmlType.Q4_K, MemorySegment.ofArray(data), 2, 256);
        var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(new float[256], 1, 256);
        if (MatMul.hasIntegerPath(w)) {
            assertThatThrownBy(() -> MatMul.matmul(POOL, w, a, new float[2]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blk.3.attn_q").hasMessageContaining("Q8_K");
        }
        assertThatThrownBy(() -> new Q8Activations(Q8Activations.Kind.Q8_K).quantize(new float[100], 1, 100))
                .hasMessageContaining("multiple of 256");
    }
}
