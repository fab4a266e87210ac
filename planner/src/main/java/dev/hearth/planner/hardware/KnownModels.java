package dev.hearth.planner.hardware;

import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Built-in model shapes ({@code models.json}) for planning without a GGUF file. */
public final class KnownModels {
    /** One model's shape, with the config file it was taken from. */
    public record Entry(String id, String name, double params, int layers, int heads, int kvHeads, int headDim,
                        long contextLength, long vocab, String source) {}

    public record Table(String description, List<Entry> models) {}

    private static volatile Table table;

    private KnownModels() {}

    public static List<Entry> all() {
        var t = table;
        if (t == null) table = t = Json.readResource("/dev/hearth/planner/models.json", Table.class);
        return t.models();
    }

    public static Entry byId(String id) {
        var want = id.trim().toLowerCase(Locale.ROOT);
        for (var e : all()) if (e.id().equals(want) || e.name().toLowerCase(Locale.ROOT).equals(want)) return e;
        var ids = new ArrayList<String>();
        for (var e : all()) ids.add(e.id());
        throw new PlannerInputException("unknown model '" + id + "'; built-in shapes: " + String.join(", ", ids)
                + " (or give --params with --layers, --kv-heads and --head-dim, or a GGUF file)");
    }

    /** The model at a quantisation. */
    public static ModelSpec spec(Entry e, Quantization.Quant q) {
        return ModelSpec.fromParams(e.name() + " " + q.name(), e.source(), e.params(), q, e.layers(), e.heads(), e.kvHeads(),
                e.headDim(), e.contextLength(), e.vocab());
    }
}
