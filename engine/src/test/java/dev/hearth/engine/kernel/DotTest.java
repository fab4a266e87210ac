package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DotTest {
    /**
     * Float accumulation in a different order than the double reference: allowed error is
     * 1e-5 of sum(|w_i * x_i|) (a bound on what reordering float sums of a few thousand terms can
     * cost), plus 1e-6 absolute.
     */
    static final double REL_TOL = 1e-5;

    static GgmlType[] supportedTypes() {
        return QuantTest.supportedTypes();
    }

    static float[] randomFloats(int n, long seed) {
        var rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-2, 2);
        return x;
    }

    /**
     * Rows of every type times one activation row, decoded as read ({@link Dot#matVec}), give the tiles' results
     * over decoded rows bit for bit (the path of several activation rows), for row counts around the 2-, 4- and 16-row
     * steps, and for F32/F16/BF16 columns that end mid-vector (and rows past the four-row steps' length).
     */
    @ParameterizedTest
    @MethodSource("supportedTypes")
    void matVecMatchesTheTilesBitForBit(GgmlType type) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Dot.MAT_VEC, "512-bit vectors only");
        boolean floats = type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16;
        for (int cols : floats ? new int[] {256, 200, 16, 1048} : new int[] {256, 512}) {
            for (int rows : new int[] {1, 3, 4, 21, 37}) {
                byte[] data = RandomBlocks.generate(type, rows, cols, cols * 31L + rows);
                var seg = MemorySegment.ofArray(data);
                float[] x = randomFloats(2 * cols, rows + cols);
                float[] got = new float[rows + 3];
                Dot.matVec(type, seg, 0, type.byteSize(cols), rows, cols, x, cols, got, 3);
                // the tiles over the decoded rows, as MatMul runs them for several activation rows
                float[] decoded = new float[rows * cols], expected = new float[2 * rows];
                RowDecoder.decode(type, seg, 0, decoded, rows * cols);
                Tiles.block(decoded, rows, cols, 0, x, 0, 2, expected, rows, new float[Tiles.accFloats()]);
                for (int r = 0; r < rows; r++) {
                    assertThat(Float.floatToRawIntBits(got[3 + r])).as("%s %d x %d row %d", type, rows, cols, r)
                            .isEqualTo(Float.floatToRawIntBits(expected[rows + r]));
                }
            }
        }
    }

    /**
     * F16 rows are converted in registers against the activations scaled by 2^112: every finite float16 (zeros of
     * both signs, subnormals, the largest) gives the tiles' bits, and so do activations of 2^16 and more, which
     * take the decoding path instead (scaled, they would not be finite).
     */
    @org.junit.jupiter.api.Test
    void matVecOfF16GivesTheTilesBitsForEveryFiniteHalf() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Dot.MAT_VEC, "512-bit vectors only");
        int cols = 2048, rows = 31;   // 31 x 2048 = the 63,488 finite float16 bit patterns
        var seg = MemorySegment.ofArray(new byte[2 * rows * cols]);
        int at = 0;
        for (int bits = 0; bits < 65536; bits++) {
            if ((bits & 0x7C00) == 0x7C00) continue;   // infinities and NaNs
            seg.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * at++, (short) bits);
        }
        assertThat(at).isEqualTo(rows * cols);
        float[] decoded = new float[rows * cols];
        RowDecoder.decode(GgmlType.F16, seg, 0, decoded, rows * cols);
        for (float big : new float[] {0f, 65535f, 65536f, 3e5f}) {
            float[] x = randomFloats(cols, 77);
            x[100] = big == 0f ? x[100] : big;
            float[] got = new float[rows], expected = new float[rows];
            Dot.matVec(GgmlType.F16, seg, 0, 2L * cols, rows, cols, x, 0, got, 0);
            Tiles.block(decoded, rows, cols, 0, x, 0, 1, expected, rows, new float[Tiles.accFloats()]);
            for (int r = 0; r < rows; r++) {
                assertThat(Float.floatToRawIntBits(got[r])).as("x[100] = %s, row %d", big, r).isEqualTo(Float.floatToRawIntBits(expected[r]));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void sumRows16IsSixteenLaneSumsBitForBit() {
        // magnitudes spread over many binades, so that a different order of the additions shows in the bits
        var rnd = new SplittableRandom(11);
        float[] acc = new float[8 + 256];
        for (int i = 0; i < acc.length; i++) acc[i] = (float) (rnd.nextDouble(-1, 1) * Math.pow(2, rnd.nextInt(-20, 20)));
        float[] out = new float[3 + 16];
        Dot.sumRows16(acc, 8, out, 3);
        for (int r = 0; r < 16; r++) {
            float expected = Dot.sumLanes16(jdk.incubator.vector.FloatVector.fromArray(jdk.incubator.vector.FloatVector.SPECIES_512, acc, 8 + 16 * r));
            assertThat(Float.floatToRawIntBits(out[3 + r])).as("row %d", r).isEqualTo(Float.floatToRawIntBits(expected));
        }
    }

    /** Reference dot of row {@code r} (cols values) with x[xOff..], returning {sum, sum of |terms|}. */
    static double[] reference(GgmlType type, byte[] data, int r, int cols, float[] x, int xOff) {
        double[] w = RefDequant.decode(type, data, (long) r * cols, cols);
        double s = 0, abs = 0;
        for (int i = 0; i < cols; i++) {
            s += w[i] * x[xOff + i];
            abs += Math.abs(w[i] * x[xOff + i]);
        }
        return new double[] {s, abs};
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void dotMatchesReference(GgmlType type) {
        int[] sizes = type.quantized()
                ? new int[] {type.blockSize(), 3 * type.blockSize(), 8 * type.blockSize(), 4096}
                : new int[] {1, 7, 37, 64, 261, 4096};
        for (int cols : sizes) {
            int rows = 3;
            byte[] data = RandomBlocks.generate(type, rows, cols, cols * 31L + type.id());
            var seg = MemorySegment.ofArray(data);
            float[] x = randomFloats(cols + 11, cols);
            for (int r = 0; r < rows; r++) {
                int xOff = r == 1 ? 11 : 0; // exercise a non-zero activation offset
                double[] ref = reference(type, data, r, cols, x, xOff);
                float got = Dot.dot(type, seg, type.byteSize((long) r * cols), x, xOff, cols);
                assertThat((double) got).as("%s cols %d row %d", type, cols, r)
                        .isCloseTo(ref[0], org.assertj.core.data.Offset.offset(REL_TOL * ref[1] + 1e-6));
            }
        }
    }
}
