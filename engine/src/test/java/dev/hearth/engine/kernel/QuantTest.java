package dev.hearth.engine.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class QuantTest {

    static GgmlType[] supportedTypes() {
        return Arrays.stream(GgmlType.values()).filter(GgmlType::supported).toArray(GgmlType[]::new);
    }

    /** Element count used per type: 3 blocks for quantized types, an odd count for plain floats. */
    static int cols(GgmlType t) {
        return t.quantized() ? 3 * t.blockSize() : 37;
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void dequantizeMatchesIndependentDecoder(GgmlType type) {
        int rows = 4, cols = cols(type);
        for (long seed = 1; seed <= 5; seed++) {
            byte[] data = RandomBlocks.generate(type, rows, cols, seed * 7919 + type.id());
            var seg = MemorySegment.ofArray(data);
            for (int r = 0; r < rows; r++) {
                float[] got = new float[cols + 5];
                Quant.dequantize(type, seg, type.byteSize((long) r * cols), got, 3, cols);
                double[] want = RefDequant.decode(type, data, (long) r * cols, cols);
                for (int i = 0; i < cols; i++) {
                    // both decode the same bits; only float vs double rounding may differ
                    assertThat((double) got[3 + i]).as("%s seed %d row %d element %d", type, seed, r, i)
                            .isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6 * Math.abs(want[i]) + 1e-9));
                }
                assertThat(got[0]).isZero();
                assertThat(got[cols + 3]).isZero();
            }
        }
    }

    /** The vectorized row decoder of the batched matmul: same values up to float rounding of scale products. */
    @ParameterizedTest
    @MethodSource("supportedTypes")
    void rowDecoderMatchesIndependentDecoder(GgmlType type) {
        int rows = 3, cols = type.quantized() ? 4 * type.blockSize() : 37;
        byte[] data = RandomBlocks.generate(type, rows, cols, 99 + type.id());
        var seg = MemorySegment.ofArray(data);
        float[] got = new float[cols];
        for (int r = 0; r < rows; r++) {
            RowDecoder.decode(type, seg, type.byteSize((long) r * cols), got, cols);
            double[] want = RefDequant.decode(type, data, (long) r * cols, cols);
            for (int i = 0; i < cols; i++) {
                assertThat((double) got[i]).as("%s row %d element %d", type, r, i)
                        .isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-6 * Math.abs(want[i]) + 1e-7));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void randomBlocksAreFiniteAndModest(GgmlType type) {
        int cols = cols(type);
        byte[] data = RandomBlocks.generate(type, 8, cols, 42);
        assertThat(data).hasSize((int) type.byteSize(8L * cols));
        double[] v = RefDequant.decode(type, data, 0, 8 * cols);
        double max = 0;
        for (double d : v) {
            assertThat(d).isFinite();
            max = Math.max(max, Math.abs(d));
        }
        assertThat(max).isLessThanOrEqualTo(1.0).isGreaterThan(0.0);
        assertThat(RandomBlocks.generate(type, 8, cols, 42)).isEqualTo(data);
    }

    @Test
    void knownQ4_0Block() {
        // d = 0.5; byte j = (lo = j, hi = 15 - j): element j = 0.5*(j-8), element 16+j = 0.5*(7-j)
        byte[] b = new byte[18];
        short d = Float.floatToFloat16(0.5f);
        b[0] = (byte) d;
        b[1] = (byte) (d >> 8);
        for (int j = 0; j < 16; j++) b[2 + j] = (byte) (j | (15 - j) << 4);
        float[] out = new float[32];
        Quant.dequantize(GgmlType.Q4_0, MemorySegment.ofArray(b), 0, out, 0, 32);
        for (int j = 0; j < 16; j++) {
            assertThat(out[j]).isEqualTo(0.5f * (j - 8));
            assertThat(out[16 + j]).isEqualTo(0.5f * (7 - j));
        }
    }

    /** A check of one block's 12 packed scale bytes: as a segment, and read as one long (bytes 0-7) and one int (8-11). */
    private interface PackedScalesCheck {
        void check(MemorySegment seg, long lo, int hi);
    }

    /** Runs {@code check} on 1000 random 12-byte packs of scales. */
    private static void forRandomPackedScales(long seed, PackedScalesCheck check) {
        var rnd = new java.util.SplittableRandom(seed);
        byte[] b = new byte[12];
        for (int t = 0; t < 1000; t++) {
            rnd.nextBytes(b);
            var seg = MemorySegment.ofArray(b);
            check.check(seg, seg.get(Quant.I64, 0), seg.get(Quant.I32, 8));
        }
    }

    @Test
    void packedKScalesMatchPerScaleDecoding() {
        forRandomPackedScales(3, (seg, lo, hi) -> {
            long scales = Quant.kScales(lo, hi), mins = Quant.kMins(lo, hi);
            for (int j = 0; j < 8; j++) {
                assertThat((int) (scales >>> 8 * j & 0xFF)).isEqualTo(Quant.kScale(seg, 0, j));
                assertThat((int) (mins >>> 8 * j & 0xFF)).isEqualTo(Quant.kMin(seg, 0, j));
            }
        });
    }

    @Test
    void packedQ3kScalesMatchPerScaleDecoding() {
        forRandomPackedScales(5, (seg, lo, hi) -> {
            for (int i = 0; i < 16; i++) {
                long part = Quant.q3kScales(lo, hi, i / 8);
                assertThat((int) (part >>> 8 * (i % 8) & 0xFF)).as("scale %d of %s", i, Arrays.toString(seg.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                        .isEqualTo(Quant.q3kScale(seg, 0, i));
            }
        });
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_1", "IQ4_XS", "Q8_K"})
    void unsupportedTypesSayWhich(GgmlType type) {
        assertThatThrownBy(() -> Quant.dequantize(type, MemorySegment.ofArray(new byte[1024]), 0, new float[256], 0, type.blockSize()))
                .hasMessageContaining(type.name());
    }

    @Test
    void partialBlockIsRejected() {
        assertThatThrownBy(() -> Quant.dequantize(GgmlType.Q4_K, MemorySegment.ofArray(new byte[144]), 0, new float[256], 0, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size");
    }
}
