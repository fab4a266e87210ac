package dev.hearth.planner.cost;

import static dev.hearth.planner.PlannerInputException.requirePositive;

/**
 * How days and hours add up to a month. Volumes are billed per day over {@code daysPerMonth} days
 * (30 by default, so 20,000,000 tokens a day are 600,000,000 a month, as API invoices count them);
 * a device offers {@code hoursPerMonth} hours (730 by default: 365 x 24 / 12), which sizes 24/7
 * rentals, owned hardware and how many devices a workload needs.
 */
public record Conventions(double daysPerMonth, double hoursPerMonth) {
    public static final Conventions DEFAULT = new Conventions(30, 730);

    public Conventions {
        requirePositive(daysPerMonth, "days per month");
        requirePositive(hoursPerMonth, "hours per month");
        if (hoursPerMonth > 31 * 24) {
            throw new dev.hearth.planner.PlannerInputException(
                    "hours per month must be at most 744 (31 days), got " + dev.hearth.planner.Fmt.plain(hoursPerMonth));
        }
    }

    /** One line saying the convention, for reports. */
    public String describe() {
        return "a month is " + dev.hearth.planner.Fmt.plain(daysPerMonth) + " days of volume and "
                + dev.hearth.planner.Fmt.plain(hoursPerMonth) + " device-hours";
    }
}
