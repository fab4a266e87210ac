package dev.hearth.planner;

/**
 * Bad input to the planner: a missing or out-of-range value, an unreadable file, an unknown name.
 * It is an {@link IllegalArgumentException} so that the CLI maps it to exit code 2; the message says
 * what is wrong and what to do, and is meant to be shown to the user as it is.
 */
public class PlannerInputException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public PlannerInputException(String message) {
        super(message);
    }

    public PlannerInputException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Checks that a value is finite and strictly positive. */
    public static double requirePositive(double value, String what) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new PlannerInputException(what + " must be a positive number, got " + Fmt.plain(value));
        }
        return value;
    }

    /** Checks that a value is finite and zero or more. */
    public static double requireNonNegative(double value, String what) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new PlannerInputException(what + " must be zero or more, got " + Fmt.plain(value));
        }
        return value;
    }
}
