package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.kernel.JitWatch;
import dev.hearth.planner.cost.ThroughputResults;
import dev.hearth.planner.hardware.BenchCalibration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
    @TempDir static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() throws Exception {
        model = TinyModelFile.write(dir.resolve("tiny.gguf"));
    }

    @Test
    void markdownTableAsLlamaBenchWithRoofline() {
        var r = CliRun.run("bench", "-m", model.toString(), "-p", "16,32", "-n", "8", "-t", "1,2", "-r", "2", "--bandwidth-mib", "16", "--warmup-seconds", "0", "--warmup-max-seconds", "0");
        assertThat(r.code()).as(r.err()).isZero();
        var lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo("| model                          |       size |     params | backend    | threads |"
                + "            test |                  t/s |");
        assertThat(lines.get(1)).isEqualTo("| ------------------------------ | ---------: | ---------: | ---------- | ------: |"
                + " --------------: | -------------------: |");
        // threads x (pp16, pp32, tg8), in llama-bench's order.
        List<String> rows = new ArrayList<>();
        for (String l : lines.subList(2, lines.size())) if (l.startsWith("| ")) rows.add(l);
        assertThat(rows).hasSize(6);
        assertThat(rows.get(0)).startsWith("| llama ").contains(" all F32 ").contains("|       1 |").contains("|            pp16 |");
        assertThat(rows.get(2)).contains("|       1 |").contains("|             tg8 |").containsPattern("\\d+\\.\\d\\d ± \\d+\\.\\d\\d \\|$");
        assertThat(rows.get(3)).contains("|       2 |").contains("|            pp16 |");
        assertThat(r.out()).contains("memory bandwidth: ").contains("(1 threads, best of 10 passes over 16.0 MiB, before and after the tests)")
                .contains("(2 threads, best of 10 passes over 16.0 MiB, before and after the tests)");
        assertThat(r.out().lines().filter(l -> l.startsWith("roofline: tiny.gguf reads ")).count()).isEqualTo(2);
        // a tiny model fits in any CPU cache: where the system gives the cache's size, the line says so
        boolean known = dev.hearth.engine.bench.CacheSize.lastLevelBytes().isPresent();
        assertThat(r.out().lines().filter(l -> l.startsWith("roofline: ") && l.contains(" cache, so the weights may partly come from it")).count())
                .isEqualTo(known ? 2 : 0);
    }

    /** The roofline's cache note: only where the bytes per token fit in a cache of known size. */
    @Test
    void rooflineNotesAModelThatFitsInTheCache() {
        var l3 = java.util.OptionalLong.of(32L << 20);
        assertThat(BenchCommand.cacheNote(12L << 20, l3)).isEqualTo("; 12.0 MiB fit in this CPU's 32.0 MiB cache, so the weights may partly come from it and the fraction pass 100%");
        assertThat(BenchCommand.cacheNote(600L << 20, l3)).isEmpty();
        assertThat(BenchCommand.cacheNote(12L << 20, java.util.OptionalLong.empty())).isEmpty();
    }

    /** Timed runs that allocated like boxed kernels get a warning on stderr; normal ones, and uncounted ones, none. */
    @Test
    void heavyAllocationPerTokenIsFlaggedAsBoxing() {
        var test = dev.hearth.engine.bench.BenchTest.gen(64);
        long weights = 600L << 20, runs = 2;
        var boxed = new dev.hearth.engine.bench.BenchResult(test, 2, new long[] {1, 1}, 0, 350L * 1024 * 1024 * 64 * runs);
        assertThat(BenchCommand.boxingWarning(boxed, weights)).contains("tg64 allocated 350.0 MiB of heap per token (58% of the weight bytes")
                .contains("boxes its vectors").contains("run it again");
        var normal = new dev.hearth.engine.bench.BenchResult(test, 2, new long[] {1, 1}, 0, 14L * 1024 * 1024 * 64 * runs);
        assertThat(BenchCommand.boxingWarning(normal, weights)).isNull();
        assertThat(BenchCommand.boxingWarning(new dev.hearth.engine.bench.BenchResult(test, 2, new long[] {1, 1}, 0), weights)).isNull();
        // a tiny model: most of its weights' size per token, but under the floor
        assertThat(BenchCommand.boxingWarning(new dev.hearth.engine.bench.BenchResult(test, 2, new long[] {1, 1}, 0, 340L * 1024 * 64 * runs), 370L * 1024)).isNull();
    }

    @Test
    void jsonWithLlamaBenchKeysThatThePlannerReads() throws Exception {
        var r = CliRun.run("bench", "-m", model.toString(), "-p", "16", "-n", "8", "-t", "2", "-r", "3", "-o", "json", "--bandwidth-mib", "16", "--warmup-seconds", "0.2", "--warmup-max-seconds", "0");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out());
        assertThat(rows.isArray()).isTrue();
        assertThat(rows).hasSize(2);
        JsonNode pp = rows.get(0), tg = rows.get(1);
        for (String key : List.of("model_filename", "model_type", "model_size", "model_n_params", "n_threads", "n_prompt", "n_gen",
                "test", "avg_ts", "stddev_ts", "samples_ts", "avg_ns", "stddev_ns", "memory_bandwidth_gbs")) {
            assertThat(pp.has(key)).as(key).isTrue();
            assertThat(tg.has(key)).as(key).isTrue();
        }
        assertThat(pp.get("test").asText()).isEqualTo("pp16");
        assertThat(pp.get("n_prompt").asInt()).isEqualTo(16);
        assertThat(pp.get("n_gen").asInt()).isZero();
        assertThat(pp.get("roofline_fraction").isNull()).isTrue();
        assertThat(tg.get("test").asText()).isEqualTo("tg8");
        assertThat(tg.get("n_threads").asInt()).isEqualTo(2);
        assertThat(tg.get("model_filename").asText()).isEqualTo(model.toString());
        assertThat(tg.get("samples_ts")).hasSize(3);
        assertThat(tg.get("warmup_ts").asDouble()).isPositive();
        double mean = 0;
        for (JsonNode s : tg.get("samples_ts")) mean += s.asDouble() / 3;
        assertThat(tg.get("avg_ts").asDouble()).isCloseTo(mean, org.assertj.core.data.Percentage.withPercentage(0.01));
        double bw = tg.get("memory_bandwidth_gbs").asDouble();
        assertThat(bw).isPositive();
        // roofline = bandwidth / bytes per token; the fraction is tg / roofline.
        assertThat(tg.get("roofline_ts").asDouble()).isCloseTo(bw * 1e9 / tg.get("bytes_per_token").asDouble(),
                org.assertj.core.data.Percentage.withPercentage(0.01));
        assertThat(tg.get("roofline_fraction").asDouble()).isCloseTo(tg.get("avg_ts").asDouble() / tg.get("roofline_ts").asDouble(),
                org.assertj.core.data.Offset.offset(1e-4));
        // heap allocated per token of the timed runs (HotSpot counts it), and the warning exactly when it passes the
        // thresholds (a tiny model after 0.2 s of warm-up is still partly in the interpreter: 0.35-1.6 MB per token seen)
        assertThat(tg.get("alloc_bytes_per_token").isNumber()).as(tg.toString()).isTrue();
        double alloc = tg.get("alloc_bytes_per_token").asDouble();
        assertThat(alloc).isNotNegative();
        boolean boxed = alloc > JitWatch.BOXING_SHARE * tg.get("bytes_per_token").asDouble() && alloc > JitWatch.BOXING_FLOOR;
        assertThat(r.err().contains("tg8 allocated")).as(r.err()).isEqualTo(boxed);

        // The planner's readers take this file as it is.
        Path file = Files.writeString(dir.resolve("bench.json"), r.out());
        var cal = BenchCalibration.read(file, null);
        assertThat(cal.calibration().measuredDecodeTokS()).isEqualTo(tg.get("avg_ts").asDouble());
        assertThat(cal.calibration().bandwidthGBs()).isEqualTo(bw);
        assertThat(cal.promptTokS()).isEqualTo(pp.get("avg_ts").asDouble());
        assertThat(cal.bytesBasis()).contains("exact");
        assertThat(ThroughputResults.read(file).description()).contains("tg8").contains("pp16");
    }

    /** {@code -d}: tests after that many tokens of context, named as llama-bench names them; the planner keeps to depth 0. */
    @Test
    void depthRunsEachTestAfterAFilledContext() throws Exception {
        var r = CliRun.run("bench", "-m", model.toString(), "-p", "0", "-n", "4", "-d", "24,0", "-r", "2", "-o", "json", "--bandwidth-mib", "16", "--warmup-seconds", "0", "--warmup-max-seconds", "0");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out());
        assertThat(rows).hasSize(2);
        JsonNode deep = rows.get(0), empty = rows.get(1);
        assertThat(deep.get("test").asText()).isEqualTo("tg4 @ d24");
        assertThat(deep.get("n_depth").asInt()).isEqualTo(24);
        assertThat(deep.get("n_gen").asInt()).isEqualTo(4);
        assertThat(deep.get("avg_ts").asDouble()).isPositive();
        // the roofline counts weight bytes only, so it is not given where the KV cache is read too
        assertThat(deep.get("roofline_fraction").isNull()).isTrue();
        assertThat(empty.get("test").asText()).isEqualTo("tg4");
        assertThat(empty.get("n_depth").asInt()).isZero();
        assertThat(empty.get("roofline_fraction").asDouble()).isPositive();

        Path file = Files.writeString(dir.resolve("bench-depth.json"), r.out());
        assertThat(BenchCalibration.read(file, null).calibration().measuredDecodeTokS()).isEqualTo(empty.get("avg_ts").asDouble());
        assertThat(ThroughputResults.read(file).description()).contains("tg4").doesNotContain("@ d24");

        var md = CliRun.run("bench", "-m", model.toString(), "-p", "8", "-n", "0", "-d", "16", "-r", "1", "--no-bandwidth", "--no-warmup");
        assertThat(md.code()).as(md.err()).isZero();
        assertThat(md.out()).contains("|       pp8 @ d16 |");
    }

    /**
     * {@code -np}: tg tests of several sequences decoding together, their aggregate rate, no roofline (the weights are
     * read once for all of them); the planner's single-stream readers skip them.
     */
    @Test
    void parallelSequencesGiveAggregateDecodeRates() throws Exception {
        var r = CliRun.run("bench", "-m", model.toString(), "-p", "8", "-n", "4", "-np", "1,3", "-d", "0,8", "-r", "2", "-o", "json",
                "--bandwidth-mib", "16", "--warmup-seconds", "0", "--warmup-max-seconds", "0");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out());
        List<String> names = new ArrayList<>();
        for (JsonNode row : rows) names.add(row.get("test").asText());
        // pp tests once per depth; tg tests per depth and number of sequences
        assertThat(names).containsExactly("pp8", "pp8 @ d8", "tg4", "tg4 x3", "tg4 @ d8", "tg4 x3 @ d8");
        JsonNode three = rows.get(3);
        assertThat(three.get("n_parallel").asInt()).isEqualTo(3);
        assertThat(three.get("n_gen").asInt()).isEqualTo(4);
        assertThat(three.get("avg_ts").asDouble()).isPositive();
        assertThat(three.get("roofline_fraction").isNull()).isTrue();
        assertThat(rows.get(2).get("n_parallel").asInt()).isEqualTo(1);
        assertThat(rows.get(2).get("roofline_fraction").asDouble()).isPositive();

        Path file = Files.writeString(dir.resolve("bench-parallel.json"), r.out());
        assertThat(BenchCalibration.read(file, null).calibration().measuredDecodeTokS()).isEqualTo(rows.get(2).get("avg_ts").asDouble());
        // a file with only the aggregate rows has no single-stream decode rate for the planner
        var onlyTogether = new ObjectMapper().createArrayNode().add(three);
        Path agg = Files.writeString(dir.resolve("bench-aggregate.json"), onlyTogether.toString());
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> BenchCalibration.read(agg, null))).hasMessageContaining("no token-generation test");

        var md = CliRun.run("bench", "-m", model.toString(), "-p", "0", "-n", "4", "-np", "2", "-r", "1", "--bandwidth-mib", "16", "--no-warmup");
        assertThat(md.code()).as(md.err()).isZero();
        assertThat(md.out()).contains("|          tg4 x2 |").doesNotContain("roofline: ");
    }

    @Test
    void csvAndJsonLines() throws Exception {
        var csv = CliRun.run("bench", "-m", model.toString(), "-p", "8", "-n", "4", "-r", "1", "-o", "csv", "--no-bandwidth", "--no-warmup");
        assertThat(csv.code()).as(csv.err()).isZero();
        var lines = csv.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("build_commit,cpu_info,backends,model_filename,model_type,model_size,model_n_params,")
                .contains(",test,").contains(",avg_ts,stddev_ts,samples_ns,samples_ts,").contains("memory_bandwidth_gbs");
        assertThat(lines.get(1)).contains(",pp8,");
        assertThat(lines.get(2)).contains(",tg4,");

        var jsonl = CliRun.run("bench", "-m", model.toString(), "-p", "8", "-n", "0", "-r", "1", "-o", "jsonl", "--no-bandwidth");
        assertThat(jsonl.code()).as(jsonl.err()).isZero();
        var rows = jsonl.out().lines().toList();
        assertThat(rows).hasSize(1);
        var row = new ObjectMapper().readTree(rows.get(0));
        assertThat(row.get("test").asText()).isEqualTo("pp8");
        assertThat(row.get("memory_bandwidth_gbs").isNull()).isTrue();
    }

    @Test
    void badInputExitsTwo() {
        CostCommandTest.expectBad("-o must be md, json, jsonl or csv", "bench", "-m", model.toString(), "-o", "xml");
        CostCommandTest.expectBad("nothing to run", "bench", "-m", model.toString(), "-p", "0", "-n", "0");
        CostCommandTest.expectBad("-r must be at least 1", "bench", "-m", model.toString(), "-r", "0");
        CostCommandTest.expectBad("--warmup-seconds must not be negative", "bench", "-m", model.toString(), "--warmup-seconds", "-1");
        CostCommandTest.expectBad("--warmup-max-seconds must not be negative", "bench", "-m", model.toString(), "--warmup-max-seconds", "-0.5");
        CostCommandTest.expectBad("-t must be at least 1", "bench", "-m", model.toString(), "-t", "0");
        CostCommandTest.expectBad("-d must not be negative", "bench", "-m", model.toString(), "-d", "-1");
        CostCommandTest.expectBad("-np must be at least 1", "bench", "-m", model.toString(), "-np", "0");
        CostCommandTest.expectBad("model file not found", "bench", "-m", dir.resolve("missing.gguf").toString());
    }

    /** {@code hearth plan --calibrate} runs the short bench here and reports predicted vs measured. */
    @Test
    void planCalibrateMeasuresHere() {
        var r = CliRun.run("plan", model.toString(), "--calibrate", "--device", "this-machine");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("hearth plan --calibrate: tiny.gguf here with").contains("pp64").contains("tg32");
        assertThat(r.out()).contains("Calibration on this machine (tiny.gguf tg32 (hearth bench --calibrate))")
                .contains("exact, from tiny.gguf's tensors").contains("calibrated efficiency");
        CostCommandTest.expectBad("--bench-json", "plan", "--model", "llama-3-8b", "--calibrate");
    }
}
