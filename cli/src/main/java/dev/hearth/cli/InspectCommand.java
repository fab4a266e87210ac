package dev.hearth.cli;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.gguf.GgufValue;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.ModelConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code hearth inspect FILE}: what is in a GGUF file and what it needs to run. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a GGUF model's architecture, size, tokenizer, chat template, tensor types and memory need.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "GGUF model file")
    Path file;

    @Option(names = "--ctx", description = "Context length for the memory estimate (default: the model's, capped at ${DEFAULT-VALUE})", defaultValue = "4096")
    int ctx;

    @Option(names = "--metadata", description = "Print every metadata key")
    boolean allMetadata;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile f = GgufFile.open(file)) {
            out.printf("file:            %s (%s, GGUF v%d)%n", file, Format.bytes(f.fileSize()), f.version());
            out.printf("name:            %s%n", f.getString("general.name", "(unnamed)"));
            String arch = f.getString("general.architecture", "(none)");
            long params = 0;
            Map<GgmlType, long[]> byType = new EnumMap<>(GgmlType.class);
            for (GgufTensor t : f.tensors().values()) {
                params += t.elements();
                long[] acc = byType.computeIfAbsent(t.type(), k -> new long[2]);
                acc[0]++;
                acc[1] += t.byteSize();
            }
            out.printf("architecture:    %s%s%n", arch, ModelConfig.SUPPORTED.contains(arch) ? "" : "  (not supported by Hearth: " + ModelConfig.SUPPORTED + ")");
            out.printf("parameters:      %s (%,d)%n", Format.count(params), params);
            ModelConfig c = null;
            if (ModelConfig.SUPPORTED.contains(arch)) {
                c = ModelConfig.from(f);
                out.printf("shape:           dim %d, %d layers, %d heads (%d KV heads, head dim %d), ffn %d, vocab %d%n",
                        c.dim(), c.layers(), c.heads(), c.kvHeads(), c.headDim(), c.ffnDim(), c.vocabSize());
                out.printf("context length:  %d (trained)%n", c.trainedContext());
                out.printf("rope:            %s, base %.0f%s%n", c.ropeNeox() ? "NeoX" : "normal", c.ropeTheta(),
                        f.tensor("rope_freqs.weight") != null ? ", Llama 3 frequency factors" : "");
            }
            String tokModel = f.getString("tokenizer.ggml.model", "(none)");
            int vocab = f.has("tokenizer.ggml.tokens") ? f.getStringArray("tokenizer.ggml.tokens").length : 0;
            out.printf("tokenizer:       %s, %d tokens%s%n", tokModel, vocab,
                    f.has("tokenizer.ggml.pre") ? ", pre-tokenizer " + f.getString("tokenizer.ggml.pre") : "");
            String template = f.getString("tokenizer.chat_template", null);
            if (template == null) {
                out.println("chat template:   (none; ChatML is used for chat)");
            } else {
                out.println("chat template:");
                String[] lines = template.split("\n");
                for (int i = 0; i < Math.min(5, lines.length); i++) out.println("  | " + lines[i]);
                if (lines.length > 5) out.printf("  | ... (%d lines)%n", lines.length);
            }
            out.println("tensors by type:");
            for (var e : byType.entrySet()) {
                out.printf("  %-6s %5d tensors  %10s%n", e.getKey(), e.getValue()[0], Format.bytes(e.getValue()[1]));
            }
            long weights = 0;
            for (long[] v : byType.values()) weights += v[1];
            if (c != null) {
                int runCtx = Math.min(ctx, c.trainedContext());
                long kv = KvCache.bytesFor(c, runCtx);
                long act = activationBytes(c);
                out.printf("memory to run at context %d: %s = weights %s (memory-mapped) + KV cache %s (F16) + activations ~%s%n",
                        runCtx, Format.bytes(weights + kv + act), Format.bytes(weights), Format.bytes(kv), Format.bytes(act));
            }
            if (allMetadata) {
                out.println("metadata:");
                for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
                    String v = e.getValue().toString();
                    out.printf("  %s = %s%n", e.getKey(), v.length() > 120 ? v.substring(0, 117) + "..." : v);
                }
            }
        }
        return 0;
    }

    /** Workspace for a 512-token prompt chunk plus one row of logits per chunk. */
    static long activationBytes(ModelConfig c) {
        long perToken = 4L * (2L * c.dim() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.ffnDim());
        return perToken * 512 + 4L * c.vocabSize() * 2;
    }
}
