package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufFile;
import java.util.List;

/**
 * Hyper-parameters of a decoder-only transformer, read from {@code general.architecture} and the
 * {@code ARCH.*} metadata keys of a GGUF file.
 *
 * @param qDim       heads x headDim (equals dim for Llama/Qwen2; may differ for Qwen3)
 * @param ropeNeox   true when RoPE rotates pairs (i, i + headDim/2) (GPT-NeoX order: Qwen2/3),
 *                   false for adjacent pairs (2i, 2i+1) (Llama as converted to GGUF)
 */
public record ModelConfig(
        String architecture,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffnDim,
        int vocabSize,
        int trainedContext,
        float rmsEps,
        float ropeTheta,
        float ropeScale,
        boolean ropeNeox,
        boolean qkvBias,
        boolean qkNorm) {

    /** Architectures this engine runs. */
    public static final List<String> SUPPORTED = List.of("llama", "qwen2", "qwen3");

    public int qDim() { return heads * headDim; }
    public int kvDim() { return kvHeads * headDim; }

    public static ModelConfig from(GgufFile f) {
        String arch = f.getString("general.architecture");
        if (!SUPPORTED.contains(arch)) {
            throw new GgufException(f.source() + ": unsupported architecture '" + arch + "'. Hearth runs: "
                    + String.join(", ", SUPPORTED) + " (Llama 2/3, TinyLlama, SmolLM, Mistral, Qwen2/2.5, Qwen3).");
        }
        int dim = f.getInt(arch + ".embedding_length");
        int layers = f.getInt(arch + ".block_count");
        int heads = f.getInt(arch + ".attention.head_count");
        int kvHeads = f.getInt(arch + ".attention.head_count_kv", heads);
        int headDim = f.getInt(arch + ".attention.key_length", heads > 0 ? dim / heads : 0);
        int ffn = f.getInt(arch + ".feed_forward_length");
        int ctx = f.getInt(arch + ".context_length", 2048);
        float eps = f.getFloat(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
        float theta = f.getFloat(arch + ".rope.freq_base", 10000f);
        float scale = 1f;
        String scaling = f.getString(arch + ".rope.scaling.type", "none");
        if (scaling.equals("linear")) {
            float factor = f.getFloat(arch + ".rope.scaling.factor", 1f);
            if (factor > 0) scale = 1f / factor;
        } else if (!scaling.equals("none") && !scaling.equals("llama3")) {
            throw new GgufException(f.source() + ": RoPE scaling '" + scaling + "' is not supported (supported: none, linear, llama3 via rope_freqs)");
        }
        int vocab = f.tensor("token_embd.weight") != null
                ? f.requireTensor("token_embd.weight").rows()
                : f.getStringArray("tokenizer.ggml.tokens").length;
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new GgufException(f.source() + ": head_count " + heads + " is not a positive multiple of head_count_kv " + kvHeads);
        }
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new GgufException(f.source() + ": head dimension " + headDim + " must be positive and even for RoPE");
        }
        if (dim <= 0 || layers <= 0 || ffn <= 0) {
            throw new GgufException(f.source() + ": invalid shape (embedding_length " + dim + ", block_count " + layers + ", feed_forward_length " + ffn + ")");
        }
        boolean neox = !arch.equals("llama");
        // Biases and Q/K norms are detected from the tensors, not assumed from the architecture name.
        boolean bias = f.tensor("blk.0.attn_q.bias") != null;
        boolean qkNorm = f.tensor("blk.0.attn_q_norm.weight") != null;
        return new ModelConfig(arch, dim, layers, heads, kvHeads, headDim, ffn, vocab, ctx, eps, theta, scale,
                neox, bias, qkNorm);
    }
}
