package dev.hearth.engine;

import dev.hearth.engine.model.ContextOverflowException;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.sampling.Sampler;
import dev.hearth.engine.sampling.SamplerParams;
import dev.hearth.engine.tokenizer.Tokenizer;
import dev.hearth.engine.tokenizer.Utf8StreamDecoder;
import java.util.function.Consumer;

/**
 * Single-sequence generation: prefill a prompt, then sample token by token, streaming text that never
 * splits a UTF-8 character, until an end-of-generation token or the token budget. Used by
 * {@code hearth run} and {@code hearth chat}; the server batches many sequences through the scheduler instead.
 */
public final class Generator {
    /** What happened, with the timings {@code hearth run} prints. */
    public record Result(int promptTokens, int generatedTokens, long prefillNanos, long decodeNanos, String finishReason) {
        /** Time to first token: the prompt's prefill plus sampling the first token. */
        public double ttftMillis() { return prefillNanos / 1e6; }
        public double promptTokensPerSecond() { return promptTokens / (prefillNanos / 1e9); }
        /** Tokens after the first, over the time they took. */
        public double generatedTokensPerSecond() {
            return generatedTokens <= 1 || decodeNanos == 0 ? 0 : (generatedTokens - 1) / (decodeNanos / 1e9);
        }
    }

    private final Model model;

    public Generator(Model model) {
        this.model = model;
    }

    /**
     * Feeds {@code prompt} into {@code session} (which may already hold earlier turns) and generates up
     * to {@code maxTokens} tokens, passing each complete piece of text to {@code out}.
     *
     * @throws ContextOverflowException before any work when prompt + maxTokens does not fit
     */
    public Result generate(Session session, int[] prompt, int maxTokens, SamplerParams params, Consumer<String> out) {
        int needed = session.position() + prompt.length + maxTokens;
        if (needed > session.contextLength()) {
            throw new ContextOverflowException(needed, session.contextLength());
        }
        Tokenizer tok = model.tokenizer();
        Sampler sampler = new Sampler(params, model.config().vocabSize());
        for (int t : prompt) sampler.accept(t);
        var text = new Utf8StreamDecoder();

        long t0 = System.nanoTime();
        float[] logits = session.feed(prompt);
        int token = sampler.sample(logits);
        long t1 = System.nanoTime();
        int generated = 0;
        String finish = "length";
        while (true) {
            if (tok.isEndOfGeneration(token)) {
                finish = "stop";
                break;
            }
            generated++;
            sampler.accept(token);
            String piece = text.feed(tok.tokenBytes(token, false));
            if (!piece.isEmpty()) out.accept(piece);
            if (generated >= maxTokens) break;
            logits = session.next(token);
            token = sampler.sample(logits);
        }
        String rest = text.flush();
        if (!rest.isEmpty()) out.accept(rest);
        long t2 = System.nanoTime();
        return new Result(prompt.length, generated, t1 - t0, t2 - t1, finish);
    }
}
