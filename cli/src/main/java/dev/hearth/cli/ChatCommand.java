package dev.hearth.cli;

import dev.hearth.engine.Generator;
import dev.hearth.engine.Model;
import dev.hearth.engine.chat.ChatMessage;
import dev.hearth.engine.model.ContextOverflowException;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.sampling.SamplerParams;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hearth chat -m FILE}: a multi-turn conversation with the model's chat template. The KV cache
 * is kept across turns: each turn renders the whole conversation, and only the tokens after the part
 * the cache already holds are fed to the model.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Interactive chat using the model's chat template. Commands: /reset, /exit (or Ctrl-D).")
final class ChatCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin SamplingOptions sampling;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", description = "Max tokens per reply (default: ${DEFAULT-VALUE})", defaultValue = "512")
    int maxTokens;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message")
    String system;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (maxTokens <= 0) throw new IllegalArgumentException("-n must be positive, got " + maxTokens);
        try (Model m = model.load()) {
            var params = sampling.params();
            var generator = new Generator(m);
            Session session = m.newSession();
            List<ChatMessage> messages = new ArrayList<>();
            if (system != null) messages.add(new ChatMessage("system", system));
            err.printf("hearth chat: %s, context %d tokens, template %s. /reset clears the conversation, /exit or Ctrl-D quits.%n",
                    m.name(), m.contextLength(), m.hasOwnChatTemplate() ? "from the model" : "ChatML (model has none)");
            // While the user types the first message, run the model once (a fresh JVM's first pass through each
            // code path costs ~1 s); joined before the model is used or closed, as the model is not thread-safe.
            Thread warmUp = Thread.ofPlatform().daemon().name("hearth-warm-up").start(() -> {
                try {
                    m.warmUp();
                } catch (RuntimeException e) {
                    // the first reply runs the same code and reports what is wrong
                }
            });
            try {
                converse(m, generator, session, messages, params, warmUp, out, err);
            } finally {
                warmUp.join();
            }
        }
        return 0;
    }

    private void converse(Model m, Generator generator, Session session, List<ChatMessage> messages, SamplerParams params,
                          Thread warmUp, PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
        var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (true) {
            out.print("> ");
            out.flush();
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit")) break;
            if (line.strip().equals("/reset")) {
                messages.removeIf(msg -> !msg.role().equals("system"));
                session.rewind(0);
                err.println("(conversation cleared)");
                continue;
            }
            if (line.isBlank()) continue;
            messages.add(new ChatMessage("user", line));
            warmUp.join();
            int[] all = m.tokenizer().encode(m.chatTemplate().render(messages, true), false, true);
            // Reuse the cached prefix; feed only what is new. Keep at least one token to feed.
            int keep = Math.min(session.commonPrefix(all), all.length - 1);
            if (all.length + maxTokens > m.contextLength()) {
                err.printf("(the conversation needs %d + %d tokens but the context holds %d: /reset or start with a larger --ctx)%n",
                        all.length, maxTokens, m.contextLength());
                messages.removeLast();
                continue;
            }
            session.rewind(keep);
            var reply = new StringBuilder();
            Generator.Result r;
            try {
                r = generator.generate(session, Arrays.copyOfRange(all, keep, all.length), maxTokens, params, piece -> {
                    reply.append(piece);
                    out.print(piece);
                    out.flush();
                });
            } catch (ContextOverflowException e) {
                err.println("(" + e.getMessage() + ")");
                messages.removeLast();
                continue;
            }
            out.println();
            messages.add(new ChatMessage("assistant", reply.toString()));
            err.printf("(%d new prompt tokens, %d reused; %d tokens at %.1f tok/s)%n",
                    all.length - keep, keep, r.generatedTokens(), r.generatedTokensPerSecond());
        }
    }
}
