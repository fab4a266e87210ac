package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostCommandTest {
    @TempDir Path dir;

    static final String[] WORKED = {"cost", "--documents-per-day", "10000", "--input-tokens", "2000", "--api-input-price", "0.15",
            "--tokens-per-hour", "500000", "--cloud-hourly", "3.00", "--cloud-name", "A100 80GB"};

    @Test
    void workedScenario() {
        var r = CliRun.run(WORKED);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("600,000,000").contains("$90.00").contains("1,200.0").contains("$3,600.00")
                .contains("2 devices (more hours than one device has in a month)").contains("never")
                .contains("$6.00 per 1M tokens").contains("the API is cheapest");
    }

    @Test
    void jsonAndChart() throws Exception {
        var chart = dir.resolve("cost.svg");
        var args = new java.util.ArrayList<>(java.util.List.of(WORKED));
        args.addAll(java.util.List.of("--json", "--chart", chart.toString(), "--owned-price", "15000", "--amortisation-months", "36",
                "--power-watts", "400", "--electricity-price", "0.15"));
        var r = CliRun.run(args.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isZero();
        var j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("monthly_tokens").asLong()).isEqualTo(600_000_000L);
        assertThat(j.at("/local/0/monthly_cost").asDouble()).isEqualTo(3600.0);
        assertThat(j.at("/local/1/kind").asText()).isEqualTo("owned hardware");
        assertThat(Files.readString(chart)).startsWith("<svg").contains("A100 80GB");
    }

    @Test
    void scenarioFileAndThroughputResult() throws Exception {
        Files.writeString(dir.resolve("load.json"), """
                {"concurrency":32,"requests":500,"aggregate_tokens_per_second":5000,"ttft_ms_p50":90,"ttft_ms_p99":400,
                 "itl_ms_p50":20,"itl_ms_p99":60,"errors":0}""");
        var f = Files.writeString(dir.resolve("s.yaml"), """
                unit: requests
                items_per_day: 50000
                input_tokens_per_item: 800
                output_tokens_per_item: 200
                api: {model: gpt-4o-mini}
                throughput: {result_json: load.json}
                local:
                  - {type: cloud_24x7, name: L4 24/7, hourly_usd: 0.80}
                """);
        var r = CliRun.run("cost", "--scenario", f.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("openai/gpt-4o-mini").contains("batched, from load.json: 32 concurrent sequences")
                .contains("L4 24/7");
    }

    @Test
    void badInputExitsTwoWithoutStackTrace() throws Exception {
        expectBad("documents per day must be a positive number, got -5",
                "cost", "--documents-per-day", "-5", "--input-tokens", "2000", "--api-input-price", "0.15", "--tokens-per-hour", "1", "--cloud-hourly", "3");
        expectBad("documents per day must be a positive number, got 0",
                "cost", "--documents-per-day", "0", "--input-tokens", "2000", "--api-input-price", "0.15", "--tokens-per-hour", "1", "--cloud-hourly", "3");
        expectBad("missing API price for input tokens",
                "cost", "--documents-per-day", "10", "--input-tokens", "2000", "--tokens-per-hour", "1", "--cloud-hourly", "3");
        expectBad("missing API price for output tokens",
                "cost", "--documents-per-day", "10", "--output-tokens", "200", "--api-input-price", "1", "--tokens-per-hour", "1", "--cloud-hourly", "3");
        expectBad("unknown API model 'gpt-9'",
                "cost", "--documents-per-day", "10", "--input-tokens", "2000", "--api", "gpt-9", "--tokens-per-hour", "1", "--cloud-hourly", "3");
        expectBad("'abc' is not a double", "cost", "--documents-per-day", "abc");
        expectBad("no local option", "cost", "--documents-per-day", "10", "--input-tokens", "2000", "--api-input-price", "0.15",
                "--tokens-per-hour", "1");
        expectBad("needs --power-watts", "cost", "--documents-per-day", "10", "--input-tokens", "2000", "--api-input-price", "0.15",
                "--tokens-per-hour", "1", "--owned-price", "100", "--amortisation-months", "12");
        expectBad("scenario file", "cost", "--scenario", dir.resolve("missing.yaml").toString());
        expectBad("cannot write the chart", "cost", "--documents-per-day", "10", "--input-tokens", "2000", "--api-input-price", "0.15",
                "--tokens-per-hour", "1", "--cloud-hourly", "3", "--chart", dir.resolve("no/such/dir/c.svg").toString());
        expectBad("ending in .svg", "cost", "--documents-per-day", "10", "--input-tokens", "2000", "--api-input-price", "0.15",
                "--tokens-per-hour", "1", "--cloud-hourly", "3", "--chart", dir.resolve("c.png").toString());
    }

    @Test
    void listApis() {
        var r = CliRun.run("cost", "--list-apis");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("openai/gpt-4o-mini").contains("$0.15").contains("2025-06-01").contains("https://openai.com/api/pricing/");
    }

    static void expectBad(String message, String... args) {
        var r = CliRun.run(args);
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).contains(message).doesNotContain("\tat ").doesNotContain("Exception");
    }
}
