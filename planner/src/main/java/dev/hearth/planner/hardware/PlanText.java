package dev.hearth.planner.hardware;

import static dev.hearth.planner.Fmt.count;
import static dev.hearth.planner.Fmt.gib;
import static dev.hearth.planner.Fmt.num;
import static dev.hearth.planner.Fmt.pad;

import dev.hearth.planner.Fmt;
import dev.hearth.planner.TextTable;
import java.util.ArrayList;
import java.util.List;

/** Renders a {@link PlanReport} as the human-readable report of {@code hearth plan}. */
public final class PlanText {
    private PlanText() {}

    public static String render(PlanReport r) {
        var sb = new StringBuilder();
        var m = r.model();
        sb.append("Model: ").append(m.name()).append(" (").append(m.source()).append(")\n");
        sb.append("  ").append(Fmt.params(m.params())).append(" parameters, ").append(m.layers()).append(" layers, ")
                .append(m.heads()).append(" heads, ").append(m.kvHeads()).append(" KV heads x ").append(m.headDim())
                .append(" dims");
        if (m.trainedContext() > 0) sb.append(", trained context ").append(count(m.trainedContext()));
        sb.append('\n');
        sb.append("  weights ").append(Fmt.bytes(m.weightBytes())).append(" (").append(m.weightsBasis()).append("); decode reads ")
                .append(Fmt.bytes(m.bytesReadPerToken())).append(" per token\n");
        for (var n : m.notes()) sb.append("  note: ").append(n).append('\n');
        sb.append("Context ").append(count(r.context())).append(" tokens x ").append(r.parallel())
                .append(r.parallel() == 1 ? " sequence" : " parallel sequences").append(", KV cache ").append(r.kvType()).append("\n\n");

        var mem = r.memory();
        sb.append("Memory need:\n");
        row(sb, "weights", Fmt.bytes(mem.weightsBytes()), "");
        row(sb, "KV cache", Fmt.bytes(mem.kvCacheBytes()), mem.kvFormula() + " (" + Fmt.num(mem.kvBytesPerToken() / 1024, 1) + " KiB per token)");
        row(sb, "overhead", Fmt.bytes(mem.overheadBytes()), mem.overheadBasis());
        row(sb, "total", Fmt.bytes(mem.totalBytes()), "on one device (multi-GPU entries add the overhead per GPU)");
        sb.append('\n');

        var head = List.of("Device", "Usable memory", "Fits", "Max context", "Decode tok/s", "at full ctx", "Prefill tok/s");
        var rows = new ArrayList<List<String>>();
        boolean capped = false;
        for (var d : r.devices()) {
            String fits = d.fits() ? "yes, " + num(d.marginBytes() / (1L << 30), 1) + " GiB spare"
                    : "NO, short " + num(-d.marginBytes() / (1L << 30), 1) + " GiB";
            String full = d.decodeTokSFullContext() == null ? "-"
                    : r.parallel() == 1 ? speed(d.decodeTokSFullContext())
                    : speed(d.decodeTokSFullContext()) + " x " + r.parallel() + " = " + speed(d.aggregateDecodeTokS());
            boolean trained = d.maxContextLimit().equals("the model's trained context");
            capped |= trained;
            rows.add(List.of(d.name(), gib(d.usableBytes()), fits, count(d.maxContext()) + (trained ? "*" : ""),
                    speed(d.decodeTokS()), full, speed(d.prefillTokS())));
        }
        TextTable.append(sb, head, rows);
        if (capped) sb.append("* capped at the model's trained context (").append(count(m.trainedContext())).append(" tokens)\n");

        sb.append("\nDecode = efficiency x bandwidth / bytes read per token (efficiency ").append(Fmt.plain(r.efficiency()))
                .append(" unless calibrated); 'at full ctx' adds the KV cache read at ").append(count(r.context()))
                .append(" tokens").append(r.parallel() > 1 ? " for each sequence (per sequence x sequences = total)" : "")
                .append(".\nPrefill = ").append(Fmt.plain(r.computeEfficiency()))
                .append(" x FP16 FLOP/s / (2 x matmul parameters): rougher, compute-bound. '-' = unknown or does not fit.\n");
        for (var d : r.devices()) {
            if (!d.fits()) {
                sb.append("  ").append(d.name()).append(": needs ").append(gib(d.needBytes())).append(", has ")
                        .append(gib(d.usableBytes())).append(" usable");
                if (d.maxContext() > 0) {
                    sb.append("; fits with a context of up to ").append(count(d.maxContext())).append(" tokens")
                            .append(r.parallel() > 1 ? " per sequence" : "");
                }
                else sb.append("; ").append(d.maxContextLimit());
                sb.append('\n');
            }
            if (d.efficiencyBasis().startsWith("calibrated")) {
                sb.append("  ").append(d.name()).append(": efficiency ").append(d.efficiencyBasis()).append('\n');
            }
            if (d.id().equals(ThisMachine.ID) && d.decodeTokS() == null && d.fits()) {
                sb.append("  ").append(d.name()).append(": no speed estimate without a bandwidth (--bandwidth-gbs or --bench-json)\n");
            }
        }
        boolean anyReported = false;
        for (var d : r.devices()) anyReported |= !d.reported().isEmpty();
        if (anyReported) {
            sb.append("\nReported by others (their measurements with their setups, not our estimates):\n");
            for (var d : r.devices()) {
                for (var x : d.reported()) {
                    sb.append("  ").append(d.name()).append(": ").append(x.tokSRange()).append(" tok/s, ").append(x.model()).append(' ')
                            .append(x.quant()).append(" (").append(x.source()).append(")\n");
                }
            }
        }
        var c = r.calibration();
        if (c != null) {
            sb.append("\nCalibration on this machine (").append(c.benchModel()).append("):\n");
            sb.append("  bandwidth ").append(num(c.bandwidthGbs(), 1)).append(" GB/s, ").append(Fmt.bytes(c.bytesPerToken()))
                    .append(" read per token (").append(c.bytesBasis()).append(")\n");
            sb.append("  predicted ").append(num(c.predictedTokS(), 1)).append(" tok/s at efficiency ").append(Fmt.plain(c.defaultEfficiency()))
                    .append(", measured ").append(num(c.measuredDecodeTokS(), 1)).append(" tok/s (prediction ")
                    .append(c.errorPercent() >= 0 ? "+" : "").append(num(c.errorPercent(), 0)).append("%)\n");
            sb.append("  calibrated efficiency ").append(num(c.calibratedEfficiency(), 3))
                    .append(": used for this machine; pass --efficiency ").append(num(c.calibratedEfficiency(), 2))
                    .append(" to apply it to other devices of the same kind\n");
        }
        for (var n : r.notes()) sb.append("Note: ").append(n).append('\n');
        return sb.toString();
    }

    private static String speed(Double v) {
        if (v == null) return "-";
        return v >= 100 ? count(v) : num(v, 1);
    }

    private static void row(StringBuilder sb, String label, String value, String why) {
        sb.append("  ").append(pad(label, 10, false)).append(pad(value, 12, true));
        if (!why.isEmpty()) sb.append("  ").append(why);
        sb.append('\n');
    }
}
