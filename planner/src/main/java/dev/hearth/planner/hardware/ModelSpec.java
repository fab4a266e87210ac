package dev.hearth.planner.hardware;

import dev.hearth.planner.PlannerInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the planner needs to know about a model: its weight bytes, how many of them a decode step reads,
 * its attention shape for the KV cache, and its matmul parameter count for the prefill estimate.
 *
 * @param kvElementsPerToken K and V values stored per token per sequence over all layers:
 *     {@code sum over layers of kv_heads x (key_length + value_length)}, which is
 *     {@code 2 x layers x kv_heads x head_dim} for the usual shape
 * @param bytesReadPerToken weight bytes a decode step reads: all weights except the token-embedding
 *     table (one row is read) unless it doubles as the output matrix; for mixture-of-experts models
 *     only the experts in use
 * @param matmulParams weights that take part in matrix multiplications per token (for FLOPs)
 * @param weightsBasis how the weight bytes were obtained ("exact, from the GGUF tensors" or an estimate)
 */
public record ModelSpec(String name, String source, String architecture, int layers, int heads, int kvHeads, int headDim,
                        long kvElementsPerToken, long trainedContext, long vocab, double params, double weightBytes,
                        double bytesReadPerToken, double matmulParams, String weightsBasis, List<String> notes) {

    /** KV cache bytes per token of one sequence, at {@code bytesPerElement} (2 for F16). */
    public double kvBytesPerToken(double bytesPerElement) {
        return kvElementsPerToken * bytesPerElement;
    }

    /** From a GGUF header: exact weight bytes from the tensor table, the shape from the metadata. */
    public static ModelSpec fromGguf(GgufHeader h) {
        var file = h.file();
        String arch = h.string("general.architecture");
        if (arch == null) throw new PlannerInputException("GGUF file " + file + " has no general.architecture key; cannot tell its shape");
        long layers = need(h, arch + ".block_count");
        long[] heads = perLayer(h, arch + ".attention.head_count", layers, null);
        if (heads == null) throw missing(h, arch + ".attention.head_count");
        long[] kvHeads = perLayer(h, arch + ".attention.head_count_kv", layers, heads);
        long embedding = need(h, arch + ".embedding_length");
        long maxHeads = 0, maxKv = 0;
        for (long x : heads) maxHeads = Math.max(maxHeads, x);
        for (long x : kvHeads) maxKv = Math.max(maxKv, x);
        if (maxHeads <= 0) throw new PlannerInputException("GGUF file " + file + ": " + arch + ".attention.head_count is 0");
        Long kl = h.integer(arch + ".attention.key_length");
        Long vl = h.integer(arch + ".attention.value_length");
        long keyLen = kl != null ? kl : embedding / maxHeads;
        long valueLen = vl != null ? vl : keyLen;
        long kvElements = 0;
        for (long x : kvHeads) kvElements += x * (keyLen + valueLen);
        Long ctx = h.integer(arch + ".context_length");
        long vocab = 0;
        if (h.metadata().get("tokenizer.ggml.tokens") instanceof GgufHeader.ArrayInfo a) vocab = a.length();
        else if (h.integer(arch + ".vocab_size") != null) vocab = h.integer(arch + ".vocab_size");

        Long expertCount = h.integer(arch + ".expert_count");
        Long expertUsed = h.integer(arch + ".expert_used_count");
        double expertShare = expertCount != null && expertUsed != null && expertCount > 0 ? (double) expertUsed / expertCount : 1;
        double params = 0, weightBytes = 0, read = 0, matmul = 0;
        boolean hasOutput = false;
        double embdBytes = 0, embdElements = 0;
        for (var t : h.tensors()) {
            params += t.elements();
            weightBytes += t.bytes();
            double share = t.name().contains("_exps") ? expertShare : 1;
            if (t.name().equals("token_embd.weight")) {
                embdBytes = t.bytes();
                embdElements = t.elements();
                continue;
            }
            if (t.name().equals("output.weight")) hasOutput = true;
            read += t.bytes() * share;
            if (t.dims().length >= 2) matmul += t.elements() * share;
        }
        var notes = new ArrayList<String>();
        if (!hasOutput && embdBytes > 0) {
            // Tied embeddings: the embedding table is the output matrix, read in full every token.
            read += embdBytes;
            matmul += embdElements;
            notes.add("token embeddings double as the output matrix, so decode reads them in full");
        }
        if (expertShare < 1) {
            notes.add("mixture of experts: " + expertUsed + " of " + expertCount + " experts per token, so decode reads "
                    + "that share of the expert weights (all of them must still fit in memory)");
        }
        String name = h.string("general.name");
        if (name == null || name.isBlank()) name = String.valueOf(file.getFileName());
        int headDim = (int) ((keyLen + valueLen) / 2);
        return new ModelSpec(name, "GGUF file " + file.getFileName(), arch, (int) layers, (int) maxHeads, (int) maxKv, headDim,
                kvElements, ctx == null ? 0 : ctx, vocab, params, weightBytes, read, matmul,
                "exact, from the GGUF tensor table", List.copyOf(notes));
    }

    /** From a parameter count, a quantisation and an attention shape: weight bytes are estimated. */
    public static ModelSpec fromParams(String name, String source, double params, Quantization.Quant quant, int layers, int heads,
                                       int kvHeads, int headDim, long trainedContext, long vocab) {
        PlannerInputException.requirePositive(params, "parameter count");
        if (layers <= 0) throw new PlannerInputException("number of layers must be positive, got " + layers);
        if (kvHeads <= 0) throw new PlannerInputException("number of KV heads must be positive, got " + kvHeads);
        if (headDim <= 0) throw new PlannerInputException("head dimension must be positive, got " + headDim);
        double bytes = params * quant.bitsPerWeight() / 8;
        return new ModelSpec(name, source, "unknown", layers, heads, kvHeads, headDim, 2L * layers * kvHeads * headDim,
                trainedContext, vocab, params, bytes, bytes, params,
                "estimated: " + dev.hearth.planner.Fmt.params(params) + " parameters x " + quant.bitsPerWeight()
                        + " bits (" + quant.name() + ", " + quant.basis() + ")", List.of());
    }

    private static long need(GgufHeader h, String key) {
        Long v = h.integer(key);
        if (v == null) throw missing(h, key);
        if (v <= 0) throw new PlannerInputException("GGUF file " + h.file() + ": " + key + " is " + v + ", expected a positive number");
        return v;
    }

    private static PlannerInputException missing(GgufHeader h, String key) {
        return new PlannerInputException("GGUF file " + h.file() + " has no " + key + " key; the planner needs it for the KV cache "
                + "(plan by --params with --layers/--kv-heads/--head-dim instead)");
    }

    /** A per-layer value that may be stored as one integer or as an array with one entry per layer. */
    private static long[] perLayer(GgufHeader h, String key, long layers, long[] fallback) {
        Object v = h.metadata().get(key);
        if (v instanceof Long l) {
            long[] out = new long[(int) layers];
            java.util.Arrays.fill(out, l);
            return out;
        }
        if (v instanceof long[] a) {
            if (a.length != layers) {
                throw new PlannerInputException("GGUF file " + h.file() + ": " + key + " has " + a.length + " entries for " + layers + " layers");
            }
            return a;
        }
        if (v != null) throw new PlannerInputException("GGUF file " + h.file() + ": " + key + " is not an integer");
        return fallback;
    }
}
