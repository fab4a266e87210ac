package dev.hearth.planner.hardware;

import dev.hearth.planner.PlannerInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Effective bits per weight of llama.cpp's file types, for planning from a parameter count. A GGUF
 * file gives exact bytes instead; these figures include the embedding and output matrices at the
 * types llama.cpp gives them, so they are a little above the type's own block size.
 */
public final class Quantization {
    private Quantization() {}

    /** A file type and its effective bits per weight, with where that figure comes from. */
    public record Quant(String name, double bitsPerWeight, String basis) {}

    private static final String LLAMA3 = "effective size of llama.cpp's file type on Llama-3-8B (llama-quantize help), as bits per weight";
    private static final List<Quant> TABLE = List.of(
            new Quant("F32", 32, "4 bytes per weight"),
            new Quant("F16", 16, "2 bytes per weight"),
            new Quant("BF16", 16, "2 bytes per weight"),
            new Quant("Q8_0", 8.51, LLAMA3),
            new Quant("Q6_K", 6.57, LLAMA3),
            new Quant("Q5_K_M", 5.70, LLAMA3),
            new Quant("Q5_K_S", 5.57, LLAMA3),
            new Quant("Q5_1", 6.04, LLAMA3),
            new Quant("Q5_0", 5.57, LLAMA3),
            new Quant("Q4_K_M", 4.90, LLAMA3),
            new Quant("Q4_K_S", 4.67, LLAMA3),
            new Quant("Q4_1", 5.11, LLAMA3),
            new Quant("Q4_0", 4.64, LLAMA3),
            new Quant("Q3_K_L", 4.31, LLAMA3),
            new Quant("Q3_K_M", 4.00, LLAMA3),
            new Quant("Q3_K_S", 3.65, LLAMA3),
            new Quant("Q2_K", 3.17, LLAMA3));

    public static List<Quant> all() {
        return TABLE;
    }

    /** The quantisation by name (case-insensitive; "q4" means Q4_K_M, "fp16" F16), or a clear error. */
    public static Quant byName(String name) {
        var n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        n = switch (n) {
            case "FP16" -> "F16";
            case "FP32" -> "F32";
            case "Q4", "Q4_K" -> "Q4_K_M";
            case "Q5", "Q5_K" -> "Q5_K_M";
            case "Q3", "Q3_K" -> "Q3_K_M";
            case "Q8" -> "Q8_0";
            case "Q6" -> "Q6_K";
            default -> n;
        };
        for (var q : TABLE) if (q.name().equals(n)) return q;
        var names = new ArrayList<String>();
        for (var q : TABLE) names.add(q.name());
        throw new PlannerInputException("unknown quantisation '" + name + "'; known: " + String.join(", ", names));
    }

    /** Bytes per element of a KV cache type: f16 (default), f32, bf16, q8_0, q5_1, q5_0, q4_1, q4_0. */
    public static double kvBytesPerElement(String type) {
        var t = GgmlTypes.byName(type.trim());
        if (t == null || !List.of("F32", "F16", "BF16", "Q8_0", "Q5_1", "Q5_0", "Q4_1", "Q4_0").contains(t.name())) {
            throw new PlannerInputException("unknown KV cache type '" + type + "'; use f16, f32, bf16, q8_0, q5_1, q5_0, q4_1 or q4_0");
        }
        return (double) t.blockBytes() / t.blockSize();
    }
}
