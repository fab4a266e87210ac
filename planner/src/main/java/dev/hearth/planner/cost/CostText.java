package dev.hearth.planner.cost;

import static dev.hearth.planner.Fmt.count;
import static dev.hearth.planner.Fmt.num;
import static dev.hearth.planner.Fmt.pad;
import static dev.hearth.planner.Fmt.plain;
import static dev.hearth.planner.Fmt.usd;

import dev.hearth.planner.Fmt;
import java.util.ArrayList;
import java.util.List;

/** Renders a {@link CostReport} as the human-readable report of {@code hearth cost}. */
public final class CostText {
    private CostText() {}

    public static String render(CostReport r) {
        var sb = new StringBuilder();
        var unit = r.unit();
        var c = r.conventions();
        if (unit.equals("tokens")) {
            sb.append("Workload: ").append(count(r.itemsPerDay() * r.inputTokensPerItem())).append(" input + ")
                    .append(count(r.itemsPerDay() * r.outputTokensPerItem())).append(" output tokens/day\n");
        } else {
            sb.append("Workload: ").append(count(r.itemsPerDay())).append(' ').append(unit).append("/day, ")
                    .append(Fmt.qty(r.inputTokensPerItem())).append(" input + ").append(Fmt.qty(r.outputTokensPerItem()))
                    .append(" output tokens each\n");
        }
        sb.append("Conventions: ").append(c.describe()).append(" (365 x 24 / 12)\n\n");

        line(sb, "Monthly tokens", count(r.monthlyTokens()) + " (" + count(r.monthlyInputTokens()) + " input, "
                + count(r.monthlyOutputTokens()) + " output)");
        var api = r.api();
        line(sb, "API price", api.name() + ": " + Fmt.rate(api.inputPer1m()) + " per 1M input, " + Fmt.rate(api.outputPer1m())
                + " per 1M output tokens (" + api.source() + (api.asOf() == null ? "" : ", as of " + api.asOf()) + ")");
        line(sb, "API cost per month", usd(api.monthlyCost()) + " (" + Fmt.rate(api.costPer1mTokens()) + " per 1M tokens)");
        line(sb, "Local throughput", r.throughput().description());
        sb.append('\n');

        var head = List.of("Local option", "Device-hours/month", "Devices", "Cost/month", "Per 1M tokens", "Break-even " + unit + "/day");
        var rows = new ArrayList<List<String>>();
        for (var l : r.local()) {
            rows.add(List.of(l.name().equals(l.kind()) ? l.name() : l.name() + " (" + l.kind() + ")", num(l.deviceHoursPerMonth(), 1), Integer.toString(l.devices()),
                    usd(l.monthlyCost()), Fmt.rate(l.costPer1mTokens()), breakEvenCell(l.breakEven())));
        }
        dev.hearth.planner.TextTable.append(sb, head, rows);
        CostReport.Local best = null;
        for (var l : r.local()) if (best == null || l.monthlyCost() < best.monthlyCost()) best = l;
        sb.append("\nAt ").append(count(r.itemsPerDay())).append(' ').append(unit).append("/day ");
        if (best.monthlyCost() < api.monthlyCost()) {
            sb.append(best.name()).append(" is cheapest: ").append(usd(best.monthlyCost())).append(" a month against the API's ")
                    .append(usd(api.monthlyCost())).append(".\n");
        } else {
            sb.append("the API is cheapest: ").append(usd(api.monthlyCost())).append(" a month against ").append(usd(best.monthlyCost()))
                    .append(" for the cheapest local option (").append(best.name()).append(").\n");
        }
        switch (r.throughput().kind()) {
            case "single-stream" -> sb.append("The throughput is single-stream (one sequence at a time): a GPU serving many ")
                    .append("concurrent sequences does several times more; a load-test result gives the batched figure.\n");
            case "as given" -> sb.append("The throughput was given without saying whether it is single-stream or batched ")
                    .append("(--throughput-kind); the two differ by up to an order of magnitude on a GPU.\n");
            default -> sb.append("The throughput is batched (many concurrent sequences), which assumes the workload keeps ")
                    .append("the device that busy.\n");
        }

        sb.append("\nAssumptions:\n");
        for (var l : r.local()) {
            sb.append("  ").append(l.name()).append(": ").append(l.assumptions());
            if (l.throughput() != null) sb.append("; its own throughput: ").append(l.throughput().description());
            sb.append('\n');
        }

        sb.append("\nDevices: a device has ").append(plain(c.hoursPerMonth())).append(" hours a month");
        sb.append(" (owned hardware: times its utilisation).\n");
        for (var l : r.local()) {
            sb.append("  ").append(l.name()).append(": ").append(num(l.deviceHoursPerMonth(), 1)).append(" device-hours / ")
                    .append(num(l.usableHoursPerDevice(), 1)).append(" per device = ").append(l.devices())
                    .append(l.devices() == 1 ? " device" : " devices");
            if (l.exceedsOneDevice()) sb.append(" (more hours than one device has in a month)");
            sb.append('\n');
        }

        sb.append("\nBreak-even (lowest volume at which local costs no more than the API):\n");
        for (var l : r.local()) {
            sb.append("  ").append(l.name()).append(": ").append(breakEvenCell(l.breakEven())).append(": ")
                    .append(l.breakEven().reason()).append('\n');
        }

        sb.append("\nSensitivity (break-even if local throughput were 2x or 10x the figure used; in brackets the cost per 1M ")
                .append("tokens of a fully used device):\n");
        for (var l : r.local()) {
            sb.append("  ").append(l.name()).append(": 1x ").append(breakEvenCell(l.breakEven()))
                    .append(" (").append(Fmt.rate(l.fullyUsedCostPer1mTokens())).append("/1M fully used)");
            for (var s : l.sensitivity()) {
                sb.append("; ").append(plain(s.throughputFactor())).append("x ").append(breakEvenCell(s.breakEven()))
                        .append(" (").append(Fmt.rate(s.fullyUsedCostPer1mTokens())).append("/1M)");
            }
            sb.append('\n');
        }
        sb.append("  (API: ").append(Fmt.rate(api.costPer1mTokens())).append(" per 1M tokens of this workload.)\n");
        return sb.toString();
    }

    /** "never", "any volume" or the volume rounded up. */
    public static String breakEvenCell(CostReport.BreakEven b) {
        return switch (b.verdict()) {
            case "from" -> count(Math.ceil(b.itemsPerDay()));
            default -> b.verdict();
        };
    }

    private static void line(StringBuilder sb, String label, String value) {
        sb.append(pad(label, 20, false)).append(value).append('\n');
    }
}
