package dev.hearth.planner.cost;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The result of {@link CostModel#evaluate}: monthly volumes, API cost, and per local option its cost,
 * device-hours, devices and break-even volume. Field names become snake_case in {@code --json} output.
 */
public record CostReport(Conventions conventions, String unit, double itemsPerDay, double inputTokensPerItem,
                         double outputTokensPerItem, double monthlyInputTokens, double monthlyOutputTokens,
                         double monthlyTokens, Api api, ThroughputUsed throughput, List<Local> local) {

    /** The hosted API's side. */
    public record Api(String name, @JsonProperty("input_per_1m") double inputPer1m,
                      @JsonProperty("output_per_1m") double outputPer1m, String source, String asOf, double monthlyCost,
                      @JsonProperty("cost_per_1m_tokens") double costPer1mTokens) {}

    /** The throughput used and whether it is single-stream or batched. */
    public record ThroughputUsed(String kind, double inputTokensPerHour, double outputTokensPerHour, String description) {}

    /** One local option at the scenario's volume; {@code throughput} is set when it has its own. */
    public record Local(String name, String kind, String assumptions, ThroughputUsed throughput, double deviceHoursPerMonth,
                        double usableHoursPerDevice, int devices, boolean exceedsOneDevice, double monthlyCost,
                        @JsonProperty("cost_per_1m_tokens") double costPer1mTokens,
                        @JsonProperty("fully_used_cost_per_1m_tokens") double fullyUsedCostPer1mTokens, double monthlySavingVsApi,
                        BreakEven breakEven, List<Sensitivity> sensitivity) {}

    /**
     * The lowest daily volume at which the option costs no more than the API.
     *
     * @param itemsPerDay the volume, 0 when local is cheaper at any volume, null when it never is
     * @param verdict "from", "any volume" or "never"
     * @param reason one sentence with the numbers behind the verdict
     */
    public record BreakEven(Double itemsPerDay, String verdict, String reason) {
        public boolean never() {
            return itemsPerDay == null;
        }
    }

    /** The break-even if local throughput were {@code throughputFactor} times higher, and the best cost per 1M then. */
    public record Sensitivity(double throughputFactor, BreakEven breakEven,
                              @JsonProperty("fully_used_cost_per_1m_tokens") double fullyUsedCostPer1mTokens) {}
}
