package dev.hearth.planner.hardware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.planner.PlannerInputException;
import dev.hearth.planner.SharedModels;
import dev.hearth.planner.TinyGguf;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GgufHeaderTest {
    @TempDir Path dir;

    /** A 2-layer model: dim 64, 4 heads (head dim 16), 2 KV heads, vocab 10. */
    static TinyGguf tiny() {
        return new TinyGguf()
                .str("general.architecture", "llama").str("general.name", "tiny test")
                .u32("llama.block_count", 2).u32("llama.attention.head_count", 4).u32("llama.attention.head_count_kv", 2)
                .u32("llama.embedding_length", 64).u32("llama.context_length", 256)
                .strArray("tokenizer.ggml.tokens", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
                .tensor("token_embd.weight", 8, 640 / 32 * 34, 64, 10)        // Q8_0: 20 blocks x 34 = 680 bytes
                .tensor("blk.0.attn_q.weight", 2, 4096 / 32 * 18, 64, 64)     // Q4_0: 128 blocks x 18 = 2,304
                .tensor("blk.0.ffn_down.weight", 12, 256 * 2 / 256 * 144, 256, 2) // Q4_K: 2 blocks x 144 = 288
                .tensor("output_norm.weight", 0, 64 * 4, 64)                  // F32: 256
                .tensor("output.weight", 1, 640 * 2, 64, 10);                 // F16: 1,280
    }

    @Test
    void readsTheTinyFileExactly() throws Exception {
        var h = GgufHeader.read(tiny().write(dir.resolve("tiny.gguf")));
        assertThat(h.version()).isEqualTo(3);
        assertThat(h.tensors()).hasSize(5);
        assertThat(h.weightBytes()).isEqualTo(680 + 2_304 + 288 + 256 + 1_280);
        var m = ModelSpec.fromGguf(h);
        assertThat(m.name()).isEqualTo("tiny test");
        assertThat(m.architecture()).isEqualTo("llama");
        assertThat(m.layers()).isEqualTo(2);
        assertThat(m.kvHeads()).isEqualTo(2);
        assertThat(m.headDim()).isEqualTo(16);
        assertThat(m.vocab()).isEqualTo(10);
        assertThat(m.trainedContext()).isEqualTo(256);
        // 2 x 2 layers x 2 KV heads x 16 = 128 values per token, 256 bytes in F16.
        assertThat(m.kvElementsPerToken()).isEqualTo(128);
        assertThat(m.kvBytesPerToken(2)).isEqualTo(256);
        // Decode reads everything except the embedding table (output.weight is separate).
        assertThat(m.bytesReadPerToken()).isEqualTo(2_304 + 288 + 256 + 1_280);
        assertThat(m.params()).isEqualTo(640 + 4096 + 512 + 64 + 640);
        assertThat(m.weightsBasis()).contains("exact");
    }

    @Test
    void tiedEmbeddingsAreReadInFull() throws Exception {
        var t = new TinyGguf().str("general.architecture", "qwen2").u32("qwen2.block_count", 1)
                .u32("qwen2.attention.head_count", 2).u32("qwen2.embedding_length", 64)
                .tensor("token_embd.weight", 1, 640 * 2, 64, 10).tensor("blk.0.attn_q.weight", 1, 4096 * 2, 64, 64);
        var m = ModelSpec.fromGguf(GgufHeader.read(t.write(dir.resolve("tied.gguf"))));
        assertThat(m.bytesReadPerToken()).isEqualTo(m.weightBytes());
        assertThat(m.kvHeads()).isEqualTo(2); // head_count_kv absent: same as head_count
        assertThat(m.notes()).anyMatch(n -> n.contains("output matrix"));
    }

    @Test
    void perLayerKvHeads() throws Exception {
        var t = new TinyGguf().str("general.architecture", "x").u32("x.block_count", 3).u32("x.attention.head_count", 4)
                .i32Array("x.attention.head_count_kv", 2, 0, 1).u32("x.embedding_length", 64)
                .tensor("blk.0.w", 0, 64 * 4, 64);
        var m = ModelSpec.fromGguf(GgufHeader.read(t.write(dir.resolve("pl.gguf"))));
        assertThat(m.kvElementsPerToken()).isEqualTo((2 + 0 + 1) * (16 + 16));
    }

    @Test
    void badFilesGetClearMessages() throws Exception {
        assertThatThrownBy(() -> GgufHeader.read(dir.resolve("nope.gguf")))
                .isInstanceOf(PlannerInputException.class).hasMessageContaining("does not exist");
        var text = Files.writeString(dir.resolve("text.gguf"), "hello, not a model");
        assertThatThrownBy(() -> GgufHeader.read(text)).hasMessageContaining("not a GGUF file");
        var empty = Files.write(dir.resolve("empty.gguf"), new byte[0]);
        assertThatThrownBy(() -> GgufHeader.read(empty)).hasMessageContaining("truncated");
        var full = tiny().write(dir.resolve("full.gguf"));
        long size = Files.size(full);
        var cutHeader = tiny().write(dir.resolve("cut1.gguf"), 100);
        assertThatThrownBy(() -> GgufHeader.read(cutHeader)).hasMessageContaining("truncated");
        var cutData = tiny().write(dir.resolve("cut2.gguf"), size - 100);
        assertThatThrownBy(() -> GgufHeader.read(cutData)).hasMessageContaining("extends past the end of the file");
        var v1 = tiny().version(1).write(dir.resolve("v1.gguf"));
        assertThatThrownBy(() -> GgufHeader.read(v1)).hasMessageContaining("version 1");
        var unknownType = new TinyGguf().str("general.architecture", "llama").tensor("w", 99, 64, 64).write(dir.resolve("t.gguf"));
        assertThatThrownBy(() -> GgufHeader.read(unknownType)).hasMessageContaining("ggml type id 99");
        var noShape = new TinyGguf().str("general.architecture", "llama").tensor("w", 0, 256, 64).write(dir.resolve("s.gguf"));
        var h = GgufHeader.read(noShape);
        assertThatThrownBy(() -> ModelSpec.fromGguf(h)).hasMessageContaining("llama.block_count");
        assertThatThrownBy(() -> GgufHeader.read(dir)).hasMessageContaining("directory");
    }

    /** The team's real files: weights are the data section, decode reads less than the file. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-spm-q8_0.gguf", "tiny-llama-spm-q4_k_m.gguf", "tiny-llama-spm-q2_k.gguf",
            "tiny-llama-spm-q5_k_m.gguf", "tiny-llama-spm-q4_0.gguf", "tiny-qwen2-gpt2-f16.gguf", "brown-llama-spm-q8_0.gguf",
            "brown-qwen2-gpt2-q8_0.gguf"})
    void sharedModels(String name) throws Exception {
        var file = SharedModels.require(name);
        var h = GgufHeader.read(file);
        long size = Files.size(file);
        // Tensors are packed in the data section with at most alignment padding between them.
        assertThat(h.weightBytes()).isLessThanOrEqualTo(size - h.dataOffset());
        assertThat(size - h.dataOffset() - h.weightBytes()).isLessThan(32L * h.tensors().size());
        var m = ModelSpec.fromGguf(h);
        assertThat(m.layers()).isPositive();
        assertThat(m.vocab()).isIn(32_000L, 50_257L);
        assertThat(m.bytesReadPerToken()).isLessThanOrEqualTo(m.weightBytes());
        if (name.startsWith("tiny-llama")) {
            // dim 256, 4 layers, 8 heads, 4 KV heads: 2 x 4 x 4 x 32 = 1,024 K/V values per token.
            assertThat(m.layers()).isEqualTo(4);
            assertThat(m.kvElementsPerToken()).isEqualTo(2 * 4 * 4 * 32);
        }
        if (name.startsWith("brown-llama")) {
            // dim 256, 6 layers, 4 heads (head dim 64), 2 KV heads.
            assertThat(m.kvElementsPerToken()).isEqualTo(2 * 6 * 2 * 64);
            assertThat(m.trainedContext()).isEqualTo(1024);
        }
    }
}
