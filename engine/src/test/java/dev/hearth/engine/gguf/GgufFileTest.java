package dev.hearth.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips through {@link GgufWriter} and every validation error on corrupted copies. */
class GgufFileTest {

    static GgufWriter sample() {
        var w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putU32("llama.context_length", 2048);
        w.putF32("llama.rope.freq_base", 10000f);
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putStrings("tokenizer.ggml.tokens", "<unk>", "<s>", "héllo ✓");
        w.putFloats("tokenizer.ggml.scores", 0f, -1f, -2.5f);
        w.put("nested", GgufValue.array(GgufValueType.ARRAY, new GgufValue[] {
                GgufValue.array(GgufValueType.INT32, new int[] {1, 2}),
                GgufValue.array(GgufValueType.STRING, new String[] {"a"})}));
        w.put("u8", GgufValue.of(GgufValueType.UINT8, 200));
        w.put("i16", GgufValue.of(GgufValueType.INT16, -7));
        w.put("u64", GgufValue.of(GgufValueType.UINT64, 1L << 40));
        w.put("f64", GgufValue.of(GgufValueType.FLOAT64, 2.5));
        w.put("i8s", GgufValue.array(GgufValueType.INT8, new byte[] {-1, 2}));
        // one array of every other element type (read in bulk, little-endian)
        w.put("u16s", GgufValue.array(GgufValueType.UINT16, new short[] {1, (short) 0xFFFE}));
        w.put("i32s", GgufValue.array(GgufValueType.INT32, new int[] {-3, 0x12345678}));
        w.put("i64s", GgufValue.array(GgufValueType.INT64, new long[] {-1L, 1L << 50}));
        w.put("f64s", GgufValue.array(GgufValueType.FLOAT64, new double[] {0.5, -1e300}));
        w.put("bools", GgufValue.array(GgufValueType.BOOL, new boolean[] {true, false, true}));
        w.addF32("weights", new long[] {4, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8});
        w.addF32("bias", new long[] {3}, new float[] {-1, 0, 1});
        return w;
    }

    @Test
    void roundTripsEveryValueTypeAndTensors(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("m.gguf");
        sample().write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.getString("general.architecture")).isEqualTo("llama");
            assertThat(f.getInt("llama.context_length")).isEqualTo(2048);
            assertThat(f.getFloat("llama.rope.freq_base")).isEqualTo(10000f);
            assertThat(f.getBool("tokenizer.ggml.add_bos_token", false)).isTrue();
            assertThat(f.getStringArray("tokenizer.ggml.tokens")).containsExactly("<unk>", "<s>", "héllo ✓");
            assertThat(f.getFloatArray("tokenizer.ggml.scores")).containsExactly(0f, -1f, -2.5f);
            GgufValue nested = f.get("nested");
            assertThat(nested.isArray()).isTrue();
            assertThat((GgufValue[]) nested.value()).hasSize(2);
            assertThat(((GgufValue[]) nested.value())[0].value()).isEqualTo(new int[] {1, 2});
            assertThat(f.getInt("u8")).isEqualTo(200);
            assertThat(f.getInt("i16")).isEqualTo(-7);
            assertThat(f.getLong("u64")).isEqualTo(1L << 40);
            assertThat(f.getFloat("f64")).isEqualTo(2.5f);
            assertThat(f.getIntArray("i8s")).containsExactly(-1, 2);
            assertThat((short[]) f.get("u16s").value()).containsExactly((short) 1, (short) 0xFFFE);
            assertThat(f.getIntArray("i32s")).containsExactly(-3, 0x12345678);
            assertThat((long[]) f.get("i64s").value()).containsExactly(-1L, 1L << 50);
            assertThat((double[]) f.get("f64s").value()).containsExactly(0.5, -1e300);
            assertThat((boolean[]) f.get("bools").value()).containsExactly(true, false, true);
            GgufTensor t = f.requireTensor("weights");
            assertThat(t.shape()).containsExactly(4, 2);
            assertThat(t.rows()).isEqualTo(2);
            assertThat(t.cols()).isEqualTo(4);
            assertThat(t.data().byteSize()).isEqualTo(32);
            assertThat(t.data().get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 28)).isEqualTo(8f);
            assertThat(f.tensor("bias").offset() % f.alignment()).isZero();
            assertThat(f.dataOffset() % 32).isZero();
        }
    }

    /**
     * A mapped file's tensors are plain native segments over the mapping (the class of the engine's own weight
     * copies: the Vector API's shared loads then see one segment class), with the file's bytes and lifetime;
     * {@link GgufFile#release} unloads a tensor's pages and refuses memory that is not one of the file's views.
     */
    @Test
    void mappedTensorsAreNativeViewsAndCanBeReleased(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("m.gguf");
        sample().write(p);
        MemorySegment data;
        try (GgufFile f = GgufFile.open(p)) {
            data = f.requireTensor("weights").data();
            assertThat(data.isNative()).isTrue();
            assertThat(data.isMapped()).as("a native view, not the MappedMemorySegmentImpl").isFalse();
            assertThat(data.getClass()).isEqualTo(Arena.ofAuto().allocate(8).getClass());
            assertThat(data.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * 7)).isEqualTo(8f);
            f.release(data);
            // the pages come back from the file when read again
            assertThat(data.get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0)).isEqualTo(1f);
            assertThatThrownBy(() -> f.release(Arena.ofAuto().allocate(64))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a view of");
        }
        MemorySegment closed = data;
        assertThatThrownBy(() -> closed.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).as("the view dies with the file")
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void invalidUtf8InATokenTextLoadsAsReplacementCharacters() {
        byte[] b = sample().toBytes();
        // "héllo ✓": the second byte of 'é' (C3 A9) becomes '(' (a lead byte without its continuation)
        int at = indexOf(b, "h\u00e9llo".getBytes(StandardCharsets.UTF_8));
        b[at + 2] = '(';
        assertThat(parse(b).getStringArray("tokenizer.ggml.tokens")).containsExactly("<unk>", "<s>", "h\uFFFD(llo \u2713");
    }

    @Test
    void honoursCustomAlignment() {
        var w = sample();
        w.putU32("general.alignment", 64);
        GgufFile f = w.toGguf("aligned");
        assertThat(f.alignment()).isEqualTo(64);
        assertThat(f.dataOffset() % 64).isZero();
        assertThat(f.tensor("bias").offset() % 64).isZero();
    }

    @Test
    void rejectsNonPowerOfTwoAlignment() {
        var w = sample();
        w.putU32("general.alignment", 48);
        assertThatThrownBy(() -> w.toGguf("bad")).isInstanceOf(GgufException.class).hasMessageContaining("general.alignment");
    }

    @Test
    void badMagic() {
        byte[] b = sample().toBytes();
        b[0] = 'X';
        assertThatThrownBy(() -> parse(b)).isInstanceOf(GgufException.class)
                .hasMessageContaining("not a GGUF file").hasMessageContaining("58 47 55 46");
    }

    @Test
    void unsupportedVersion() {
        byte[] b = sample().toBytes();
        b[4] = 1;
        assertThatThrownBy(() -> parse(b)).isInstanceOf(GgufException.class)
                .hasMessageContaining("unsupported GGUF version 1");
        b[4] = 9;
        assertThatThrownBy(() -> parse(b)).hasMessageContaining("unsupported GGUF version 9");
    }

    @Test
    void version2IsRead() {
        byte[] b = sample().toBytes();
        b[4] = 2;
        assertThat(parse(b).version()).isEqualTo(2);
    }

    @Test
    void truncatedAnywhereGivesAClearError() {
        byte[] b = sample().toBytes();
        GgufTensor last = parse(b).tensor("bias");
        long dataEnd = parse(b).dataOffset() + last.offset() + last.byteSize(); // the rest is padding
        // Cut the file at many points: header, metadata, tensor infos, data. Always a GgufException.
        for (int len = 0; len < dataEnd; len += 7) {
            byte[] cut = Arrays.copyOf(b, len);
            assertThatThrownBy(() -> parse(cut)).as("cut at %d", len).isInstanceOf(GgufException.class)
                    .satisfiesAnyOf(
                            e -> assertThat(e).hasMessageContaining("truncated"),
                            e -> assertThat(e).hasMessageContaining("outside the file"),
                            e -> assertThat(e).hasMessageContaining("too short"));
        }
    }

    @Test
    void truncatedFileOnDisk(@TempDir Path dir) throws Exception {
        byte[] b = sample().toBytes();
        Path p = dir.resolve("cut.gguf");
        Files.write(p, Arrays.copyOf(b, b.length - 24));
        assertThatThrownBy(() -> GgufFile.open(p)).isInstanceOf(GgufException.class)
                .hasMessageContaining("tensor 'bias'").hasMessageContaining("outside the file");
    }

    @Test
    void missingFile(@TempDir Path dir) {
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("nope.gguf"))).isInstanceOf(GgufException.class)
                .hasMessageContaining("model file not found");
    }

    @Test
    void unknownTensorTypeIsNamed() {
        byte[] b = sample().toBytes();
        int info = tensorInfo(b, "bias");
        putInt(b, info + 4 + 8, 99); // n_dims (4) + one dim (8) -> type id
        assertThatThrownBy(() -> parse(b)).isInstanceOf(GgufException.class)
                .hasMessageContaining("tensor 'bias' has unknown tensor type id 99");
    }

    @Test
    void tensorOutsideFile() {
        byte[] b = sample().toBytes();
        int info = tensorInfo(b, "bias");
        putLong(b, info + 4 + 8 + 4, 1L << 20); // offset far past the end
        assertThatThrownBy(() -> parse(b)).isInstanceOf(GgufException.class)
                .hasMessageContaining("tensor 'bias'").hasMessageContaining("outside the file");
    }

    @Test
    void misalignedTensor() {
        byte[] b = sample().toBytes();
        int info = tensorInfo(b, "bias");
        putLong(b, info + 4 + 8 + 4, 4);
        assertThatThrownBy(() -> parse(b)).isInstanceOf(GgufException.class)
                .hasMessageContaining("not a multiple of the alignment");
    }

    @Test
    void overlappingTensors() {
        byte[] b = sample().toBytes();
        int info = tensorInfo(b, "bias");
        putLong(b, info + 4 + 8 + 4, 0); // same offset as "weights"
        assertThatThrownBy(() -> parse(b)).isInstanceOf(GgufException.class)
                .hasMessageContaining("overlap");
    }

    @Test
    void absurdCountsAreRejectedBeforeAllocating() {
        byte[] b = sample().toBytes();
        putLong(b, 16, Long.MAX_VALUE / 2); // metadata count
        assertThatThrownBy(() -> parse(b)).isInstanceOf(GgufException.class).hasMessageContaining("damaged");
    }

    @Test
    void unknownMetadataValueType() {
        byte[] b = sample().toBytes();
        int key = indexOf(b, "general.architecture".getBytes(StandardCharsets.UTF_8));
        putInt(b, key + "general.architecture".length(), 77);
        assertThatThrownBy(() -> parse(b)).isInstanceOf(GgufException.class)
                .hasMessageContaining("'general.architecture' has unknown value type 77");
    }

    @Test
    void missingRequiredKeyIsNamed() {
        GgufFile f = sample().toGguf("m");
        assertThatThrownBy(() -> f.getInt("llama.block_count")).isInstanceOf(GgufException.class)
                .hasMessageContaining("required metadata key 'llama.block_count' is missing");
        assertThatThrownBy(() -> f.getInt("general.architecture")).hasMessageContaining("should be an integer");
        assertThatThrownBy(() -> f.requireTensor("output.weight")).hasMessageContaining("'output.weight' is missing");
    }

    @Test
    void unsupportedButKnownTensorTypeIsNamedWhenUsed() {
        var w = new GgufWriter();
        w.addTensor("iq", GgmlType.IQ2_XXS, new long[] {256}, new byte[66]);
        GgufFile f = w.toGguf("iq");
        assertThatThrownBy(() -> dev.hearth.engine.kernel.Matrix.of(f.requireTensor("iq")))
                .isInstanceOf(GgufException.class).hasMessageContaining("IQ2_XXS").hasMessageContaining("Q4_K_M");
    }

    static GgufFile parse(byte[] b) {
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, b.length));
        MemorySegment.copy(MemorySegment.ofArray(b), 0, seg, 0, b.length);
        return GgufFile.read(seg.asSlice(0, b.length), "test.gguf");
    }

    /** Offset just after the name of a tensor info (where n_dims starts). */
    static int tensorInfo(byte[] b, String name) {
        byte[] needle = name.getBytes(StandardCharsets.UTF_8);
        // the name is preceded by its u64 length; find "<len><name>"
        ByteBuffer bb = ByteBuffer.allocate(8 + needle.length).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(needle.length).put(needle);
        return indexOf(b, bb.array()) + bb.capacity();
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("pattern not found");
    }

    static void putInt(byte[] b, int at, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
    }

    static void putLong(byte[] b, int at, long v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }
}
