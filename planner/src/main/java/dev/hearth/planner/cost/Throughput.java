package dev.hearth.planner.cost;

import static dev.hearth.planner.PlannerInputException.requirePositive;

import dev.hearth.planner.Fmt;

/**
 * How many tokens one local device processes per hour, for input (prompt, prefill) and output
 * (generated, decode) tokens. Single-stream and batched figures differ by an order of magnitude on a
 * GPU, so every throughput says which it is and where it came from.
 */
public record Throughput(double inputTokensPerHour, double outputTokensPerHour, Kind kind, String description) {

    /** What the figure measures. */
    public enum Kind {
        /** Typed in without saying; treated as given. */
        TYPED("as given"),
        /** One sequence at a time (a {@code hearth bench} tg/pp figure). */
        SINGLE_STREAM("single-stream"),
        /** Many concurrent sequences (a load test's aggregate rate). */
        BATCHED("batched");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** Parses "single-stream", "single", "batched", "typed" (any case). */
        public static Kind parse(String s) {
            var t = s.trim().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            return switch (t) {
                case "single-stream", "single", "single-sequence" -> SINGLE_STREAM;
                case "batched", "batch", "concurrent" -> BATCHED;
                case "typed", "as-given", "given" -> TYPED;
                default -> throw new dev.hearth.planner.PlannerInputException(
                        "throughput kind must be single-stream or batched, got '" + s + "'");
            };
        }
    }

    public Throughput {
        requirePositive(inputTokensPerHour, "local throughput for input tokens (tokens per hour)");
        requirePositive(outputTokensPerHour, "local throughput for output tokens (tokens per hour)");
        if (kind == null) kind = Kind.TYPED;
    }

    /** One figure for all tokens, typed in. */
    public static Throughput of(double tokensPerHour, Kind kind) {
        requirePositive(tokensPerHour, "local throughput (tokens per hour)");
        return new Throughput(tokensPerHour, tokensPerHour, kind,
                Fmt.count(tokensPerHour) + " tokens/hour (" + (kind == null ? Kind.TYPED : kind).label() + ")");
    }

    /** Device-hours one item takes: input at the input rate plus output at the output rate. */
    public double hoursPerItem(Workload w) {
        return w.inputTokensPerItem() / inputTokensPerHour + w.outputTokensPerItem() / outputTokensPerHour;
    }

    /** The same throughput multiplied, for sensitivity lines. */
    public Throughput scaled(double factor) {
        return new Throughput(inputTokensPerHour * factor, outputTokensPerHour * factor, kind,
                Fmt.plain(factor) + "x " + description);
    }
}
