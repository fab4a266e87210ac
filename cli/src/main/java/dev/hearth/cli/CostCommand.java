package dev.hearth.cli;

import dev.hearth.planner.Fmt;
import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import dev.hearth.planner.cost.ApiPrices;
import dev.hearth.planner.cost.CostChart;
import dev.hearth.planner.cost.CostInputs;
import dev.hearth.planner.cost.CostModel;
import dev.hearth.planner.cost.CostText;
import dev.hearth.planner.cost.LocalOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hearth cost}: what a workload costs a month on a hosted API and on local options (cloud GPU
 * per hour, cloud GPU 24/7, owned hardware), with break-even volumes and a sensitivity line.
 */
@Command(name = "cost", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Compare the monthly cost of a workload on a hosted API with running it locally.",
                "Conventions: a month is 30 days of volume and 730 device-hours (365 x 24 / 12); both can be changed."},
        footer = {"", "Example (the worked scenario of docs/cost.md):",
                "  hearth cost --documents-per-day 10000 --input-tokens 2000 --api-input-price 0.15 \\",
                "              --tokens-per-hour 500000 --cloud-hourly 3.00 --cloud-name \"A100 80GB\""})
public final class CostCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--scenario", paramLabel = "FILE", description = "Scenario file (YAML or JSON); flags override its values.")
    Path scenario;

    @Option(names = "--documents-per-day", paramLabel = "N", description = "Documents a day.")
    Double documentsPerDay;
    @Option(names = "--requests-per-day", paramLabel = "N", description = "Requests a day.")
    Double requestsPerDay;
    @Option(names = "--per-day", paramLabel = "N", description = "Items a day (any unit).")
    Double itemsPerDay;
    @Option(names = "--input-tokens", paramLabel = "N", description = "Input (prompt) tokens per item.")
    Double inputTokens;
    @Option(names = "--output-tokens", paramLabel = "N", description = "Output (generated) tokens per item.")
    Double outputTokens;
    @Option(names = "--input-tokens-per-day", paramLabel = "N", description = "Input tokens a day (instead of items x tokens).")
    Double inputTokensPerDay;
    @Option(names = "--output-tokens-per-day", paramLabel = "N", description = "Output tokens a day.")
    Double outputTokensPerDay;

    @Option(names = "--api", paramLabel = "MODEL", description = "A hosted model from the built-in price table (see --list-apis).")
    String api;
    @Option(names = "--api-input-price", paramLabel = "USD", description = "API price per 1M input tokens (overrides --api's).")
    Double apiInputPrice;
    @Option(names = "--api-output-price", paramLabel = "USD", description = "API price per 1M output tokens (overrides --api's).")
    Double apiOutputPrice;
    @Option(names = "--list-apis", description = "Print the built-in price table with sources and dates, and exit.")
    boolean listApis;

    @Option(names = "--tokens-per-hour", paramLabel = "N", description = "Local throughput of one device, tokens per hour.")
    Double tokensPerHour;
    @Option(names = "--input-tokens-per-hour", paramLabel = "N", description = "Local prefill throughput, input tokens per hour.")
    Double inputTokensPerHour;
    @Option(names = "--output-tokens-per-hour", paramLabel = "N", description = "Local decode throughput, output tokens per hour.")
    Double outputTokensPerHour;
    @Option(names = "--throughput-kind", paramLabel = "KIND", description = "What a typed-in throughput is: single-stream or batched.")
    String throughputKind;
    @Option(names = "--throughput-json", paramLabel = "FILE",
            description = "Take the throughput from a hearth bench result (single-stream) or load-test result (batched).")
    Path throughputJson;

    @Option(names = "--cloud-hourly", paramLabel = "USD", description = "Local option: cloud GPU billed per hour of use.")
    Double cloudHourly;
    @Option(names = "--cloud-name", paramLabel = "NAME", description = "Label for --cloud-hourly.")
    String cloudName;
    @Option(names = "--cloud-24x7", paramLabel = "USD", description = "Local option: cloud GPU rented around the clock, USD per hour.")
    Double cloud24x7;
    @Option(names = "--cloud-24x7-name", paramLabel = "NAME", description = "Label for --cloud-24x7.")
    String cloud24x7Name;
    @Option(names = "--owned-price", paramLabel = "USD", description = "Local option: owned hardware, purchase price per device.")
    Double ownedPrice;
    @Option(names = {"--amortisation-months", "--amortization-months"}, paramLabel = "N", description = "Months to spread the purchase over.")
    Double amortisationMonths;
    @Option(names = "--power-watts", paramLabel = "W", description = "Owned hardware's power draw while working.")
    Double powerWatts;
    @Option(names = "--idle-watts", paramLabel = "W", description = "Owned hardware's draw while idle (default 0).")
    Double idleWatts;
    @Option(names = "--electricity-price", paramLabel = "USD", description = "Electricity price per kWh.")
    Double electricityPrice;
    @Option(names = {"--utilisation", "--utilization"}, paramLabel = "F",
            description = "Share of the month owned hardware can work on this workload, 0-1 (default 1).")
    Double utilisation;
    @Option(names = "--owned-name", paramLabel = "NAME", description = "Label for the owned option.")
    String ownedName;

    @Option(names = "--days-per-month", paramLabel = "N", description = "Days of volume in a month (default 30).")
    Double daysPerMonth;
    @Option(names = "--hours-per-month", paramLabel = "N", description = "Hours a device has in a month (default 730).")
    Double hoursPerMonth;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;
    @Option(names = "--chart", paramLabel = "FILE.svg", description = "Also write an SVG chart of monthly cost against daily volume.")
    Path chart;
    @Option(names = "--chart-max-volume", paramLabel = "N", description = "Right end of the chart's volume axis (default: automatic).")
    double chartMaxVolume;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        if (listApis) {
            out.print(listApis());
            out.flush();
            return 0;
        }
        var in = scenario != null ? CostInputs.fromFile(scenario) : new CostInputs();
        applyFlags(in);
        var s = in.build();
        var report = CostModel.evaluate(s);
        if (chart != null) {
            var name = String.valueOf(chart.getFileName()).toLowerCase(Locale.ROOT);
            if (!name.endsWith(".svg")) throw new PlannerInputException("--chart writes SVG: give a file name ending in .svg, got " + chart);
            if (chartMaxVolume < 0) throw new PlannerInputException("--chart-max-volume must be positive");
            try {
                Files.writeString(chart, CostChart.svg(s, report, chartMaxVolume));
            } catch (IOException e) {
                throw new PlannerInputException("cannot write the chart to " + chart + ": " + e.getMessage()
                        + " (does its folder exist and is it writable?)", e);
            }
        }
        out.print(json ? Json.write(report) + "\n" : CostText.render(report));
        if (chart != null && !json) out.println("\nChart written to " + chart);
        out.flush();
        return 0;
    }

    private void applyFlags(CostInputs in) {
        int volumes = (documentsPerDay != null ? 1 : 0) + (requestsPerDay != null ? 1 : 0) + (itemsPerDay != null ? 1 : 0);
        if (volumes > 1) throw new PlannerInputException("give one of --documents-per-day, --requests-per-day, --per-day");
        if (documentsPerDay != null) set(in, "documents", documentsPerDay);
        if (requestsPerDay != null) set(in, "requests", requestsPerDay);
        if (itemsPerDay != null) set(in, "items", itemsPerDay);
        if (inputTokens != null) in.inputTokensPerItem = inputTokens;
        if (outputTokens != null) in.outputTokensPerItem = outputTokens;
        if (inputTokensPerDay != null) in.inputTokensPerDay = inputTokensPerDay;
        if (outputTokensPerDay != null) in.outputTokensPerDay = outputTokensPerDay;
        if (api != null) in.apiModel = api;
        if (apiInputPrice != null) in.apiInputPer1M = apiInputPrice;
        if (apiOutputPrice != null) in.apiOutputPer1M = apiOutputPrice;
        boolean typedRate = tokensPerHour != null || inputTokensPerHour != null || outputTokensPerHour != null;
        if (typedRate || throughputJson != null) {
            // A throughput on the command line replaces the scenario file's, whichever form either takes.
            in.tokensPerHour = tokensPerHour;
            in.inputTokensPerHour = inputTokensPerHour;
            in.outputTokensPerHour = outputTokensPerHour;
            in.throughputJson = throughputJson;
        }
        if (throughputKind != null) in.throughputKind = throughputKind;
        if (cloudHourly != null) in.putLocal(new LocalOption.CloudPerHour(cloudName, cloudHourly));
        else if (cloudName != null) throw new PlannerInputException("--cloud-name needs --cloud-hourly");
        if (cloud24x7 != null) in.putLocal(new LocalOption.Cloud24x7(cloud24x7Name, cloud24x7));
        else if (cloud24x7Name != null) throw new PlannerInputException("--cloud-24x7-name needs --cloud-24x7");
        boolean anyOwned = ownedPrice != null || amortisationMonths != null || powerWatts != null || idleWatts != null
                || electricityPrice != null || utilisation != null || ownedName != null;
        if (anyOwned) {
            in.putLocal(new LocalOption.Owned(ownedName, need(ownedPrice, "--owned-price"), need(amortisationMonths, "--amortisation-months"),
                    need(powerWatts, "--power-watts"), idleWatts == null ? 0 : idleWatts, need(electricityPrice, "--electricity-price"),
                    utilisation == null ? 1.0 : utilisation));
        }
        if (daysPerMonth != null) in.daysPerMonth = daysPerMonth;
        if (hoursPerMonth != null) in.hoursPerMonth = hoursPerMonth;
    }

    private static void set(CostInputs in, String unit, double perDay) {
        in.unit = unit;
        in.itemsPerDay = perDay;
    }

    private static double need(Double v, String flag) {
        if (v == null) {
            throw new PlannerInputException("the owned-hardware option needs " + flag
                    + " (it takes --owned-price, --amortisation-months, --power-watts and --electricity-price)");
        }
        return v;
    }

    static String listApis() {
        var sb = new StringBuilder();
        var t = ApiPrices.table();
        sb.append(t.description()).append("\n\n");
        sb.append(String.format(Locale.ROOT, "%-28s %10s %10s  %-10s  %s%n", "model", "in/1M", "out/1M", "as of", "source"));
        for (var e : t.prices()) {
            sb.append(String.format(Locale.ROOT, "%-28s %10s %10s  %-10s  %s%s%n", e.provider() + "/" + e.name(), Fmt.rate(e.inputPer1m()),
                    Fmt.rate(e.outputPer1m()), e.asOf(), e.source(), e.note() == null ? "" : " (" + e.note() + ")"));
        }
        return sb.toString();
    }
}
