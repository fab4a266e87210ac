package dev.hearth.cli;

import dev.hearth.engine.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that load a model: which file, context, threads, chat template. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model file (default: $HEARTH_MODEL)")
    Path model;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "Context length in tokens (default: the model's, capped at 4096)")
    int ctx;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all available processors)")
    int threads;

    @Option(names = "--chat-template", paramLabel = "FILE", description = "Jinja chat template file overriding the model's")
    Path chatTemplate;

    /** The model path from -m or HEARTH_MODEL, or a message that says how to get one. */
    Path resolve() {
        Path p = model;
        if (p == null) {
            String env = System.getenv("HEARTH_MODEL");
            if (env == null || env.isBlank()) {
                throw new IllegalArgumentException("no model given. Pass -m FILE.gguf or set HEARTH_MODEL=/path/to/model.gguf. "
                        + "GGUF files come from Hugging Face (e.g. Qwen/Qwen2.5-0.5B-Instruct-GGUF) or from llama.cpp's convert_hf_to_gguf.py; "
                        + "this repository's tests use ../shared/models/*.gguf");
            }
            p = Path.of(env);
        }
        if (!Files.exists(p)) throw new IllegalArgumentException("model file not found: " + p);
        if (Files.isDirectory(p)) throw new IllegalArgumentException(p + " is a directory; pass the .gguf file inside it");
        return p;
    }

    Model load() {
        if (ctx < 0) throw new IllegalArgumentException("--ctx must be positive, got " + ctx);
        if (threads < 0) throw new IllegalArgumentException("--threads must be positive, got " + threads);
        String template = null;
        if (chatTemplate != null) {
            try {
                template = Files.readString(chatTemplate);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read --chat-template " + chatTemplate + ": " + e.getMessage());
            }
        }
        return Model.load(resolve(), new Model.Options(ctx, threads, template));
    }
}
