package dev.hearth.planner.cost;

import dev.hearth.planner.PlannerInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The inputs of {@code hearth cost} as gathered from a scenario file and then flags (flags win), with
 * every field still optional; {@link #build()} checks them and says what is missing.
 */
public final class CostInputs {
    public String unit;
    public Double itemsPerDay, inputTokensPerItem, outputTokensPerItem;
    public Double inputTokensPerDay, outputTokensPerDay;
    public String apiModel;
    public Double apiInputPer1M, apiOutputPer1M;
    public Double tokensPerHour, inputTokensPerHour, outputTokensPerHour;
    public String throughputKind;
    public Path throughputJson;
    public final List<LocalOption> local = new ArrayList<>();
    /** Per-option throughputs from the scenario file, keyed by option (absent = the shared one). */
    public final java.util.Map<LocalOption, Throughput> localThroughput = new java.util.IdentityHashMap<>();
    public Double daysPerMonth, hoursPerMonth;

    /** Inputs from a scenario file; {@code result_json} is resolved against the file's folder. */
    public static CostInputs fromFile(Path file) {
        var f = ScenarioFile.read(file);
        var in = new CostInputs();
        in.unit = f.unit();
        in.itemsPerDay = f.itemsPerDay();
        in.inputTokensPerItem = f.inputTokensPerItem();
        in.outputTokensPerItem = f.outputTokensPerItem();
        in.inputTokensPerDay = f.inputTokensPerDay();
        in.outputTokensPerDay = f.outputTokensPerDay();
        if (f.api() != null) {
            in.apiModel = f.api().model();
            in.apiInputPer1M = f.api().inputPer1m();
            in.apiOutputPer1M = f.api().outputPer1m();
        }
        if (f.throughput() != null) in.setThroughput(f.throughput(), file);
        if (f.local() != null) {
            int i = 0;
            for (var l : f.local()) {
                var opt = localOption(l, "scenario file " + file + ", local[" + i++ + "]");
                in.local.add(opt);
                if (l.throughput() != null) {
                    var own = new CostInputs();
                    own.setThroughput(l.throughput(), file);
                    in.localThroughput.put(opt, own.throughput());
                }
            }
        }
        if (f.conventions() != null) {
            in.daysPerMonth = f.conventions().daysPerMonth();
            in.hoursPerMonth = f.conventions().hoursPerMonth();
        }
        return in;
    }

    private void setThroughput(ScenarioFile.ThroughputSpec t, Path file) {
        tokensPerHour = t.tokensPerHour();
        inputTokensPerHour = t.inputTokensPerHour();
        outputTokensPerHour = t.outputTokensPerHour();
        throughputKind = t.kind();
        if (t.resultJson() != null) {
            var dir = file.toAbsolutePath().getParent();
            throughputJson = dir == null ? Path.of(t.resultJson()) : dir.resolve(t.resultJson());
        }
    }

    private static LocalOption localOption(ScenarioFile.Local l, String where) {
        if (l.type() == null) throw new PlannerInputException(where + ": missing type (cloud_per_hour, cloud_24x7 or owned)");
        var type = l.type().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (type) {
            case "cloud_per_hour", "cloud_hourly", "pay_per_hour" ->
                    new LocalOption.CloudPerHour(l.name(), need(l.hourlyUsd(), where, "hourly_usd"));
            case "cloud_24x7", "cloud_24_7", "rented_24x7" ->
                    new LocalOption.Cloud24x7(l.name(), need(l.hourlyUsd(), where, "hourly_usd"));
            case "owned" -> new LocalOption.Owned(l.name(), need(l.purchaseUsd(), where, "purchase_usd"),
                    need(l.amortisationMonths(), where, "amortisation_months"), need(l.powerW(), where, "power_w"),
                    l.idleW() == null ? 0 : l.idleW(), need(l.electricityPerKwh(), where, "electricity_per_kwh"),
                    l.utilisation() == null ? 1.0 : l.utilisation());
            default -> throw new PlannerInputException(where + ": unknown type '" + l.type()
                    + "'; use cloud_per_hour, cloud_24x7 or owned");
        };
    }

    private static double need(Double v, String where, String key) {
        if (v == null) throw new PlannerInputException(where + ": missing " + key);
        return v;
    }

    /** Replaces every local option of the same kind as {@code opt} (flags override the file's). */
    public void putLocal(LocalOption opt) {
        local.removeIf(o -> o.getClass() == opt.getClass());
        localThroughput.keySet().removeIf(o -> o.getClass() == opt.getClass());
        local.add(opt);
    }

    public Workload workload() {
        boolean perItem = itemsPerDay != null || inputTokensPerItem != null || outputTokensPerItem != null;
        boolean perDay = inputTokensPerDay != null || outputTokensPerDay != null;
        if (perItem && perDay) {
            throw new PlannerInputException("give either a volume per day with tokens per item, or tokens per day, not both");
        }
        if (perDay) {
            return Workload.ofTokensPerDay(orZero(inputTokensPerDay), orZero(outputTokensPerDay));
        }
        if (itemsPerDay == null) {
            throw new PlannerInputException("missing volume: give --per-day N (documents or requests a day) with "
                    + "--input-tokens/--output-tokens per item, or --input-tokens-per-day");
        }
        if (inputTokensPerItem == null && outputTokensPerItem == null) {
            throw new PlannerInputException("missing tokens per item: give --input-tokens and/or --output-tokens");
        }
        return new Workload(unit == null ? "items" : unit, itemsPerDay, orZero(inputTokensPerItem), orZero(outputTokensPerItem));
    }

    public ApiPrice api(Workload w) {
        if (apiModel != null) {
            var base = ApiPrices.byName(apiModel);
            if (apiInputPer1M == null && apiOutputPer1M == null) return base;
            return new ApiPrice(base.name() + " (price overridden)",
                    apiInputPer1M != null ? apiInputPer1M : base.inputPer1M(),
                    apiOutputPer1M != null ? apiOutputPer1M : base.outputPer1M(), "given on the command line", null);
        }
        if (w.inputTokensPerItem() > 0 && apiInputPer1M == null) {
            throw new PlannerInputException("missing API price for input tokens: give --api-input-price USD_PER_1M or --api NAME "
                    + "(see --list-apis)");
        }
        if (w.outputTokensPerItem() > 0 && apiOutputPer1M == null) {
            throw new PlannerInputException("missing API price for output tokens: give --api-output-price USD_PER_1M or --api NAME "
                    + "(see --list-apis)");
        }
        return new ApiPrice("custom", orZero(apiInputPer1M), orZero(apiOutputPer1M), "given on the command line", null);
    }

    public Throughput throughput() {
        boolean typed = tokensPerHour != null || inputTokensPerHour != null || outputTokensPerHour != null;
        if (typed && throughputJson != null) {
            throw new PlannerInputException("give the local throughput either typed in (--tokens-per-hour) or from a result file "
                    + "(--throughput-json), not both");
        }
        if (throughputJson != null) return ThroughputResults.read(throughputJson);
        if (!typed) return null;
        var kind = throughputKind == null ? Throughput.Kind.TYPED : Throughput.Kind.parse(throughputKind);
        if (tokensPerHour != null) {
            if (inputTokensPerHour != null || outputTokensPerHour != null) {
                throw new PlannerInputException("give --tokens-per-hour, or --input-tokens-per-hour with --output-tokens-per-hour, not both");
            }
            return Throughput.of(tokensPerHour, kind);
        }
        if (inputTokensPerHour == null || outputTokensPerHour == null) {
            throw new PlannerInputException("give both --input-tokens-per-hour and --output-tokens-per-hour (or one --tokens-per-hour)");
        }
        var t = new Throughput(inputTokensPerHour, outputTokensPerHour, kind, "");
        return new Throughput(t.inputTokensPerHour(), t.outputTokensPerHour(), kind,
                dev.hearth.planner.Fmt.count(inputTokensPerHour) + " input and " + dev.hearth.planner.Fmt.count(outputTokensPerHour)
                        + " output tokens/hour (" + kind.label() + ")");
    }

    public Conventions conventions() {
        return new Conventions(daysPerMonth == null ? Conventions.DEFAULT.daysPerMonth() : daysPerMonth,
                hoursPerMonth == null ? Conventions.DEFAULT.hoursPerMonth() : hoursPerMonth);
    }

    /** Checks everything and builds the scenario, or throws {@link PlannerInputException} saying what is wrong. */
    public CostScenario build() {
        var w = workload();
        var own = new ArrayList<Throughput>();
        for (var o : local) own.add(localThroughput.get(o));
        return new CostScenario(w, api(w), throughput(), local, conventions(), own);
    }

    private static double orZero(Double d) {
        return d == null ? 0 : d;
    }
}
