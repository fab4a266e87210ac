package dev.hearth.planner.cost;

import static dev.hearth.planner.PlannerInputException.requireNonNegative;
import static dev.hearth.planner.PlannerInputException.requirePositive;

import dev.hearth.planner.PlannerInputException;

/**
 * A daily workload: {@code itemsPerDay} documents or requests, each with input (prompt) and output
 * (generated) tokens. When only tokens per day are known, an item is one token (see {@link #ofTokensPerDay}).
 *
 * @param unit what an item is, plural ("documents", "requests", "tokens"), used in reports
 */
public record Workload(String unit, double itemsPerDay, double inputTokensPerItem, double outputTokensPerItem) {

    public Workload {
        if (unit == null || unit.isBlank()) unit = "items";
        requirePositive(itemsPerDay, unit + " per day");
        requireNonNegative(inputTokensPerItem, "input tokens per item");
        requireNonNegative(outputTokensPerItem, "output tokens per item");
        if (inputTokensPerItem + outputTokensPerItem <= 0) {
            throw new PlannerInputException("each item needs some tokens: input and output tokens per item are both 0");
        }
    }

    /** A workload given as tokens per day; break-even volumes are then in tokens per day. */
    public static Workload ofTokensPerDay(double inputTokensPerDay, double outputTokensPerDay) {
        requireNonNegative(inputTokensPerDay, "input tokens per day");
        requireNonNegative(outputTokensPerDay, "output tokens per day");
        double total = inputTokensPerDay + outputTokensPerDay;
        if (total <= 0) throw new PlannerInputException("tokens per day must be more than 0 (input + output)");
        return new Workload("tokens", total, inputTokensPerDay / total, outputTokensPerDay / total);
    }

    public double tokensPerItem() {
        return inputTokensPerItem + outputTokensPerItem;
    }

    /** The same workload at another daily volume. */
    public Workload withItemsPerDay(double perDay) {
        return new Workload(unit, perDay, inputTokensPerItem, outputTokensPerItem);
    }
}
