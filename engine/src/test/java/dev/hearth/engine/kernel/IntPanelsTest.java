package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prompt rows times Q4_0 weights in integer panel tiles ({@link IntPanels}): every output is the exact integer sum of
 * each block, scaled as {@code acc = (sum * d_w) * d_x + acc} block after block, whatever the batch, its decode rows,
 * the tile (weight rows x panels: 4 x 4, 4 x 2, 8 x 1, 4 x 1), the weight layout and the threads.
 */
class IntPanelsTest {
    static final Parallel POOL = new Parallel(3);
    static final Parallel SINGLE = new Parallel(1);
    static final int P = IntPanels.P;

    @BeforeAll
    static void needs512BitVectors() {
        Assumptions.assumeTrue(IntPanels.supports(new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(new byte[18]), 1, 32)),
                "the integer panel tiles need 512-bit vectors");
    }

    @AfterAll
    static void close() {
        POOL.close();
        SINGLE.close();
    }

    /**
     * The expected output of weight row r and activation row b: the Q4_0 quants minus 8 times the 8-bit activation
     * quants of each block, summed exactly, then scaled in the kernel's order of float operations.
     */
    private static float expected(byte[] w, int cols, int r, Q8Activations a, int b) {
        int blocks = cols / 32;
        float acc = 0f;
        for (int c = 0; c < blocks; c++) {
            int p = (r * blocks + c) * 18;
            float dw = Float.float16ToFloat((short) ((w[p] & 0xFF) | (w[p + 1] << 8)));
            int sum = 0;
            for (int j = 0; j < 16; j++) {
                int q = w[p + 2 + j] & 0xFF;
                sum += ((q & 0x0F) - 8) * a.q[b * cols + 32 * c + j];
                sum += ((q >> 4) - 8) * a.q[b * cols + 32 * c + 16 + j];
            }
            float dx = a.d[b * blocks + c];
            acc = Math.fma(sum * dw, dx, acc);
        }
        return acc;
    }

    /**
     * Batches that fill whole 4-panel tiles, leave one to three panels over, have one to three panels in all, and end
     * inside a panel; 13 weight rows (a partial quad of rows, and on one thread two pairs of quads and a quad over); rows
     * of 8 blocks: each prompt row's outputs are the exact block sums, scaled.
     */
    @Test
    void promptRowsAreTheScaledExactBlockSums() {
        int rows = 13, cols = 256;
        byte[] data = RandomBlocks.generate(GgmlType.Q4_0, rows, cols, 41);
        var w = new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(data), rows, cols);
        int[][] shapes = {{4 * P, 0}, {4 * P + 1, 0}, {5 * P + 7, 3}, {9 * P + 3, 2}, {1, 0}, {P + 2, 1}, {3 * P - 5, 0}, {7 * P, 2}};
        for (int[] shape : shapes) for (Parallel pool : new Parallel[] {SINGLE, POOL}) {
            int batch = shape[0], decodeRows = shape[1];
            float[] x = DotTest.randomFloats(batch * cols, batch);
            float[] out = new float[batch * rows];
            MatMul.matmul(pool, w, x, out, batch, decodeRows);
            var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(x, batch, cols);
            for (int b = decodeRows; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                    assertThat(out[b * rows + r]).as("batch %d (%d decode rows, %d threads): prompt row %d, output %d", batch, decodeRows, pool.threads(), b, r)
                            .isEqualTo(expected(data, cols, r, a, b));
                }
            }
        }
    }

    /**
     * The extreme block: every weight quant 0 (value -8) and every activation at the scale's maximum, so that each
     * product is 8 * 127 and a block's sum -32512, the largest a 16-bit lane holds here.
     */
    @Test
    void theLargestBlockSumsStayExact() {
        int rows = 4, cols = 64, batch = 4 * P + 1;
        byte[] data = new byte[rows * cols / 32 * 18];
        for (int p = 0; p < data.length; p += 18) {
            short one = Float.floatToFloat16(1f);
            data[p] = (byte) one;
            data[p + 1] = (byte) (one >> 8);
        }
        var w = new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(data), rows, cols);
        float[] x = new float[batch * cols];
        java.util.Arrays.fill(x, 1f);
        float[] out = new float[batch * rows];
        MatMul.matmul(SINGLE, w, x, out, batch, 0);
        var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(x, batch, cols);
        assertThat(a.q[0]).isEqualTo((short) 127);
        float block = Math.fma(-32512f * 1f, a.d[0], 0f), expected = Math.fma(-32512f * 1f, a.d[1], block);
        for (float v : out) assertThat(v).isEqualTo(expected);
    }

    /** The interleaved copy of a matrix gives the same bits as the file's layout, on one thread and three. */
    @Test
    void interleavedWeightsGiveTheSameBits() {
        Assumptions.assumeTrue(Matrix.interleaves(GgmlType.Q4_0, 4, 128), "the interleaved layout needs 512-bit vectors");
        int rows = 36, cols = 384, batch = 6 * P + 5;
        var w = new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(RandomBlocks.generate(GgmlType.Q4_0, rows, cols, 43)), rows, cols);
        var x4 = w.interleave(bytes -> MemorySegment.ofArray(new byte[(int) bytes]));
        float[] x = DotTest.randomFloats(batch * cols, 44);
        for (Parallel pool : new Parallel[] {SINGLE, POOL}) {
            float[] expected = new float[batch * rows], got = new float[batch * rows];
            MatMul.matmul(pool, w, x, expected, batch, 0);
            MatMul.matmul(pool, x4, x, got, batch, 0);
            assertThat(got).as("%d threads", pool.threads()).containsExactly(expected);
        }
    }

    /** Long rows then short ones on the same thread (its buffers sized for the first): each output still exact. */
    @Test
    void shortRowsAfterLongOnesOnOneThread() {
        for (int[] shape : new int[][] {{8, 4096}, {200, 64}, {70, 96}}) {
            int rows = shape[0], cols = shape[1], batch = 4 * P + 3;
            byte[] data = RandomBlocks.generate(GgmlType.Q4_0, rows, cols, rows);
            var w = new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(data), rows, cols);
            float[] x = DotTest.randomFloats(batch * cols, cols);
            float[] out = new float[batch * rows];
            MatMul.matmul(SINGLE, w, x, out, batch, 0);
            var a = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(x, batch, cols);
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                    assertThat(out[b * rows + r]).as("%dx%d: row %d, output %d", rows, cols, b, r).isEqualTo(expected(data, cols, r, a, b));
                }
            }
        }
    }

    /** Each prompt row as computed alone, in batches with whole tiles, remainder panels and a partial last panel. */
    @Test
    void promptRowsMatchRowsAlone() {
        int rows = 9, cols = Tiles.K_SLICE + 64;
        var w = new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(RandomBlocks.generate(GgmlType.Q4_0, rows, cols, 45)), rows, cols);
        BatchInvarianceTest.promptRowsMatchRowsAlone(w, new int[] {P - 3, P + 1, 3 * P, 4 * P, 4 * P + 1, 7 * P - 2, 9 * P + 3}, 3, 46, POOL, SINGLE);
    }
}
