package dev.hearth.planner.cost;

import static dev.hearth.planner.PlannerInputException.requireNonNegative;

/**
 * What a hosted API charges, in US dollars per 1,000,000 tokens.
 *
 * @param name the model or a label ("custom" when typed in)
 * @param source where the price was read (a pricing page) or "given on the command line"
 * @param asOf when the price was taken (ISO date), or null for typed-in prices
 */
public record ApiPrice(String name, double inputPer1M, double outputPer1M, String source, String asOf) {
    public ApiPrice {
        requireNonNegative(inputPer1M, "API price per 1M input tokens");
        requireNonNegative(outputPer1M, "API price per 1M output tokens");
    }

    /** Dollars for one item of the workload. */
    public double perItem(Workload w) {
        return (w.inputTokensPerItem() * inputPer1M + w.outputTokensPerItem() * outputPer1M) / 1e6;
    }
}
