package dev.hearth.engine.bench;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a benchmark row says about the model, as llama-bench says it: {@code type} like
 * {@code "llama 1B Q4_0"} (architecture, size class, file type), {@code sizeBytes} the bytes of all
 * tensors, {@code params} the number of all tensor elements.
 *
 * @param quant the file type named as llama.cpp names it ({@code general.file_type}), or the type
 *              holding most of the tensor bytes when the file does not say
 */
public record ModelSummary(String architecture, String sizeClass, String quant, long sizeBytes, long params) {

    /** llama-bench's {@code model_type}: architecture, size class, file type. */
    public String type() {
        return architecture + " " + sizeClass + " " + quant;
    }

    public static ModelSummary of(GgufFile f) {
        long bytes = 0, params = 0;
        Map<GgmlType, Long> byType = new EnumMap<>(GgmlType.class);
        for (GgufTensor t : f.tensors().values()) {
            bytes += t.byteSize();
            params += t.elements();
            byType.merge(t.type(), t.byteSize(), Long::sum);
        }
        String quant = null;
        if (f.has("general.file_type")) quant = fileTypeName((int) f.getLong("general.file_type"));
        if (quant == null) {
            GgmlType dominant = null;
            for (var e : byType.entrySet()) {
                if (dominant == null || e.getValue() > byType.get(dominant)) dominant = e.getKey();
            }
            quant = dominant == null ? "?" : dominant.name();
        }
        return new ModelSummary(f.getString("general.architecture", "?"), sizeClass(params), quant, bytes, params);
    }

    /**
     * A size class from the parameter count ("1B" for 1.1e9, "23M" for 2.3e7). llama.cpp takes it
     * from a table of known layer counts instead, and prints "?B" for shapes it does not know.
     */
    static String sizeClass(long params) {
        if (params >= 1_000_000_000L) return Math.round(params / 1e9) + "B";
        if (params >= 1_000_000L) return Math.round(params / 1e6) + "M";
        return Math.round(params / 1e3) + "K";
    }

    /** llama.cpp's name of a {@code general.file_type} value ({@code llama_model_ftype_name}); null when unknown. */
    static String fileTypeName(int ftype) {
        return switch (ftype) {
            case 0 -> "all F32";
            case 1 -> "F16";
            case 2 -> "Q4_0";
            case 3 -> "Q4_1";
            case 7 -> "Q8_0";
            case 8 -> "Q5_0";
            case 9 -> "Q5_1";
            case 10 -> "Q2_K - Medium";
            case 11 -> "Q3_K - Small";
            case 12 -> "Q3_K - Medium";
            case 13 -> "Q3_K - Large";
            case 14 -> "Q4_K - Small";
            case 15 -> "Q4_K - Medium";
            case 16 -> "Q5_K - Small";
            case 17 -> "Q5_K - Medium";
            case 18 -> "Q6_K";
            case 19 -> "IQ2_XXS - 2.0625 bpw";
            case 20 -> "IQ2_XS - 2.3125 bpw";
            case 21 -> "Q2_K - Small";
            case 22 -> "IQ3_XS - 3.3 bpw";
            case 23 -> "IQ3_XXS - 3.0625 bpw";
            case 24 -> "IQ1_S - 1.5625 bpw";
            case 25 -> "IQ4_NL - 4.5 bpw";
            case 26 -> "IQ3_S - 3.4375 bpw";
            case 27 -> "IQ3_S mix - 3.66 bpw";
            case 28 -> "IQ2_S - 2.5 bpw";
            case 29 -> "IQ2_M - 2.7 bpw";
            case 30 -> "IQ4_XS - 4.25 bpw";
            case 31 -> "IQ1_M - 1.75 bpw";
            case 32 -> "BF16";
            case 36 -> "TQ1_0 - 1.69 bpw ternary";
            case 37 -> "TQ2_0 - 2.06 bpw ternary";
            default -> null;
        };
    }

    /** Size as llama-bench prints it: MiB under 1 GiB, else GiB. */
    public String sizeText() {
        return sizeBytes < (1L << 30)
                ? String.format(Locale.ROOT, "%.2f MiB", sizeBytes / (1024.0 * 1024))
                : String.format(Locale.ROOT, "%.2f GiB", sizeBytes / (1024.0 * 1024 * 1024));
    }

    /** Parameters as llama-bench prints them: millions under 10^9, else billions. */
    public String paramsText() {
        return params < 1_000_000_000L
                ? String.format(Locale.ROOT, "%.2f M", params / 1e6)
                : String.format(Locale.ROOT, "%.2f B", params / 1e9);
    }
}
