package dev.hearth.planner.cost;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.planner.Fmt;
import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a local throughput from a result file: a {@code hearth bench} JSON array (llama-bench style
 * objects with {@code test} "pp512"/"tg128" and {@code avg_ts}) gives single-stream figures (pp for
 * input tokens, tg for output tokens); a load-test JSON object with {@code aggregate_tokens_per_second}
 * gives a batched figure for all tokens.
 */
public final class ThroughputResults {
    private ThroughputResults() {}

    public static Throughput read(Path file) {
        JsonNode root;
        try {
            root = Json.READER.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new PlannerInputException("throughput result file " + file + " does not exist");
        } catch (IOException e) {
            throw new PlannerInputException("throughput result file " + file + " is not readable JSON: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode()) throw new PlannerInputException("throughput result file " + file + " is empty");
        if (root.isArray()) return fromBench(root, file);
        if (root.isObject() && root.has("aggregate_tokens_per_second")) return fromLoadtest(root, file);
        throw new PlannerInputException("throughput result file " + file + " is neither a hearth bench result (a JSON array of "
                + "tests with \"test\" and \"avg_ts\") nor a load-test result (an object with \"aggregate_tokens_per_second\")");
    }

    /** A bench run's decode (tg) and prefill (pp) rates in tokens per second; either may be NaN when absent. */
    public record BenchRates(double promptTokS, String promptTest, double genTokS, String genTest, double bandwidthGBs,
                             String modelFilename, double modelSizeBytes) {}

    /** Parses a bench array (shared with the hardware planner's calibration). */
    public static BenchRates benchRates(JsonNode array, Path file) {
        double pp = Double.NaN, tg = Double.NaN, bw = Double.NaN, size = Double.NaN;
        String ppTest = null, tgTest = null, model = null;
        for (JsonNode t : array) {
            // a test after a filled context (llama-bench -d) also reads the KV cache: not the empty-context rate wanted here
            if (t.path("n_depth").asInt(0) > 0) continue;
            // nor is several sequences' aggregate (hearth bench -np): this is the single-stream rate
            if (t.path("n_parallel").asInt(1) > 1) continue;
            var test = t.path("test").asText("");
            double ts = t.path("avg_ts").asDouble(Double.NaN);
            if (t.has("memory_bandwidth_gbs") && Double.isNaN(bw)) bw = t.path("memory_bandwidth_gbs").asDouble(Double.NaN);
            if (model == null && t.has("model_filename")) model = t.path("model_filename").asText();
            if (Double.isNaN(size) && t.has("model_size")) size = t.path("model_size").asDouble(Double.NaN);
            if (test.startsWith("tg") && Double.isNaN(tg)) {
                tg = ts;
                tgTest = test;
            } else if (test.startsWith("pp") && Double.isNaN(pp)) {
                pp = ts;
                ppTest = test;
            } else if (test.isEmpty()) {
                // llama-bench without a "test" key: n_prompt>0 and n_gen==0 is pp, the reverse tg.
                int np = t.path("n_prompt").asInt(0), ng = t.path("n_gen").asInt(0);
                if (ng > 0 && np == 0 && Double.isNaN(tg)) {
                    tg = ts;
                    tgTest = "tg" + ng;
                } else if (np > 0 && ng == 0 && Double.isNaN(pp)) {
                    pp = ts;
                    ppTest = "pp" + np;
                }
            }
        }
        if (!Double.isNaN(tg) && !(tg > 0)) throw new PlannerInputException("bench result " + file + ": " + tgTest + " avg_ts must be positive");
        if (!Double.isNaN(pp) && !(pp > 0)) throw new PlannerInputException("bench result " + file + ": " + ppTest + " avg_ts must be positive");
        return new BenchRates(pp, ppTest, tg, tgTest, bw, model, size);
    }

    private static Throughput fromBench(JsonNode array, Path file) {
        var r = benchRates(array, file);
        if (Double.isNaN(r.genTokS())) {
            throw new PlannerInputException("bench result " + file + " has no token-generation test (\"test\": \"tg128\" with \"avg_ts\"); "
                    + "run hearth bench with a generation test, or give --tokens-per-hour");
        }
        double out = r.genTokS() * 3600;
        double in = Double.isNaN(r.promptTokS()) ? out : r.promptTokS() * 3600;
        var desc = "single-stream, from " + file.getFileName() + ": " + r.genTest() + " " + Fmt.num(r.genTokS(), 1)
                + " tok/s = " + Fmt.count(out) + " output tokens/hour; "
                + (Double.isNaN(r.promptTokS())
                        ? "no prompt test, so input tokens use the same rate"
                        : r.promptTest() + " " + Fmt.num(r.promptTokS(), 1) + " tok/s = " + Fmt.count(in) + " input tokens/hour");
        return new Throughput(in, out, Throughput.Kind.SINGLE_STREAM, desc);
    }

    private static Throughput fromLoadtest(JsonNode o, Path file) {
        double agg = o.path("aggregate_tokens_per_second").asDouble(Double.NaN);
        if (!(agg > 0)) {
            throw new PlannerInputException("load-test result " + file + ": aggregate_tokens_per_second must be a positive number");
        }
        int conc = o.path("concurrency").asInt(0);
        long errors = o.path("errors").asLong(0);
        double tph = agg * 3600;
        var desc = "batched, from " + file.getFileName() + ": " + (conc > 0 ? conc + " concurrent sequences, " : "")
                + "aggregate " + Fmt.num(agg, 1) + " tok/s = " + Fmt.count(tph) + " tokens/hour, applied to input and output tokens"
                + (errors > 0 ? " (the load test reported " + errors + " errors)" : "");
        return new Throughput(tph, tph, Throughput.Kind.BATCHED, desc);
    }
}
