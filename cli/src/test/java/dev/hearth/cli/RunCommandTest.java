package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.SharedFiles;
import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.model.TinyModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hearth run} and {@code hearth inspect} end to end, in-process. */
class RunCommandTest {

    @Test
    void greedyRunReproducesLlamaCppText() throws Exception {
        Path model = SharedFiles.require("models/brown-llama-spm-q8_0.gguf");
        JsonNode ref = new ObjectMapper().readTree(SharedFiles.require("reference/brown-llama-spm-q8_0.json").toFile());
        JsonNode cse = ref.get("cases").get(5); // "The jury said that"
        var r = CliRun.run("run", "-m", model.toString(), "-n", "24", "--temp", "0", "-t", "2", cse.get("prompt").asText());
        assertThat(r.code()).as(r.err()).isZero();
        String expected = String.join("", () -> java.util.stream.StreamSupport.stream(cse.get("generated_pieces").spliterator(), false)
                .limit(24).map(n -> (CharSequence) n.asText()).iterator());
        assertThat(r.out().stripTrailing()).isEqualTo(expected.stripTrailing());
        assertThat(r.err()).contains("prompt: 6 tokens").contains("generated: 24 tokens").contains("tok/s");
    }

    @Test
    void runsAGeneratedModelAndReportsTimings(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        TinyModels.writer(TinyModels.Spec.of("llama", GgmlType.Q8_0)).write(file);
        var r = CliRun.run("run", "-m", file.toString(), "-n", "8", "--seed", "7", "the tea");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("prompt:").contains("time to first token");
        // Same seed, same output.
        var again = CliRun.run("run", "-m", file.toString(), "-n", "8", "--seed", "7", "the tea");
        assertThat(again.out()).isEqualTo(r.out());
    }

    @Test
    void promptPlusTokensOverTheContextFailsBeforeGenerating(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        TinyModels.writer(TinyModels.Spec.of("llama", GgmlType.F32).withContext(32)).write(file);
        var r = CliRun.run("run", "-m", file.toString(), "-n", "30", "the the the the the the the the");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("context holds 32 tokens").contains("--ctx");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void missingModelSaysHowToGetOne() {
        var r = CliRun.run("run", "hello");
        if (System.getenv("HEARTH_MODEL") != null) return; // the environment provides one
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no model given").contains("-m FILE.gguf").contains("HEARTH_MODEL");
    }

    @Test
    void missingFileAndCorruptFileAreClearErrors(@TempDir Path dir) throws Exception {
        var missing = CliRun.run("run", "-m", dir.resolve("none.gguf").toString(), "hi");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("model file not found");

        Path bad = dir.resolve("bad.gguf");
        java.nio.file.Files.writeString(bad, "this is not a model file at all, just text");
        var corrupt = CliRun.run("run", "-m", bad.toString(), "hi");
        assertThat(corrupt.code()).isEqualTo(2);
        assertThat(corrupt.err()).contains("not a GGUF file");
    }

    @Test
    void unsupportedArchitectureIsNamed(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mamba.gguf");
        TinyModels.writer(TinyModels.Spec.of("llama", GgmlType.F32)).putString("general.architecture", "mamba").write(file);
        var r = CliRun.run("run", "-m", file.toString(), "hi");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unsupported architecture 'mamba'").contains("llama, qwen2, qwen3");
    }

    @Test
    void inspectShowsShapeTypesAndMemory(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        TinyModels.writer(TinyModels.Spec.of("qwen2", GgmlType.Q4_K)).write(file);
        var r = CliRun.run("inspect", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("architecture:    qwen2")
                .contains("dim 256, 2 layers, 4 heads (2 KV heads, head dim 64)")
                .contains("Q4_K").contains("F32")
                .contains("memory to run at context 256")
                .contains("tokenizer:       llama, 320 tokens");
    }
}
