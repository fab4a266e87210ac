package dev.hearth.planner.cost;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The built-in table of hosted-API prices ({@code api-prices.json}), each entry with its source and the
 * date the price was taken. Prices change: every figure can be overridden on the command line.
 */
public final class ApiPrices {
    /** The bundled file's layout. */
    public record Entry(String name, String provider, @JsonProperty("input_per_1m") double inputPer1m,
                        @JsonProperty("output_per_1m") double outputPer1m, String source, String asOf, String note) {}

    public record Table(String description, List<Entry> prices) {}

    private static volatile Table table;

    private ApiPrices() {}

    public static Table table() {
        var t = table;
        if (t == null) table = t = Json.readResource("/dev/hearth/planner/api-prices.json", Table.class);
        return t;
    }

    public static List<Entry> all() {
        return table().prices();
    }

    /** The entry named (case-insensitive, with or without the provider prefix), or a clear error listing the names. */
    public static ApiPrice byName(String name) {
        var want = name.trim().toLowerCase(Locale.ROOT);
        for (var e : all()) {
            var n = e.name().toLowerCase(Locale.ROOT);
            if (n.equals(want) || (e.provider() + "/" + e.name()).toLowerCase(Locale.ROOT).equals(want)) {
                return new ApiPrice(e.provider() + "/" + e.name(), e.inputPer1m(), e.outputPer1m(), e.source(), e.asOf());
            }
        }
        var names = new ArrayList<String>();
        for (var e : all()) names.add(e.name());
        throw new PlannerInputException("unknown API model '" + name + "'; built-in prices exist for: " + String.join(", ", names)
                + " (or give --api-input-price and --api-output-price)");
    }
}
