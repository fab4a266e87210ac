package dev.hearth.planner.cost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Result files, scenario files, the text and JSON reports and the chart. */
class CostIoTest {
    @TempDir Path dir;

    static final String BENCH = """
            [{"model_filename":"m.gguf","model_type":"llama 1B Q4_0","model_size":651000000,"model_n_params":1100000000,
              "n_threads":2,"n_prompt":512,"n_gen":0,"test":"pp512","avg_ts":500.0,"stddev_ts":5.0,"memory_bandwidth_gbs":30.5},
             {"model_filename":"m.gguf","model_type":"llama 1B Q4_0","model_size":651000000,"model_n_params":1100000000,
              "n_threads":2,"n_prompt":0,"n_gen":128,"test":"tg128","avg_ts":50.0,"stddev_ts":1.0,"memory_bandwidth_gbs":30.5}]
            """;

    @Test
    void benchResultIsSingleStream() throws Exception {
        var f = Files.writeString(dir.resolve("bench.json"), BENCH);
        var t = ThroughputResults.read(f);
        assertThat(t.kind()).isEqualTo(Throughput.Kind.SINGLE_STREAM);
        assertThat(t.outputTokensPerHour()).isEqualTo(180_000.0);
        assertThat(t.inputTokensPerHour()).isEqualTo(1_800_000.0);
        assertThat(t.description()).contains("single-stream").contains("tg128 50.0 tok/s").contains("pp512 500.0 tok/s");
    }

    @Test
    void loadtestResultIsBatched() throws Exception {
        var f = Files.writeString(dir.resolve("load.json"), """
                {"concurrency":16,"requests":200,"aggregate_tokens_per_second":400.0,"ttft_ms_p50":80,"ttft_ms_p99":300,
                 "itl_ms_p50":30,"itl_ms_p99":90,"errors":0}""");
        var t = ThroughputResults.read(f);
        assertThat(t.kind()).isEqualTo(Throughput.Kind.BATCHED);
        assertThat(t.outputTokensPerHour()).isEqualTo(1_440_000.0);
        assertThat(t.description()).contains("batched").contains("16 concurrent sequences");
    }

    @Test
    void badResultFilesAreClearErrors() throws Exception {
        assertThatThrownBy(() -> ThroughputResults.read(dir.resolve("missing.json")))
                .isInstanceOf(PlannerInputException.class).hasMessageContaining("does not exist");
        var junk = Files.writeString(dir.resolve("junk.json"), "{not json");
        assertThatThrownBy(() -> ThroughputResults.read(junk)).hasMessageContaining("not readable JSON");
        var other = Files.writeString(dir.resolve("other.json"), "{\"a\":1}");
        assertThatThrownBy(() -> ThroughputResults.read(other)).hasMessageContaining("neither a hearth bench result");
        var noTg = Files.writeString(dir.resolve("pp.json"), "[{\"test\":\"pp512\",\"avg_ts\":100}]");
        assertThatThrownBy(() -> ThroughputResults.read(noTg)).hasMessageContaining("no token-generation test");
    }

    @Test
    void yamlScenarioFile() throws Exception {
        Files.writeString(dir.resolve("bench.json"), BENCH);
        var f = Files.writeString(dir.resolve("s.yaml"), """
                unit: documents
                items_per_day: 10000
                input_tokens_per_item: 2000
                api:
                  input_per_1m: 0.15
                throughput:
                  tokens_per_hour: 500000
                local:
                  - {type: cloud_per_hour, name: A100, hourly_usd: 3.00}
                  - {type: owned, name: box, purchase_usd: 1600, amortisation_months: 24, power_w: 450, electricity_per_kwh: 0.30,
                     throughput: {tokens_per_hour: 1000000, kind: batched}}
                """);
        var s = CostInputs.fromFile(f).build();
        assertThat(s.local()).hasSize(2);
        var r = CostModel.evaluate(s);
        assertThat(r.api().monthlyCost()).isCloseTo(90, within(1e-9));
        assertThat(r.local().getFirst().monthlyCost()).isCloseTo(3_600, within(1e-9));
        // The owned box has its own (batched) throughput: 600 busy hours, $66.67 + $81.00.
        assertThat(r.local().get(1).deviceHoursPerMonth()).isCloseTo(600, within(1e-9));
        assertThat(r.local().get(1).monthlyCost()).isCloseTo(1_600.0 / 24 + 81, within(1e-9));
        assertThat(r.local().get(1).throughput().kind()).isEqualTo("batched");
        assertThat(CostText.render(r)).contains("its own throughput: 1,000,000 tokens/hour (batched)");

        var typo = Files.writeString(dir.resolve("t.yaml"), "items_per_dya: 5\n");
        assertThatThrownBy(() -> CostInputs.fromFile(typo)).isInstanceOf(PlannerInputException.class)
                .hasMessageContaining("items_per_dya");
        var noType = Files.writeString(dir.resolve("n.json"), "{\"local\":[{\"hourly_usd\":3}]}");
        assertThatThrownBy(() -> CostInputs.fromFile(noType)).hasMessageContaining("local[0]: missing type");
    }

    @Test
    void textReportShowsTheConsistentFigures() {
        var r = CostModelTest.worked(new LocalOption.CloudPerHour("A100 80GB", 3.00), new LocalOption.Cloud24x7("A100 24/7", 3.00));
        var text = CostText.render(r);
        assertThat(text).contains("600,000,000").contains("$90.00").contains("1,200.0").contains("$3,600.00")
                .contains("$4,380.00").contains("more hours than one device has in a month").contains("never")
                .contains("30 days").contains("730 device-hours").contains("Sensitivity").contains("10x never ($0.60/1M)");
    }

    @Test
    void jsonReportHasSnakeCaseFields() throws Exception {
        var r = CostModelTest.worked(new LocalOption.CloudPerHour("A100 80GB", 3.00));
        JsonNode j = Json.READER.readTree(Json.write(r));
        assertThat(j.get("monthly_tokens").asDouble()).isEqualTo(600_000_000.0);
        assertThat(j.at("/api/monthly_cost").asDouble()).isCloseTo(90, within(1e-9));
        assertThat(j.at("/api/input_per_1m").asDouble()).isEqualTo(0.15);
        assertThat(j.at("/local/0/device_hours_per_month").asDouble()).isCloseTo(1200, within(1e-9));
        assertThat(j.at("/local/0/devices").asInt()).isEqualTo(2);
        assertThat(j.at("/local/0/break_even/verdict").asText()).isEqualTo("never");
        assertThat(j.at("/local/0/break_even/items_per_day").isNull()).isTrue();
        assertThat(j.at("/conventions/hours_per_month").asDouble()).isEqualTo(730);
        assertThat(j.at("/throughput/kind").asText()).isEqualTo("as given");
    }

    @Test
    void svgChart() {
        var owned = new LocalOption.Owned("box", 1_600, 24, 450, 0, 0.30, 1.0);
        var api = new ApiPrice("gpt-4o", 2.50, 10.00, "test", null);
        var s = new CostScenario(CostModelTest.DOCS, api, Throughput.of(1_000_000, Throughput.Kind.BATCHED),
                List.of(owned, new LocalOption.CloudPerHour("A100", 3)), Conventions.DEFAULT);
        var svg = CostChart.svg(s, CostModel.evaluate(s), 0);
        assertThat(svg).startsWith("<svg").endsWith("</svg>\n");
        assertThat(svg.split("<polyline", -1)).hasSize(4); // API + 2 options
        assertThat(svg).contains("API (gpt-4o)").contains("box (break-even: 470)").contains("<circle");
        assertThat(CostChart.niceCeil(3_700)).isEqualTo(5_000);
        assertThat(CostChart.niceCeil(20_000)).isEqualTo(20_000);
    }
}
