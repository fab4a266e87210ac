package dev.hearth.cli;

import dev.hearth.engine.Generator;
import dev.hearth.engine.Model;
import dev.hearth.engine.chat.ChatMessage;
import dev.hearth.engine.model.ContextOverflowException;
import dev.hearth.engine.model.Session;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code hearth run -m FILE "prompt"}: one completion streamed to stdout, timings on stderr. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt and stream it to stdout; timings go to stderr.")
final class RunCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin SamplingOptions sampling;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "The prompt (use - to read it from stdin)")
    String prompt;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", description = "Tokens to generate; -1 = until end of text or context (default: ${DEFAULT-VALUE})", defaultValue = "256")
    int maxTokens;

    @Option(names = "--chat", description = "Format the prompt as a user message with the model's chat template")
    boolean chat;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message (implies --chat)")
    String system;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        String text = prompt.equals("-") ? new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8) : prompt;
        if (maxTokens < -1 || maxTokens == 0) throw new IllegalArgumentException("-n must be positive or -1, got " + maxTokens);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var params = sampling.params();
        try (Model m = model.load()) {
            int[] tokens;
            if (chat || system != null) {
                List<ChatMessage> messages = new ArrayList<>();
                if (system != null) messages.add(new ChatMessage("system", system));
                messages.add(new ChatMessage("user", text));
                // The template writes BOS itself where the model wants it; parse special tokens in its output.
                tokens = m.tokenizer().encode(m.chatTemplate().render(messages, true), false, true);
            } else {
                tokens = m.tokenizer().encode(text, true, false);
            }
            Session session = m.newSession();
            int budget = maxTokens == -1 ? m.contextLength() - tokens.length : maxTokens;
            if (tokens.length + budget > m.contextLength() || budget <= 0) {
                throw new ContextOverflowException(tokens.length + Math.max(budget, 1), m.contextLength());
            }
            var result = new Generator(m).generate(session, tokens, budget, params, piece -> {
                out.print(piece);
                out.flush();
            });
            out.println();
            out.flush();
            err.printf("%nprompt: %d tokens, time to first token %.1f ms, %.1f tok/s | generated: %d tokens, %.1f tok/s | %s, %d threads%n",
                    result.promptTokens(), result.ttftMillis(), result.promptTokensPerSecond(),
                    result.generatedTokens(), result.generatedTokensPerSecond(),
                    result.finishReason().equals("stop") ? "stopped at end of text" : "stopped at -n " + budget, m.threads());
        }
        return 0;
    }
}
