package dev.hearth.engine;

import dev.hearth.engine.chat.ChatMessage;
import dev.hearth.engine.chat.ChatTemplate;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.kernel.Parallel;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.model.Transformer;
import dev.hearth.engine.model.Weights;
import dev.hearth.engine.sampling.Sampler;
import dev.hearth.engine.sampling.SamplerParams;
import dev.hearth.engine.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A loaded model, ready to generate: the mapped GGUF file, its configuration and weights, tokenizer,
 * chat template and a worker pool. The entry point for applications that embed Hearth:
 * <pre>{@code
 * try (Model model = Model.load(Path.of("model.gguf"), Model.Options.defaults())) {
 *     var gen = new Generator(model);
 *     gen.generate(model.tokenizer().encode("Hello", true, false), 32, SamplerParams.greedy(), piece -> System.out.print(piece));
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {
    /** Context used when the model's own is larger and none is asked for (bounds KV memory). */
    public static final int DEFAULT_MAX_CONTEXT = 4096;

    /**
     * @param contextLength tokens per sequence; 0 = the model's trained context, capped at {@link #DEFAULT_MAX_CONTEXT}
     * @param threads       worker threads; 0 = all available processors
     * @param chatTemplate  a Jinja template overriding the file's, or null
     */
    public record Options(int contextLength, int threads, String chatTemplate) {
        public static Options defaults() {
            return new Options(0, 0, null);
        }
    }

    private final Path path;
    private final GgufFile file;
    private final ModelConfig config;
    private final Weights weights;
    private final Transformer transformer;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;
    private final boolean hasOwnTemplate;
    private final Parallel pool;
    private final int contextLength;

    private Model(Path path, GgufFile file, Options options) {
        this.path = path;
        this.file = file;
        this.config = ModelConfig.from(file);
        this.weights = new Weights(file, config);
        this.tokenizer = Tokenizer.fromGguf(file);
        if (options.contextLength() < 0) {
            throw new IllegalArgumentException("context length must be positive, got " + options.contextLength());
        }
        this.contextLength = options.contextLength() > 0 ? options.contextLength()
                : Math.min(config.trainedContext(), DEFAULT_MAX_CONTEXT);
        String bos = tokenizer.bos() >= 0 ? tokenizer.tokenText(tokenizer.bos()) : "";
        String eos = tokenizer.eos() >= 0 ? tokenizer.tokenText(tokenizer.eos()) : "";
        Optional<ChatTemplate> own = ChatTemplate.fromGguf(file);
        this.hasOwnTemplate = own.isPresent();
        this.chatTemplate = options.chatTemplate() != null ? new ChatTemplate(options.chatTemplate(), bos, eos)
                : own.orElseGet(() -> ChatTemplate.chatMl(bos, eos));
        this.pool = new Parallel(options.threads() > 0 ? options.threads() : Parallel.defaultThreads(), Parallel.whileJitBusy());
        this.transformer = new Transformer(config, weights, pool);
    }

    /** Maps and validates a GGUF model file; errors name what is wrong with it. */
    public static Model load(Path path, Options options) {
        GgufFile file = GgufFile.open(path);
        try {
            return new Model(path, file, options);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** A model name for APIs: general.name, else the file name without .gguf. */
    public String name() {
        String fileName = path.getFileName().toString();
        return file.getString("general.name", fileName.endsWith(".gguf") ? fileName.substring(0, fileName.length() - 5) : fileName);
    }

    public Path path() { return path; }
    public GgufFile file() { return file; }
    public ModelConfig config() { return config; }
    public Weights weights() { return weights; }
    public Transformer transformer() { return transformer; }
    public Tokenizer tokenizer() { return tokenizer; }
    public ChatTemplate chatTemplate() { return chatTemplate; }
    /** Whether the file carries its own chat template (else ChatML or the override is used). */
    public boolean hasOwnChatTemplate() { return hasOwnTemplate; }
    public int contextLength() { return contextLength; }
    public int threads() { return pool.threads(); }

    /** A new sequence with its own KV cache of {@link #contextLength()} positions. */
    public Session newSession() {
        return new Session(transformer, contextLength);
    }

    /**
     * Tokens of the prompt that {@link #warmUp} feeds past a short prompt (so prompt rows), how many it then generates,
     * and the short prompt it feeds last (decode rows, {@link Transformer#isShortPrompt}).
     */
    static final int WARM_UP_PAST_SHORT = 4, WARM_UP_GENERATED = 8, WARM_UP_SHORT_PROMPT = 4;

    /** Tokens of the prompt that {@link #warmUp} feeds first: prompt rows. */
    int warmUpPrompt() {
        return transformer.shortPromptTokens() + WARM_UP_PAST_SHORT;
    }

    /**
     * Runs every code path a request takes once, on a scratch sequence: a prompt of {@link #warmUpPrompt} tokens as
     * one batch, {@value #WARM_UP_GENERATED} decode steps (greedy), a short prompt of {@value #WARM_UP_SHORT_PROMPT}
     * tokens from the start again, and the chat template rendered once.
     * In a fresh JVM the first pass through each path pays for class loading, method-handle linking and the
     * interpreter (on the 21M-parameter brown model: ~0.5 s for a 5-token prompt and ~0.4 s for the first decode
     * step, against ~15 ms and ~1 ms once warm); a server does this before it answers, as llama.cpp's server does
     * its warm-up run. Not thread-safe with other uses of the model: call it before handing the model out.
     *
     * @return the time it took, in nanoseconds
     */
    public long warmUp() {
        long t0 = System.nanoTime();
        var session = new Session(transformer, Math.min(contextLength, warmUpPrompt() + WARM_UP_GENERATED));
        int[] prompt = new int[Math.max(1, Math.min(warmUpPrompt(), session.contextLength() - WARM_UP_GENERATED))];
        for (int i = 0; i < prompt.length; i++) prompt[i] = i % config.vocabSize();
        var greedy = new Sampler(SamplerParams.greedy(), config.vocabSize());   // a request's own sampling code
        float[] logits = session.feed(prompt);
        for (int i = 0; i < WARM_UP_GENERATED && session.position() < session.contextLength(); i++) {
            int token = greedy.sample(logits);
            if (token < 0) break;   // no finite logit: nothing to feed (a request says what is wrong)
            logits = session.next(token);
        }
        session.rewind(0);
        session.feed(java.util.Arrays.copyOf(prompt, Math.min(WARM_UP_SHORT_PROMPT, prompt.length)));
        try {
            chatTemplate.render(List.of(ChatMessage.user("Hello")), true);
        } catch (RuntimeException e) {
            // a template that rejects this conversation will say so on the request that sends one
        }
        return System.nanoTime() - t0;
    }

    /** Bytes of the KV cache of one sequence at the configured context. */
    public long kvBytesPerSequence() {
        return KvCache.bytesFor(config, contextLength);
    }

    @Override
    public void close() {
        pool.close();
        file.close();
    }
}
