package dev.hearth.planner.hardware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import dev.hearth.planner.TinyGguf;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HardwarePlannerTest {
    static final double GIB = 1L << 30;
    @TempDir Path dir;

    static HardwarePlanner.Request request(ModelSpec m, long ctx, int parallel) {
        return new HardwarePlanner.Request(m, ctx, parallel, "f16", 1.0, 0.7, 0.5);
    }

    static ModelSpec model(String id, String quant) {
        return KnownModels.spec(KnownModels.byId(id), Quantization.byName(quant));
    }

    /** Llama-3-8B uses grouped-query attention: 8 KV heads of 128 for 32 query heads. */
    @Test
    void llama3KvCache() {
        var m = model("llama-3-8b", "Q4_K_M");
        // 2 (K and V) x 32 layers x 8 KV heads x 128 dims x 2 bytes = 131,072 bytes = 128 KiB per token.
        assertThat(m.kvBytesPerToken(2)).isEqualTo(131_072);
        var r = HardwarePlanner.plan(request(m, 8_192, 1), List.of(), null, null, null);
        assertThat(r.memory().kvCacheBytes()).isEqualTo(GIB); // 8,192 tokens: exactly 1 GiB
        assertThat(HardwarePlanner.plan(request(m, 8_192, 4), List.of(), null, null, null).memory().kvCacheBytes()).isEqualTo(4 * GIB);
        // Without GQA (Llama-2-7B: 32 KV heads) the same context takes 4x as much.
        assertThat(model("llama-2-7b", "Q4_K_M").kvBytesPerToken(2)).isEqualTo(524_288);
        // q8_0 cache: 34 bytes per 32 values.
        assertThat(Quantization.kvBytesPerElement("q8_0")).isEqualTo(34.0 / 32);
        assertThat(r.memory().kvFormula()).contains("2 x 32 layers x 8 KV heads x 128 head dim");
    }

    @Test
    void llama3OnRtx4090() {
        var m = model("llama-3.1-8b", "Q4_K_M");
        // 8.03e9 parameters x 4.90 bits / 8 = 4,918,375,000 bytes.
        assertThat(m.weightBytes()).isCloseTo(4_918_375_000.0, within(1e-3));
        var d = HardwareCatalog.builtIn().find("RTX 4090");
        var p = HardwarePlanner.plan(request(m, 8_192, 1), List.of(d), null, null, null).devices().getFirst();
        // Need: weights + 1 GiB KV + 1 GiB overhead = 7,065,858,648 bytes; 24 GiB usable.
        assertThat(p.needBytes()).isCloseTo(7_065_858_648.0, within(1e-3));
        assertThat(p.fits()).isTrue();
        assertThat(p.marginBytes()).isCloseTo(18_703_945_128.0, within(1e-3));
        // Largest context: (24 GiB - weights - 1 GiB) / 131,072 = 150,891.8 tokens, more than the 131,072 trained.
        assertThat(p.maxContext()).isEqualTo(131_072);
        assertThat(p.maxContextLimit()).isEqualTo("the model's trained context");
        // With 2 parallel sequences: 19,777,686,952 / (2 x 131,072) = 75,445.9 -> 75,445 tokens each.
        var p2 = HardwarePlanner.plan(request(m, 8_192, 2), List.of(d), null, null, null).devices().getFirst();
        assertThat(p2.maxContext()).isEqualTo(75_445);
        assertThat(p2.maxContextLimit()).isEqualTo("memory");
        // Decode: 0.7 x 1,008 GB/s / 4.918 GB = 143.46 tok/s.
        assertThat(p.decodeTokS()).isCloseTo(0.7 * 1008e9 / 4_918_375_000.0, within(1e-9));
        // Prefill: 0.5 x 165.2 TFLOPS / (2 x 8.03e9) = 5,143 tok/s.
        assertThat(p.prefillTokS()).isCloseTo(0.5 * 165.2e12 / (2 * 8.03e9), within(1e-6));
        // The trained context caps it for Llama 3 (8,192).
        var p3 = HardwarePlanner.plan(request(model("llama-3-8b", "Q4_K_M"), 4_096, 1), List.of(d), null, null, null).devices().getFirst();
        assertThat(p3.maxContext()).isEqualTo(8_192);
        assertThat(p3.maxContextLimit()).isEqualTo("the model's trained context");
    }

    @Test
    void seventyBDoesNotFitOn4090ButOnTwoA100s() {
        var m = model("llama-3-70b", "Q4_K_M");
        var cat = HardwareCatalog.builtIn();
        var r = HardwarePlanner.plan(request(m, 8_192, 1), List.of(cat.find("rtx-4090"), cat.find("2x-a100-80gb")), null, null, null);
        var small = r.devices().get(0);
        // 43.24 GB weights + 2.5 GiB KV (327,680 bytes x 8,192) + 1 GiB = 47.0 GB against 24 GiB: short by 19.77 GiB.
        assertThat(small.fits()).isFalse();
        assertThat(-small.marginBytes() / GIB).isCloseTo(19.7727, within(1e-4));
        assertThat(small.maxContext()).isZero();
        assertThat(small.decodeTokS()).isNull();
        var big = r.devices().get(1);
        assertThat(big.fits()).isTrue();
        assertThat(big.usableBytes()).isEqualTo(160 * GIB);
        assertThat(big.needBytes()).isCloseTo(43_242_500_000.0 + 327_680.0 * 8_192 + 2 * GIB, within(1e-3));
        // Layer split: decode at one GPU's bandwidth.
        assertThat(big.decodeTokS()).isCloseTo(0.7 * 2039e9 / 43_242_500_000.0, within(1e-9));
    }

    @Test
    void parallelSequencesShareTheWeightRead() {
        var m = model("llama-3.1-8b", "Q4_K_M");
        var d = HardwareCatalog.builtIn().find("h100-80gb");
        var p = HardwarePlanner.plan(request(m, 4_096, 8), List.of(d), null, null, null).devices().getFirst();
        double step = m.bytesReadPerToken() + 8 * 131_072.0 * 4_096;
        assertThat(p.decodeTokSFullContext()).isCloseTo(0.7 * 3350e9 / step, within(1e-9));
        assertThat(p.aggregateDecodeTokS()).isCloseTo(8 * 0.7 * 3350e9 / step, within(1e-9));
    }

    @Test
    void calibrationFixesTheEfficiency() {
        // 30 GB/s, a 0.6 GB model, 40 tok/s measured: 40 x 0.6 / 30 = 0.8 of the roofline.
        var c = new Calibration(40, 30, 0.6e9);
        assertThat(c.efficiency()).isCloseTo(0.8, within(1e-12));
        assertThat(c.predictedTokS(0.7)).isCloseTo(35, within(1e-9));
        var me = ThisMachine.device(30.0, "measured", null);
        var m = model("llama-3.2-1b", "Q4_0");
        var r = HardwarePlanner.plan(request(m, 512, 1), List.of(me), c, "bench.gguf tg128", "exact");
        assertThat(r.calibration().errorPercent()).isCloseTo(-12.5, within(1e-9));
        var p = r.devices().getFirst();
        assertThat(p.efficiencyBasis()).startsWith("calibrated");
        if (p.fits()) assertThat(p.decodeTokS()).isCloseTo(0.8 * 30e9 / m.bytesReadPerToken(), within(1e-6));
    }

    @Test
    void benchCalibrationReadsTheModelFile() throws Exception {
        var gguf = GgufHeaderTest.tiny().write(dir.resolve("tiny.gguf"));
        var bench = Files.writeString(dir.resolve("b.json"), """
                [{"model_filename":"tiny.gguf","model_size":4808,"test":"tg128","avg_ts":1000000.0,"memory_bandwidth_gbs":20.0}]""");
        var bc = BenchCalibration.read(bench, null);
        var bytes = ModelSpec.fromGguf(GgufHeader.read(gguf)).bytesReadPerToken();
        assertThat(bc.calibration().bytesPerToken()).isEqualTo(bytes);
        assertThat(bc.calibration().bandwidthGBs()).isEqualTo(20.0);
        assertThat(bc.bytesBasis()).contains("exact");
        Files.delete(gguf);
        var fallback = BenchCalibration.read(bench, 25.0);
        assertThat(fallback.calibration().bytesPerToken()).isEqualTo(4808);
        assertThat(fallback.calibration().bandwidthGBs()).isEqualTo(25.0);
        var noBw = Files.writeString(dir.resolve("nb.json"), "[{\"model_size\":1000,\"test\":\"tg128\",\"avg_ts\":10}]");
        assertThatThrownBy(() -> BenchCalibration.read(noBw, null)).hasMessageContaining("--bandwidth-gbs");
    }

    @Test
    void catalogueEntriesHaveSourcesAndSpecs() {
        var cat = HardwareCatalog.builtIn();
        assertThat(cat.devices()).extracting(Device::id).contains("m3-pro-18gb", "m3-max-48gb", "m3-max-96gb", "rtx-4090", "rtx-3090",
                "rtx-4060-ti-16gb", "2x-a100-80gb", "h100-80gb", "l4", "rtx-5090", "m4-max-36gb", "m4-max-128gb");
        assertThat(cat.devices()).allSatisfy(d -> {
            assertThat(d.source()).contains("2026-11-24");
            assertThat(d.bandwidthGbs()).isPositive();
            assertThat(d.powerW()).isPositive();
            assertThat(d.reported()).allSatisfy(x -> assertThat(x.source()).isNotBlank());
        });
        assertThat(cat.find("rtx 4090").bandwidthGbs()).isEqualTo(1008);
        assertThat(cat.find("RTX 3090").bandwidthGbs()).isEqualTo(936);
        assertThat(cat.find("m3 pro").bandwidthGbs()).isEqualTo(150);
        assertThat(cat.find("H100").bandwidthGbs()).isEqualTo(3350);
        assertThatThrownBy(() -> cat.find("voodoo 2")).isInstanceOf(PlannerInputException.class)
                .hasMessageContaining("unknown device 'voodoo 2'").hasMessageContaining("rtx-4090");
        assertThatThrownBy(() -> cat.find("a100")).hasMessageContaining("matches several devices");
    }

    @Test
    void badRequestsAreClearErrors() {
        var m = model("llama-3-8b", "Q4_K_M");
        assertThatThrownBy(() -> request(m, 0, 1)).hasMessageContaining("context length");
        assertThatThrownBy(() -> request(m, 100, 0)).hasMessageContaining("parallel sequences");
        assertThatThrownBy(() -> new HardwarePlanner.Request(m, 100, 1, "q3", 1, 0.7, 0.5)).hasMessageContaining("KV cache type");
        assertThatThrownBy(() -> Quantization.byName("Q9")).hasMessageContaining("unknown quantisation 'Q9'");
        assertThatThrownBy(() -> KnownModels.byId("gpt-5")).hasMessageContaining("unknown model 'gpt-5'");
        assertThatThrownBy(() -> ModelSpec.fromParams("x", "y", -1, Quantization.byName("Q4_0"), 1, 1, 1, 1, 0, 0))
                .hasMessageContaining("parameter count");
    }

    @Test
    void reportsRender() throws Exception {
        var m = model("llama-3-70b", "Q4_K_M");
        var cat = HardwareCatalog.builtIn();
        var r = HardwarePlanner.plan(request(m, 8_192, 1), cat.devices(), null, null, null);
        var text = PlanText.render(r);
        assertThat(text).contains("Memory need:").contains("KV cache").contains("2.50 GiB").contains("NO, short 19.8 GiB")
                .contains("80-120 tok/s, 7B-13B Q4");
        var j = Json.READER.readTree(Json.write(r));
        assertThat(j.at("/memory/kv_cache_bytes").asDouble()).isEqualTo(327_680.0 * 8_192);
        assertThat(j.at("/devices/0/fits").isBoolean()).isTrue();
    }

    @Test
    void tinyGgufPlan() throws Exception {
        var m = ModelSpec.fromGguf(GgufHeader.read(GgufHeaderTest.tiny().write(dir.resolve("t.gguf"))));
        var r = HardwarePlanner.plan(request(m, 256, 2), List.of(HardwareCatalog.builtIn().find("l4")), null, null, null);
        assertThat(r.memory().kvCacheBytes()).isEqualTo(256.0 * 256 * 2);
        assertThat(r.memory().weightsBytes()).isEqualTo(4_808);
        assertThat(r.devices().getFirst().maxContext()).isEqualTo(256); // the trained context
        assertThat(new TinyGguf()).isNotNull();
    }
}
