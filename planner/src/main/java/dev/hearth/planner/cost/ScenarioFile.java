package dev.hearth.planner.cost;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.hearth.planner.Json;
import java.nio.file.Path;
import java.util.List;

/**
 * The layout of a {@code hearth cost --scenario} file (YAML or JSON, snake_case keys). Every field is
 * optional here; {@link CostInputs#build} says which are missing. Unknown keys are rejected so that a
 * typo does not silently fall back to a default.
 */
public record ScenarioFile(String unit, Double itemsPerDay, Double inputTokensPerItem, Double outputTokensPerItem,
                           Double inputTokensPerDay, Double outputTokensPerDay, Api api, ThroughputSpec throughput,
                           List<Local> local, ConventionsSpec conventions) {

    /** {@code model} names a built-in price; the two prices override it or stand alone. */
    public record Api(String model, @JsonProperty("input_per_1m") Double inputPer1m,
                      @JsonProperty("output_per_1m") Double outputPer1m) {}

    /** Typed-in rates, or {@code result_json}: a hearth bench / load-test result, relative to the scenario file. */
    public record ThroughputSpec(Double tokensPerHour, Double inputTokensPerHour, Double outputTokensPerHour, String kind,
                                 String resultJson) {}

    /**
     * {@code type}: cloud_per_hour, cloud_24x7 or owned, with the fields that type uses; {@code throughput}
     * optionally gives this option its own rate (a different device runs at a different speed).
     */
    public record Local(String type, String name, Double hourlyUsd, Double purchaseUsd, Double amortisationMonths,
                        Double powerW, Double idleW, Double electricityPerKwh, Double utilisation, ThroughputSpec throughput) {}

    public record ConventionsSpec(Double daysPerMonth, Double hoursPerMonth) {}

    public static ScenarioFile read(Path file) {
        return Json.readFile(file, ScenarioFile.class, "scenario file");
    }
}
