package dev.hearth.planner.cost;

import dev.hearth.planner.PlannerInputException;
import java.util.List;

/** Everything {@link CostModel} needs: the workload, the API's price, the local throughput and options. */
public record CostScenario(Workload workload, ApiPrice api, Throughput throughput, List<LocalOption> local,
                           Conventions conventions) {
    public CostScenario {
        if (workload == null) throw new PlannerInputException("no workload: give the volume per day and tokens per item");
        if (api == null) throw new PlannerInputException("no API price: give --api NAME or --api-input-price/--api-output-price");
        if (local == null || local.isEmpty()) {
            throw new PlannerInputException("no local option to compare: give --cloud-hourly, --cloud-24x7 or --owned-price (with its flags)");
        }
        if (throughput == null) {
            throw new PlannerInputException("no local throughput: give --tokens-per-hour or --throughput-json FILE (a hearth bench or load-test result)");
        }
        if (conventions == null) conventions = Conventions.DEFAULT;
        local = List.copyOf(local);
    }
}
