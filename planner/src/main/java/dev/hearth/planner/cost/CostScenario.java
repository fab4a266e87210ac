package dev.hearth.planner.cost;

import dev.hearth.planner.PlannerInputException;
import java.util.List;

/**
 * Everything {@link CostModel} needs: the workload, the API's price, the local throughput and options.
 * {@code localThroughputs}, when given, has one entry per option: that option's own throughput (different
 * devices run at different speeds), or null for the shared {@code throughput}.
 */
public record CostScenario(Workload workload, ApiPrice api, Throughput throughput, List<LocalOption> local,
                           Conventions conventions, List<Throughput> localThroughputs) {

    /** All options at the same throughput. */
    public CostScenario(Workload workload, ApiPrice api, Throughput throughput, List<LocalOption> local, Conventions conventions) {
        this(workload, api, throughput, local, conventions, null);
    }

    public CostScenario {
        if (workload == null) throw new PlannerInputException("no workload: give the volume per day and tokens per item");
        if (api == null) throw new PlannerInputException("no API price: give --api NAME or --api-input-price/--api-output-price");
        if (local == null || local.isEmpty()) {
            throw new PlannerInputException("no local option to compare: give --cloud-hourly, --cloud-24x7 or --owned-price (with its flags)");
        }
        var own = new java.util.ArrayList<Throughput>();
        for (int i = 0; i < local.size(); i++) {
            var t = localThroughputs == null || i >= localThroughputs.size() ? null : localThroughputs.get(i);
            if (t == null && throughput == null) {
                throw new PlannerInputException("no local throughput: give --tokens-per-hour or --throughput-json FILE (a hearth bench or "
                        + "load-test result)");
            }
            own.add(t == null ? throughput : t);
        }
        if (throughput == null) throughput = own.getFirst();
        if (conventions == null) conventions = Conventions.DEFAULT;
        local = List.copyOf(local);
        localThroughputs = java.util.Collections.unmodifiableList(own);
    }

    /** The throughput of the i-th local option. */
    public Throughput throughputOf(int i) {
        return localThroughputs.get(i);
    }
}
