package dev.hearth.planner.cost;

import dev.hearth.planner.Fmt;
import java.util.ArrayList;
import java.util.List;

/**
 * API versus local cost, in consistent units: dollars per month for a daily volume.
 *
 * <p>For a volume of {@code v} items a day, with {@code D} days a month:
 * <ul>
 * <li>API: {@code v x D x (in x p_in + out x p_out) / 1e6} dollars.
 * <li>Local busy hours: {@code v x D x (in / T_in + out / T_out)}, the throughputs in tokens per hour.
 * <li>Devices: {@code ceil(busy hours / usable hours per device)} (730 hours a month at most).
 * <li>Local cost: {@code devices x fixed per device + busy hours x cost per busy hour}.
 * </ul>
 * Break-even: with {@code a} = API dollars and {@code m} = local busy-hour dollars per unit of daily
 * volume, a device's fixed cost {@code F} and capacity {@code cap} items a day, local is never cheaper
 * when a fully used device costs as much per token as the API ({@code F >= (a - m) x cap}, or
 * {@code m >= a}); otherwise it is cheaper from {@code F / (a - m)} items a day.
 */
public final class CostModel {
    /** Throughput multiples reported in the sensitivity line. */
    public static final double[] SENSITIVITY_FACTORS = {2, 10};

    private CostModel() {}

    public static CostReport evaluate(CostScenario s) {
        var w = s.workload();
        var c = s.conventions();
        double monthlyItems = w.itemsPerDay() * c.daysPerMonth();
        double inTok = monthlyItems * w.inputTokensPerItem();
        double outTok = monthlyItems * w.outputTokensPerItem();
        double tokens = inTok + outTok;
        double apiMonthly = monthlyItems * s.api().perItem(w);
        var api = new CostReport.Api(s.api().name(), s.api().inputPer1M(), s.api().outputPer1M(), s.api().source(),
                s.api().asOf(), apiMonthly, apiMonthly / tokens * 1e6);
        var t0 = s.throughput();
        var used = new CostReport.ThroughputUsed(t0.kind().label(), t0.inputTokensPerHour(), t0.outputTokensPerHour(),
                t0.description());

        var locals = new ArrayList<CostReport.Local>();
        for (int i = 0; i < s.local().size(); i++) {
            var opt = s.local().get(i);
            var t = s.throughputOf(i);
            double busy = monthlyItems * t.hoursPerItem(w);
            double usable = opt.usableHoursPerDevice(c);
            int devices = devices(busy, usable);
            double cost = monthlyCost(opt, c, busy);
            double fullPer1M = fullyUsedCostPer1M(opt, c, w, t);
            var sens = new ArrayList<CostReport.Sensitivity>();
            for (double f : SENSITIVITY_FACTORS) {
                var tf = t.scaled(f);
                sens.add(new CostReport.Sensitivity(f, breakEven(opt, s.api(), w, tf, c), fullyUsedCostPer1M(opt, c, w, tf)));
            }
            var own = t == t0 ? null : new CostReport.ThroughputUsed(t.kind().label(), t.inputTokensPerHour(),
                    t.outputTokensPerHour(), t.description());
            locals.add(new CostReport.Local(opt.name(), opt.kind(), opt.describe(c), own, busy, usable, devices,
                    busy > c.hoursPerMonth() + 1e-9, cost, cost / tokens * 1e6, fullPer1M, apiMonthly - cost,
                    breakEven(opt, s.api(), w, t, c), List.copyOf(sens)));
        }
        return new CostReport(c, w.unit(), w.itemsPerDay(), w.inputTokensPerItem(), w.outputTokensPerItem(), inTok, outTok,
                tokens, api, used, List.copyOf(locals));
    }

    /** Devices needed to fit {@code busyHours} into months of {@code usableHours} each (at least one). */
    public static int devices(double busyHours, double usableHours) {
        double n = Math.ceil(busyHours / usableHours - 1e-9);
        if (n > Integer.MAX_VALUE) throw new dev.hearth.planner.PlannerInputException(
                "the workload needs more than " + Integer.MAX_VALUE + " devices; check the volume and throughput");
        return Math.max(1, (int) n);
    }

    /** Monthly cost of an option that is busy {@code busyHours} a month. */
    public static double monthlyCost(LocalOption opt, Conventions c, double busyHours) {
        return devices(busyHours, opt.usableHoursPerDevice(c)) * opt.fixedPerDevicePerMonth(c) + busyHours * opt.costPerBusyHour();
    }

    /** Dollars per 1M tokens when a device does all the work it can in a month: the best the option can do. */
    public static double fullyUsedCostPer1M(LocalOption opt, Conventions c, Workload w, Throughput t) {
        double hours = opt.usableHoursPerDevice(c);
        double tokens = hours / t.hoursPerItem(w) * w.tokensPerItem();
        return (opt.fixedPerDevicePerMonth(c) + hours * opt.costPerBusyHour()) / tokens * 1e6;
    }

    /** Monthly API cost at a daily volume. */
    public static double apiMonthly(ApiPrice api, Workload w, Conventions c, double itemsPerDay) {
        return itemsPerDay * c.daysPerMonth() * api.perItem(w);
    }

    /** Monthly local cost at a daily volume. */
    public static double localMonthly(LocalOption opt, Workload w, Throughput t, Conventions c, double itemsPerDay) {
        return monthlyCost(opt, c, itemsPerDay * c.daysPerMonth() * t.hoursPerItem(w));
    }

    /** The lowest daily volume from which the option costs no more than the API (see the class comment). */
    public static CostReport.BreakEven breakEven(LocalOption opt, ApiPrice api, Workload w, Throughput t, Conventions c) {
        double a = c.daysPerMonth() * api.perItem(w);                   // API $/month per item/day
        double g = c.daysPerMonth() * t.hoursPerItem(w);                // busy hours/month per item/day
        double m = g * opt.costPerBusyHour();                           // local busy-hour $/month per item/day
        double fixed = opt.fixedPerDevicePerMonth(c);
        double cap = opt.usableHoursPerDevice(c) / g;                   // items/day one device can do
        double tokPerItem = w.tokensPerItem();
        double apiPer1M = api.perItem(w) / tokPerItem * 1e6;
        double marginalPer1M = t.hoursPerItem(w) * opt.costPerBusyHour() / tokPerItem * 1e6;
        String unit = w.unit();
        if (fixed == 0) {
            if (m < a) {
                return new CostReport.BreakEven(0.0, "any volume", "local costs " + Fmt.rate(marginalPer1M)
                        + " per 1M tokens against the API's " + Fmt.rate(apiPer1M) + ", at every volume");
            }
            return new CostReport.BreakEven(null, "never", "local costs " + Fmt.rate(marginalPer1M) + " per 1M tokens ("
                    + Fmt.usd(opt.costPerBusyHour()) + " per device-hour / " + Fmt.count(tokPerItem / t.hoursPerItem(w))
                    + " tokens per hour), above the API's " + Fmt.rate(apiPer1M) + " per 1M at any volume");
        }
        double fullPer1M = fullyUsedCostPer1M(opt, c, w, t);
        if (m >= a || fixed >= (a - m) * cap) {
            return new CostReport.BreakEven(null, "never", "even fully used (" + Fmt.count(cap) + " " + unit
                    + "/day per device) local costs " + Fmt.rate(fullPer1M) + " per 1M tokens, above the API's "
                    + Fmt.rate(apiPer1M) + "; more volume only adds devices");
        }
        double v = fixed / (a - m);
        return new CostReport.BreakEven(v, "from", "from " + Fmt.count(Math.ceil(v)) + " " + unit + "/day the API bill, less local running costs, covers "
                + "one device's fixed " + Fmt.usd(fixed) + "/month; one device handles up to " + Fmt.count(Math.floor(cap))
                + " " + unit + "/day (" + Fmt.rate(fullPer1M) + " per 1M tokens when fully used)");
    }
}
