package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class MatMulTest {
    /** Same bound as {@link DotTest#REL_TOL}: 1e-5 of sum(|w*x|) per output, plus 1e-6. */
    static final double REL_TOL = DotTest.REL_TOL;

    static final Parallel POOL = new Parallel(3);
    static final Parallel SINGLE = new Parallel(1);

    @AfterAll
    static void close() {
        POOL.close();
        SINGLE.close();
    }

    static GgmlType[] supportedTypes() {
        return QuantTest.supportedTypes();
    }

    static int cols(GgmlType t) {
        return t.quantized() ? 2 * t.blockSize() : 37;
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void floatPathMatchesReference(GgmlType type) {
        int cols = cols(type);
        for (int rows : new int[] {1, 5, 33}) {
            byte[] data = RandomBlocks.generate(type, rows, cols, rows * 1000L + type.id());
            var w = new Matrix("w", type, MemorySegment.ofArray(data), rows, cols);
            for (int batch : new int[] {1, 3, 7}) {
                float[] x = DotTest.randomFloats(batch * cols, batch);
                for (Parallel pool : new Parallel[] {POOL, SINGLE}) {
                    float[] out = new float[batch * rows];
                    MatMul.matmulFloat(pool, w, x, out, batch);
                    check(type, data, rows, cols, batch, x, out, "matmulFloat");
                }
            }
        }
    }

    /**
     * Decode rows (integer kernels where the type has one) and prompt rows (float tiles), both with
     * 8-bit activations for every quantized type at every batch size: within float rounding of the reference plus the 8-bit activation bound
     * {@link Q8Test#activationErrorBound}; float types within float rounding.
     */
    @ParameterizedTest
    @MethodSource("supportedTypes")
    void matmulMatchesReference(GgmlType type) {
        int cols = cols(type);
        for (int rows : new int[] {1, 5, 33}) {
            byte[] data = RandomBlocks.generate(type, rows, cols, rows * 1000L + type.id());
            var w = new Matrix("w", type, MemorySegment.ofArray(data), rows, cols);
            // 50: past three panels of prompt rows on any vector width (whole 4 x 3 panel tiles and a remainder)
            for (int batch : new int[] {1, 3, 7, 50}) {
                float[] x = DotTest.randomFloats(batch * cols, batch);
                for (Parallel pool : new Parallel[] {POOL, SINGLE}) {
                    // all decode rows (integer path where the type has one), all prompt rows (float tiles), a mix
                    for (int decodeRows : new int[] {batch, 0, batch / 2}) {
                        float[] out = new float[batch * rows];
                        MatMul.matmul(pool, w, x, out, batch, decodeRows);
                        String what = "matmul, " + decodeRows + " of " + batch + " decode rows";
                        if (Q8Activations.kindFor(type) != null) {
                            // integer or float path, both with 8-bit activations: within their bound
                            Q8Test.checkIntegerResult(type, data, rows, cols, batch, x, out, what);
                        } else {
                            check(type, data, rows, cols, batch, x, out, what);
                        }
                    }
                }
            }
        }
    }

    /** Several matrices sharing an input in one call: the same bits as one call per matrix, any mix of types. */
    @Test
    void sharedInputMatmulEqualsSeparateCalls() {
        GgmlType[][] groups = {{GgmlType.Q8_0, GgmlType.Q8_0, GgmlType.Q8_0}, {GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q6_K},
                {GgmlType.Q4_0, GgmlType.Q6_K, GgmlType.F16}, {GgmlType.Q5_1, GgmlType.BF16}};
        int cols = 256;
        for (GgmlType[] types : groups) {
            var ws = new Matrix[types.length];
            for (int i = 0; i < types.length; i++) {
                int rows = 7 + 6 * i;
                ws[i] = new Matrix("w" + i, types[i], MemorySegment.ofArray(RandomBlocks.generate(types[i], rows, cols, 31L * i + types[i].id())), rows, cols);
            }
            for (int batch : new int[] {1, 2, 5}) {
                float[] x = DotTest.randomFloats(batch * cols, batch + 100);
                float[][] outs = new float[types.length][];
                for (int i = 0; i < types.length; i++) outs[i] = new float[batch * ws[i].rows()];
                MatMul.matmul(POOL, ws, x, outs, batch);
                for (int i = 0; i < types.length; i++) {
                    float[] one = new float[batch * ws[i].rows()];
                    MatMul.matmul(SINGLE, ws[i], x, one, batch);
                    assertThat(outs[i]).as("%s in group %s, batch %d", ws[i].name(), java.util.Arrays.toString(types), batch).containsExactly(one);
                }
            }
        }
    }

    /**
     * An interleaved Q4_0 matrix gives the row-major one's bits in every kind of call: several decode rows (runs of
     * rows that start inside a quad, over three threads whose chunks do too), decode and prompt rows mixed, the
     * float path, and beside another matrix sharing the input.
     */
    @Test
    void interleavedQ4_0MatchesRowMajorInEveryPath() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Matrix.interleaves(GgmlType.Q4_0, 4, 128), "the interleaved layout needs 512-bit vectors");
        int rows = 212, cols = 768;
        var w = new Matrix("w", GgmlType.Q4_0, MemorySegment.ofArray(RandomBlocks.generate(GgmlType.Q4_0, rows, cols, 77)), rows, cols);
        var x4 = w.interleave(bytes -> MemorySegment.ofArray(new byte[(int) bytes]));
        assertThat(x4.interleaved()).isTrue();
        var other = new Matrix("v", GgmlType.Q8_0, MemorySegment.ofArray(RandomBlocks.generate(GgmlType.Q8_0, 36, cols, 78)), 36, cols);
        for (int[] shape : new int[][] {{1, 1}, {5, 5}, {7, 3}, {6, 0}}) {
            int batch = shape[0], decodeRows = shape[1];
            float[] x = DotTest.randomFloats(batch * cols, batch + 200);
            float[] expected = new float[batch * rows], got = new float[batch * rows];
            MatMul.matmul(POOL, w, x, expected, batch, decodeRows);
            MatMul.matmul(POOL, x4, x, got, batch, decodeRows);
            assertThat(got).as("batch %d, %d decode rows", batch, decodeRows).containsExactly(expected);
            assertBesideAnotherAndOnTheFloatPath(w, x4, other, x, batch, decodeRows, expected);
        }
    }

    /**
     * A Q8_0 matrix in groups or a Q4_K, Q5_K or Q6_K matrix in the sub-block layout ({@link Matrix#interleaved}): prompt rows and the float path give
     * the file layout's bits (the same decoded values); decode rows take the layout's own kernel, whose sums are the
     * file kernel's up to float rounding (same integer sums per super-block, other lanes), and are batch-invariant: a
     * decode row gives the same bits alone, in a batch, and beside another matrix.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_K", "Q5_K", "Q6_K"})
    void decodeLayoutsMatchTheFileLayout(GgmlType type) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Matrix.interleaves(type, 1, 256), "the decode layouts need 512-bit vectors");
        int rows = 93, cols = type == GgmlType.Q8_0 ? 800 : 768;   // Q8_0: a group of 16 blocks and a tail of 9
        byte[] data = RandomBlocks.generate(type, rows, cols, 91);
        var w = new Matrix("w", type, MemorySegment.ofArray(data), rows, cols);
        var split = w.interleave(bytes -> MemorySegment.ofArray(new byte[(int) bytes]));
        assertThat(split.interleaved()).isTrue();
        var otherType = type == GgmlType.Q8_0 ? GgmlType.Q4_0 : GgmlType.Q6_K;   // one of 800 columns for Q8_0
        var other = new Matrix("v", otherType, MemorySegment.ofArray(RandomBlocks.generate(otherType, 36, cols, 92)), 36, cols);
        float[] x = DotTest.randomFloats(7 * cols, 301);
        float[] alone = new float[7 * rows];
        for (int b = 0; b < 7; b++) {
            float[] one = new float[rows];
            MatMul.matmul(POOL, split, java.util.Arrays.copyOfRange(x, b * cols, (b + 1) * cols), one, 1, 1);
            System.arraycopy(one, 0, alone, b * rows, rows);
        }
        Q8Test.checkIntegerResult(type, data, rows, cols, 7, x, alone, "decode layout, decode rows alone");
        for (int[] shape : new int[][] {{5, 5}, {7, 3}, {6, 0}}) {
            int batch = shape[0], decodeRows = shape[1];
            float[] expected = new float[batch * rows], got = new float[batch * rows];
            MatMul.matmul(POOL, w, x, expected, batch, decodeRows);
            MatMul.matmul(POOL, split, x, got, batch, decodeRows);
            for (int i = 0; i < batch * rows; i++) {
                float want = i < decodeRows * rows ? alone[i] : expected[i];
                assertThat(got[i]).as("batch %d, %d decode rows, out %d", batch, decodeRows, i).isEqualTo(want);
                // Q8_0's grouped kernel does the file kernel's operations: its decode rows too are the file's bits
                if (type == GgmlType.Q8_0) assertThat(got[i]).as("Q8_0 in groups, out %d", i).isEqualTo(expected[i]);
            }
            assertBesideAnotherAndOnTheFloatPath(w, split, other, x, batch, decodeRows, got);
        }
    }

    /**
     * {@code copy}, a decode layout of {@code w} ({@link Matrix#interleave}): in one call with {@code other} it gives
     * {@code want} (its outputs alone) bit for bit, and on the float path {@code w}'s outputs bit for bit.
     */
    private static void assertBesideAnotherAndOnTheFloatPath(Matrix w, Matrix copy, Matrix other, float[] x, int batch, int decodeRows, float[] want) {
        float[][] outs = {new float[batch * w.rows()], new float[batch * other.rows()]};
        MatMul.matmul(POOL, new Matrix[] {copy, other}, x, outs, batch, decodeRows);
        assertThat(outs[0]).as("beside another matrix, batch %d", batch).containsExactly(want);
        float[] expected = new float[batch * w.rows()], got = new float[batch * w.rows()];
        MatMul.matmulFloat(POOL, w, x, expected, batch);
        MatMul.matmulFloat(POOL, copy, x, got, batch);
        assertThat(got).as("float path, batch %d", batch).containsExactly(expected);
    }

    /** Checks every output of a batch against the double-precision reference. */
    static void check(GgmlType type, byte[] data, int rows, int cols, int batch, float[] x, float[] out, String what) {
        check(type, data, rows, cols, batch, x, out, what, REL_TOL);
    }

    static void check(GgmlType type, byte[] data, int rows, int cols, int batch, float[] x, float[] out, String what, double rel) {
        for (int b = 0; b < batch; b++) {
            for (int r = 0; r < rows; r++) {
                double[] ref = DotTest.reference(type, data, r, cols, x, b * cols);
                assertThat((double) out[b * rows + r]).as("%s %s %dx%d batch %d: out[%d][%d]", what, type, rows, cols, batch, b, r)
                        .isCloseTo(ref[0], org.assertj.core.data.Offset.offset(rel * ref[1] + 1e-6));
            }
        }
    }

    @Test
    void shortBuffersAreRejectedWithSizes() {
        byte[] data = RandomBlocks.generate(GgmlType.F32, 4, 8, 1);
        var w = new Matrix("blk.0.ffn_up", GgmlType.F32, MemorySegment.ofArray(data), 4, 8);
        assertThatThrownBy(() -> MatMul.matmul(POOL, w, new float[8], new float[8], 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blk.0.ffn_up").hasMessageContaining("needs 16");
    }

    @Test
    void decodeRowsOutsideTheBatchAreRejected() {
        byte[] data = RandomBlocks.generate(GgmlType.Q8_0, 4, 32, 1);
        var w = new Matrix("blk.0.attn_q", GgmlType.Q8_0, MemorySegment.ofArray(data), 4, 32);
        for (int decodeRows : new int[] {-1, 3}) {
            assertThatThrownBy(() -> MatMul.matmul(POOL, w, new float[64], new float[8], 2, decodeRows))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("decodeRows " + decodeRows + " is outside [0, 2]");
        }
    }
}
