package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
    @TempDir Path dir;

    @Test
    void knownModelOnChosenDevices() {
        var r = CliRun.run("plan", "--model", "llama-3-70b", "--quant", "Q4_K_M", "--context", "8192", "--device", "rtx-4090",
                "--device", "2x A100 80GB");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Llama 3 70B Q4_K_M").contains("KV cache      2.50 GiB").contains("NO, short 19.8 GiB")
                .contains("2x NVIDIA A100 80 GB SXM").contains("yes, 115.2 GiB spare");
    }

    @Test
    void ggufFileGivesExactWeights() throws Exception {
        var f = tinyGguf(dir.resolve("tiny.gguf"));
        var r = CliRun.run("plan", f.toString(), "--device", "rtx-4090", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        var j = new ObjectMapper().readTree(r.out());
        assertThat(j.at("/model/weight_bytes").asLong()).isEqualTo(2_304 + 256);
        assertThat(j.at("/model/weights_basis").asText()).contains("exact");
        assertThat(j.at("/memory/kv_bytes_per_token").asLong()).isEqualTo(2L * 2 * 2 * 16 * 2);
        assertThat(j.at("/devices/0/fits").asBoolean()).isTrue();
    }

    @Test
    void benchJsonCalibratesThisMachine() throws Exception {
        var gguf = tinyGguf(dir.resolve("tiny.gguf"));
        var bench = Files.writeString(dir.resolve("bench.json"), """
                [{"model_filename":"%s","model_type":"llama","model_size":2560,"model_n_params":4160,"n_threads":2,
                  "n_prompt":0,"n_gen":128,"test":"tg128","avg_ts":5000000.0,"stddev_ts":1.0,"memory_bandwidth_gbs":20.0}]
                """.formatted(gguf.toString().replace("\\", "\\\\")));
        var r = CliRun.run("plan", "--model", "llama-3.2-1b", "--bench-json", bench.toString(), "--device", "this-machine");
        assertThat(r.code()).as(r.err()).isZero();
        // The tiny file has no embedding table: a token reads all 2,560 bytes; 5e6 tok/s x 2,560 B / 20 GB/s = 0.64.
        assertThat(r.out()).contains("Calibration on this machine").contains("measured 5,000,000.0 tok/s")
                .contains("calibrated efficiency 0.640").contains("exact, from tiny.gguf's tensors");
    }

    @Test
    void badInputExitsTwoWithoutStackTrace() throws Exception {
        var text = Files.writeString(dir.resolve("notes.gguf"), "these are notes, not weights");
        CostCommandTest.expectBad("not a GGUF file", "plan", text.toString());
        CostCommandTest.expectBad("does not exist", "plan", dir.resolve("missing.gguf").toString());
        CostCommandTest.expectBad("unknown device 'tpu v9'", "plan", "--model", "llama-3-8b", "--device", "tpu v9");
        CostCommandTest.expectBad("unknown model 'gpt-5'", "plan", "--model", "gpt-5");
        CostCommandTest.expectBad("--layers, --kv-heads and --head-dim", "plan", "--params", "8B");
        CostCommandTest.expectBad("not a parameter count", "plan", "--params", "lots");
        CostCommandTest.expectBad("--bench-json", "plan", "--model", "llama-3-8b", "--calibrate");
        CostCommandTest.expectBad("context length must be a positive", "plan", "--model", "llama-3-8b", "--context", "0");
        CostCommandTest.expectBad("no model", "plan");
        var tiny = tinyGguf(dir.resolve("t.gguf"));
        var cut = Files.write(dir.resolve("cut.gguf"), java.util.Arrays.copyOf(Files.readAllBytes(tiny), 60));
        CostCommandTest.expectBad("truncated", "plan", cut.toString());
    }

    @Test
    void paramsWithShape() {
        var r = CliRun.run("plan", "--params", "8.03B", "--quant", "Q8_0", "--layers", "32", "--kv-heads", "8", "--head-dim", "128",
                "--context", "8192", "--device", "rtx-4060-ti-16gb");
        assertThat(r.code()).as(r.err()).isZero();
        // 8.03e9 x 8.51 / 8 = 8.54 GB = 7.96 GiB weights + 1 GiB KV + 1 GiB overhead = 9.96 GiB of 16.
        assertThat(r.out()).contains("7.96 GiB").contains("1.00 GiB").contains("yes, 6.0 GiB spare");
    }

    @Test
    void listings() {
        var d = CliRun.run("plan", "--list-devices");
        assertThat(d.code()).isZero();
        assertThat(d.out()).contains("rtx-4090").contains("1008 GB/s").contains("source:").contains("reported (not ours)");
        var m = CliRun.run("plan", "--list-models");
        assertThat(m.code()).isZero();
        assertThat(m.out()).contains("llama-3-8b").contains("Q4_K_M");
    }

    /** A GGUF v3 file: llama, 2 layers, dim 64, 4 heads, 2 KV heads; a Q4_0 64x64 tensor and an F32 norm. */
    static Path tinyGguf(Path file) throws Exception {
        var b = new ByteArrayOutputStream();
        b.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        u32(b, 3);
        u64(b, 2);
        u64(b, 5);
        kvStr(b, "general.architecture", "llama");
        kvU32(b, "llama.block_count", 2);
        kvU32(b, "llama.attention.head_count", 4);
        kvU32(b, "llama.attention.head_count_kv", 2);
        kvU32(b, "llama.embedding_length", 64);
        str(b, "blk.0.attn_q.weight");
        u32(b, 2);
        u64(b, 64);
        u64(b, 64);
        u32(b, 2);
        u64(b, 0);
        str(b, "output_norm.weight");
        u32(b, 1);
        u64(b, 64);
        u32(b, 0);
        u64(b, 2_304);
        while (b.size() % 32 != 0) b.write(0);
        b.writeBytes(new byte[2_304 + 256]);
        return Files.write(file, b.toByteArray());
    }

    private static void kvStr(ByteArrayOutputStream b, String k, String v) {
        str(b, k);
        u32(b, 8);
        str(b, v);
    }

    private static void kvU32(ByteArrayOutputStream b, String k, long v) {
        str(b, k);
        u32(b, 4);
        u32(b, v);
    }

    private static void str(ByteArrayOutputStream b, String s) {
        var bytes = s.getBytes(StandardCharsets.UTF_8);
        u64(b, bytes.length);
        b.writeBytes(bytes);
    }

    private static void u32(ByteArrayOutputStream b, long v) {
        b.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    private static void u64(ByteArrayOutputStream b, long v) {
        b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }
}
