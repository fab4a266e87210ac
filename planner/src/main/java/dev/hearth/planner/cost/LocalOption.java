package dev.hearth.planner.cost;

import static dev.hearth.planner.PlannerInputException.requireNonNegative;
import static dev.hearth.planner.PlannerInputException.requirePositive;

import dev.hearth.planner.Fmt;
import dev.hearth.planner.PlannerInputException;

/**
 * A way to run the workload locally. Every option reduces to three numbers, which is all the cost
 * model needs: a fixed cost per device per month, a cost per busy device-hour, and how many hours a
 * month one device can work. Monthly cost = devices x fixed + busy hours x per-hour cost, where
 * devices = ceil(busy hours / usable hours per device).
 */
public sealed interface LocalOption {
    String name();

    /** Short description of the kind of option, for reports. */
    String kind();

    /** Dollars per device per month whether busy or not. */
    double fixedPerDevicePerMonth(Conventions c);

    /** Dollars per busy device-hour on top of the fixed cost. */
    double costPerBusyHour();

    /** Hours a month one device can spend on this workload. */
    double usableHoursPerDevice(Conventions c);

    /** The assumptions that make up the cost, one line. */
    String describe(Conventions c);

    /** A cloud GPU billed only for the hours it works (on-demand, scaled to zero in between). */
    record CloudPerHour(String name, double hourlyUsd) implements LocalOption {
        public CloudPerHour {
            if (name == null || name.isBlank()) name = "cloud, pay per hour of use";
            requirePositive(hourlyUsd, "hourly price of the cloud GPU");
        }

        @Override public String kind() { return "cloud, pay per hour of use"; }
        @Override public double fixedPerDevicePerMonth(Conventions c) { return 0; }
        @Override public double costPerBusyHour() { return hourlyUsd; }
        @Override public double usableHoursPerDevice(Conventions c) { return c.hoursPerMonth(); }

        @Override
        public String describe(Conventions c) {
            return Fmt.usd(hourlyUsd) + "/hour, billed for busy hours only";
        }
    }

    /** A cloud GPU rented around the clock: every hour of the month is paid, busy or not. */
    record Cloud24x7(String name, double hourlyUsd) implements LocalOption {
        public Cloud24x7 {
            if (name == null || name.isBlank()) name = "cloud, rented 24/7";
            requirePositive(hourlyUsd, "hourly price of the 24/7 cloud GPU");
        }

        @Override public String kind() { return "cloud, rented 24/7"; }
        @Override public double fixedPerDevicePerMonth(Conventions c) { return hourlyUsd * c.hoursPerMonth(); }
        @Override public double costPerBusyHour() { return 0; }
        @Override public double usableHoursPerDevice(Conventions c) { return c.hoursPerMonth(); }

        @Override
        public String describe(Conventions c) {
            return Fmt.usd(hourlyUsd) + "/hour x " + Fmt.plain(c.hoursPerMonth()) + " hours = "
                    + Fmt.usd(fixedPerDevicePerMonth(c)) + " per device per month";
        }
    }

    /**
     * Hardware you buy: the purchase price is spread evenly over the amortisation months; electricity is
     * paid at {@code powerW} while busy and {@code idleW} the rest of the month. {@code utilisation} is the
     * share of the month's hours the device can spend on this workload (1.0 = around the clock).
     */
    record Owned(String name, double purchaseUsd, double amortisationMonths, double powerW, double idleW,
                 double electricityPerKwh, double utilisation) implements LocalOption {
        public Owned {
            if (name == null || name.isBlank()) name = "owned hardware";
            requirePositive(purchaseUsd, "purchase price of the owned hardware");
            requirePositive(amortisationMonths, "amortisation months");
            requireNonNegative(powerW, "power draw (watts)");
            requireNonNegative(idleW, "idle power draw (watts)");
            requireNonNegative(electricityPerKwh, "electricity price per kWh");
            requirePositive(utilisation, "utilisation");
            if (utilisation > 1) {
                throw new PlannerInputException("utilisation is a share of the month between 0 and 1, got " + Fmt.plain(utilisation));
            }
            if (idleW > powerW) {
                throw new PlannerInputException("idle power (" + Fmt.plain(idleW) + " W) is above the power draw under load ("
                        + Fmt.plain(powerW) + " W)");
            }
        }

        @Override public String kind() { return "owned hardware"; }

        @Override
        public double fixedPerDevicePerMonth(Conventions c) {
            return purchaseUsd / amortisationMonths + idleW / 1000 * c.hoursPerMonth() * electricityPerKwh;
        }

        @Override
        public double costPerBusyHour() {
            return (powerW - idleW) / 1000 * electricityPerKwh;
        }

        @Override
        public double usableHoursPerDevice(Conventions c) {
            return c.hoursPerMonth() * utilisation;
        }

        @Override
        public String describe(Conventions c) {
            return Fmt.usd(purchaseUsd) + " over " + Fmt.plain(amortisationMonths) + " months = "
                    + Fmt.usd(purchaseUsd / amortisationMonths) + "/month; " + Fmt.plain(powerW) + " W busy"
                    + (idleW > 0 ? ", " + Fmt.plain(idleW) + " W idle" : "") + " at " + Fmt.usd(electricityPerKwh)
                    + "/kWh; usable " + Fmt.plain(utilisation * 100) + "% of " + Fmt.plain(c.hoursPerMonth()) + " hours";
        }
    }
}
