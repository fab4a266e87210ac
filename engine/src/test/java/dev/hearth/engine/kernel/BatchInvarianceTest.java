package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batch invariance: a row's output must be bit-identical whether it is multiplied alone or among
 * other rows, at any position of a batch of any size (the server's guarantee that a request's greedy
 * output does not depend on the requests sharing its batch).
 */
class BatchInvarianceTest {
    static final Parallel POOL = new Parallel(3);
    static final Parallel SINGLE = new Parallel(1);
    static final int MAX_BATCH = 19;

    @AfterAll
    static void close() {
        POOL.close();
        SINGLE.close();
    }

    static GgmlType[] supportedTypes() {
        return QuantTest.supportedTypes();
    }

    interface Mul {
        void run(Parallel pool, Matrix w, float[] x, float[] out, int batch);
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void decodeRowsAreBatchInvariant(GgmlType type) {
        check(type, smallCols(type), MatMul::matmul, "matmul, decode rows");
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void promptRowsAreBatchInvariant(GgmlType type) {
        check(type, smallCols(type), (pool, w, x, out, batch) -> MatMul.matmul(pool, w, x, out, batch, 0), "matmul, prompt rows");
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void floatPathIsBatchInvariant(GgmlType type) {
        check(type, smallCols(type), MatMul::matmulFloat, "matmulFloat");
    }

    /**
     * Rows long enough that weight rows are decoded in blocks of 2 and activation rows go in chunks of
     * a few: the block and chunk edges fall inside the batch and must not change any result.
     */
    @ParameterizedTest
    @MethodSource("supportedTypes")
    void blockAndChunkEdgesDoNotChangeResults(GgmlType type) {
        int cols = type.quantized() ? 8192 : 8192 + 3;
        check(type, cols, (pool, w, x, out, batch) -> MatMul.matmul(pool, w, x, out, batch, 0), "matmul, prompt rows, long rows");
        check(type, cols, MatMul::matmul, "matmul, decode rows, long rows");
    }

    /**
     * A batch mixing both kinds (decode rows first, as the model orders them): each row equals the same
     * row computed alone as its kind.
     */
    @ParameterizedTest
    @MethodSource("supportedTypes")
    void mixedBatchesGiveEachRowItsKindsResult(GgmlType type) {
        int rows = 13, cols = smallCols(type);
        var w = new Matrix("w", type, MemorySegment.ofArray(RandomBlocks.generate(type, rows, cols, 3L * type.id() + 5)), rows, cols);
        float[] xs = DotTest.randomFloats(MAX_BATCH * cols, type.id() + 17);
        float[][] asDecode = new float[MAX_BATCH][rows], asPrompt = new float[MAX_BATCH][rows];
        for (int j = 0; j < MAX_BATCH; j++) {
            float[] x = java.util.Arrays.copyOfRange(xs, j * cols, (j + 1) * cols);
            MatMul.matmul(SINGLE, w, x, asDecode[j], 1, 1);
            MatMul.matmul(SINGLE, w, x, asPrompt[j], 1, 0);
        }
        for (Parallel pool : new Parallel[] {POOL, SINGLE}) {
            for (int decodeRows = 0; decodeRows <= MAX_BATCH; decodeRows += 3) {
                float[] out = new float[MAX_BATCH * rows];
                MatMul.matmul(pool, w, xs, out, MAX_BATCH, decodeRows);
                for (int b = 0; b < MAX_BATCH; b++) {
                    float[] expected = b < decodeRows ? asDecode[b] : asPrompt[b];
                    for (int r = 0; r < rows; r++) {
                        assertThat(out[b * rows + r]).as("%s: row %d of a batch with %d decode rows, output %d (%d threads)",
                                type, b, decodeRows, r, pool.threads()).isEqualTo(expected[r]);
                    }
                }
            }
        }
    }

    /**
     * Prompt rows in batches of 1 to 11 panels (one vector's worth of rows each), taken as tiles of 4 and 3 panels with
     * one or two panels over for 1, 2 and 5 panels ({@link Tiles#tilePanels}; those take tiles of eight weight rows, and
     * of four for the 13th), and ending on or inside a panel; rows past one column slice ({@link Tiles#K_SLICE}) and not
     * a whole number of chains ({@link Tiles#K_CHAIN}): each row as computed alone.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"F32", "Q8_0", "Q4_K"})
    void promptRowsInPanelTilesMatchRowsAlone(String name) {
        GgmlType type = GgmlType.valueOf(name);
        int rows = 13, cols = type.quantized() ? Tiles.K_SLICE + 2 * 256 : Tiles.K_SLICE + 37, lanes = Dot.L;
        var w = new Matrix("w", type, MemorySegment.ofArray(RandomBlocks.generate(type, rows, cols, 11L * type.id())), rows, cols);
        promptRowsMatchRowsAlone(w, new int[] {lanes - 3, lanes + 1, 2 * lanes, 3 * lanes, 3 * lanes + 1, 5 * lanes - 2, 6 * lanes, 7 * lanes + 3,
                9 * lanes, 10 * lanes - 5, 11 * lanes + 3}, 2, 23L + type.id(), POOL, SINGLE);
    }

    /**
     * Batches of each size in {@code batches} (the last the largest), with 0 and {@code decodeRows} decode rows first:
     * every prompt row's outputs equal the same row computed alone as a prompt row.
     */
    static void promptRowsMatchRowsAlone(Matrix w, int[] batches, int decodeRows, long seed, Parallel pool, Parallel single) {
        int rows = w.rows(), cols = w.cols(), maxBatch = batches[batches.length - 1];
        float[] xs = DotTest.randomFloats(maxBatch * cols, seed);
        float[][] alone = new float[maxBatch][rows];
        for (int j = 0; j < maxBatch; j++) {
            MatMul.matmul(single, w, java.util.Arrays.copyOfRange(xs, j * cols, (j + 1) * cols), alone[j], 1, 0);
        }
        for (int batch : batches) {
            for (int d : new int[] {0, decodeRows}) {
                float[] out = new float[batch * rows];
                MatMul.matmul(pool, w, java.util.Arrays.copyOf(xs, batch * cols), out, batch, d);
                for (int b = d; b < batch; b++) {
                    for (int r = 0; r < rows; r++) {
                        assertThat(out[b * rows + r]).as("%s: prompt row %d of %d (%d decode rows), output %d", w.type(), b, batch, d, r)
                                .isEqualTo(alone[b][r]);
                    }
                }
            }
        }
    }

    /** Two blocks of a quantized type; F32-like types a length that is not a multiple of the vector length. */
    private static int smallCols(GgmlType type) {
        return type.quantized() ? 2 * type.blockSize() : 37;
    }

    private static void check(GgmlType type, int cols, Mul mul, String what) {
        // odd row count: both 2-row tiles and the 1-row remainder
        int rows = 13;
        byte[] data = RandomBlocks.generate(type, rows, cols, 7L * type.id() + 1);
        var w = new Matrix("w", type, MemorySegment.ofArray(data), rows, cols);
        float[] xs = DotTest.randomFloats(MAX_BATCH * cols, type.id());
        // each activation row alone
        float[][] alone = new float[MAX_BATCH][rows];
        for (int j = 0; j < MAX_BATCH; j++) {
            float[] x = java.util.Arrays.copyOfRange(xs, j * cols, (j + 1) * cols);
            mul.run(SINGLE, w, x, alone[j], 1);
        }
        for (Parallel pool : new Parallel[] {POOL, SINGLE}) {
            for (int batch = 1; batch <= MAX_BATCH; batch++) {
                // rotate which rows sit where, so each row is seen at many positions
                for (int shift : new int[] {0, batch}) {
                    float[] x = new float[batch * cols];
                    for (int b = 0; b < batch; b++) System.arraycopy(xs, ((b + shift) % MAX_BATCH) * cols, x, b * cols, cols);
                    float[] out = new float[batch * rows];
                    mul.run(pool, w, x, out, batch);
                    for (int b = 0; b < batch; b++) {
                        int j = (b + shift) % MAX_BATCH;
                        for (int r = 0; r < rows; r++) {
                            assertThat(out[b * rows + r]).as("%s %s: row %d at position %d of batch %d, output %d (%d threads)",
                                    what, type, j, b, batch, r, pool.threads()).isEqualTo(alone[j][r]);
                        }
                    }
                }
            }
        }
    }
}
