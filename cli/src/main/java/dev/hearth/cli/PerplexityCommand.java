package dev.hearth.cli;

import dev.hearth.engine.Model;
import dev.hearth.engine.bench.Perplexity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hearth perplexity -m FILE -f TEXT}: perplexity of a model on a text, computed as llama.cpp's
 * {@code llama-perplexity} does (non-overlapping chunks of {@code -c} tokens, BOS first in each, loss
 * over the second half of each chunk) so the figures can be compared directly.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Perplexity of a model on a text file, as llama-perplexity computes it: non-overlapping chunks",
                "of -c tokens, BOS first in each, loss over the second half of every chunk; PPL ± its standard error."},
        footer = {"", "Example:", "  hearth perplexity -m brown-llama-spm-q8_0.gguf -f brown-val.txt -c 256"})
public final class PerplexityCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model file (default: $HEARTH_MODEL)")
    Path model;
    @Option(names = {"-f", "--file"}, paramLabel = "TEXT", required = true, description = "UTF-8 text file to evaluate")
    Path text;
    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "Tokens per chunk (default: ${DEFAULT-VALUE})", defaultValue = "256")
    int ctx;
    @Option(names = "--chunks", paramLabel = "N", description = "Evaluate only the first N chunks (default: all)")
    int chunks;
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all available processors)")
    int threads;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (ctx < 4) throw new IllegalArgumentException("-c must be at least 4, got " + ctx);
        if (chunks < 0) throw new IllegalArgumentException("--chunks must be positive, got " + chunks);
        if (threads < 0) throw new IllegalArgumentException("--threads must be positive, got " + threads);
        String content;
        try {
            content = Files.readString(text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read -f " + text + ": " + e.getMessage());
        }
        var opts = new ModelOptions();
        opts.model = model;
        Path file = opts.resolve();
        try (Model m = Model.load(file, new Model.Options(ctx, threads, null))) {
            long t0 = System.nanoTime();
            int[] tokens = m.tokenizer().encode(content, true, false);
            err.printf(Locale.ROOT, "perplexity: tokenized %s into %,d tokens in %.0f ms%n", text.getFileName(), tokens.length,
                    (System.nanoTime() - t0) / 1e6);
            int total = tokens.length / ctx;
            int n = chunks > 0 ? Math.min(chunks, total) : total;
            err.printf(Locale.ROOT, "perplexity: calculating perplexity over %d chunks, n_ctx=%d, %d threads%n", n, ctx, m.threads());
            err.flush();
            int bos = m.tokenizer().addBos() ? m.tokenizer().bos() : -1;
            long start = System.nanoTime();
            var result = Perplexity.compute(m.transformer(), tokens, ctx, bos, chunks, (c, all, ppl) -> {
                out.printf(Locale.ROOT, "[%d]%.4f,", c, ppl);
                if (c % 10 == 0 || c == all) out.println();
                out.flush();
            });
            double seconds = (System.nanoTime() - start) / 1e9;
            out.println();
            out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", result.ppl(), result.error());
            out.flush();
            err.printf(Locale.ROOT, "perplexity: %d chunks, %,d tokens scored, %.1f s (%.0f tokens/s evaluated)%n",
                    result.chunks(), result.scoredTokens(), seconds, result.chunks() * (double) ctx / seconds);
            err.flush();
        }
        return 0;
    }
}
