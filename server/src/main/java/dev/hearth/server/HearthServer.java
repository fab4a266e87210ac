package dev.hearth.server;

import dev.hearth.engine.Model;
import dev.hearth.engine.batch.GenerationRequest;
import dev.hearth.engine.batch.QueueFullException;
import dev.hearth.engine.batch.Scheduler;
import dev.hearth.engine.chat.ChatTemplateException;
import dev.hearth.engine.model.ContextOverflowException;
import dev.hearth.engine.sampling.SamplerParams;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Hearth's HTTP server: OpenAI-compatible ({@code /v1/...}) and Ollama-compatible ({@code /api/...}) endpoints
 * over one continuous-batching {@link Scheduler}, with bearer-key authentication, body limits, Prometheus
 * metrics and graceful shutdown. Runs on Helidon SE (one virtual thread per request).
 *
 * <pre>{@code
 * var server = new HearthServer(ServerConfig.defaults()).start();   // /health says "loading"
 * server.ready(Model.load(path, Model.Options.defaults()));         // now it serves
 * ...
 * server.stop(Duration.ofSeconds(30));
 * }</pre>
 */
public final class HearthServer implements AutoCloseable {
    static final System.Logger LOG = System.getLogger("dev.hearth.server");
    static final String VERSION = "0.1.0";

    /** The model being served and what is derived from it once. */
    record Loaded(Model model, Scheduler scheduler, String id, long created, String digest, long fileSize) {
        /** Whether a request's {@code model} names this model (its id, file name, or Ollama-style {@code id:latest}). */
        boolean matches(String name) {
            String n = name.endsWith(":latest") ? name.substring(0, name.length() - 7) : name;
            String file = model.path().getFileName().toString();
            return n.equals(id) || n.equals(file) || (file.endsWith(".gguf") && n.equals(file.substring(0, file.length() - 5)));
        }
    }

    private final ServerConfig config;
    private final ApiKeys keys;
    private final ServerMetrics metrics;
    private final SecureRandom random = new SecureRandom();
    private volatile Loaded loaded;
    private volatile boolean draining;
    private WebServer web;

    public HearthServer(ServerConfig config) {
        this.config = config;
        this.keys = new ApiKeys(config.apiKeys());
        this.metrics = new ServerMetrics(() -> loaded == null ? null : loaded.scheduler());
    }

    /** Starts and serves {@code model} at once. */
    public static HearthServer serve(Model model, ServerConfig config) {
        var s = new HearthServer(config).start();
        try {
            s.ready(model);
        } catch (RuntimeException e) {
            s.stop(Duration.ZERO);
            throw e;
        }
        return s;
    }

    public ServerConfig config() { return config; }
    public int port() { return web.port(); }
    /** The scheduler, or null while the model is loading. */
    public Scheduler scheduler() { return loaded == null ? null : loaded.scheduler(); }
    ServerMetrics metrics() { return metrics; }

    /** Binds the port; until {@link #ready} the endpoints answer 503 and {@code /health} says loading. */
    public HearthServer start() {
        var openAi = new OpenAiApi(this);
        var ollama = new OllamaApi(this);
        web = WebServer.builder()
                .host(config.host())
                .port(config.port())
                .shutdownGracePeriod(Duration.ofMillis(500))
                .shutdownHook(false) // stop() drains the streams first; Helidon's own hook would cut them
                .routing(r -> routes(r, openAi, ollama))
                .build()
                .start();
        if (!keys.enabled() && !config.loopbackOnly()) {
            LOG.log(Level.WARNING, "listening on " + config.host() + ":" + port() + " WITHOUT API keys: anyone who can reach this"
                    + " address can use the model. Pass --api-key KEY or --api-key-file FILE, or bind 127.0.0.1.");
        }
        LOG.log(Level.INFO, "listening on http://" + config.host() + ":" + port());
        return this;
    }

    /** Starts serving {@code model}: creates the scheduler sized by the configuration. */
    public void ready(Model model) {
        long perSequence = model.kvBytesPerSequence();
        long budget = config.kvBudgetBytes() > 0 ? config.kvBudgetBytes() : Runtime.getRuntime().maxMemory() / 2;
        int fit = Scheduler.sequencesFor(budget, perSequence, ServerConfig.MAX_PARALLEL);
        int parallel = config.parallel() > 0 ? config.parallel() : fit;
        if (config.parallel() > 0 && config.kvBudgetBytes() > 0 && parallel > fit) {
            throw new IllegalArgumentException("--parallel " + parallel + " needs " + mib(parallel * perSequence)
                    + " of KV cache (" + mib(perSequence) + " per sequence at context " + model.contextLength()
                    + ") but --kv-memory allows " + mib(budget) + "; lower --parallel or --ctx, or raise --kv-memory");
        }
        int queue = config.queue() >= 0 ? config.queue() : Math.max(64, 4 * parallel);
        var scheduler = new Scheduler(model, new Scheduler.Config(parallel, queue, config.stepTokens()));
        long created;
        try {
            created = Files.getLastModifiedTime(model.path()).toMillis() / 1000;
        } catch (IOException e) {
            created = System.currentTimeMillis() / 1000;
        }
        String digest = Integer.toHexString(model.path().toAbsolutePath().toString().hashCode())
                + Long.toHexString(model.file().fileSize());
        loaded = new Loaded(model, scheduler, model.name(), created, digest, model.file().fileSize());
        LOG.log(Level.INFO, "serving " + model.name() + ": context " + model.contextLength() + ", " + parallel
                + " parallel sequences (KV " + mib(perSequence) + " each, " + mib(parallel * perSequence) + " at most), queue "
                + queue + ", " + model.threads() + " threads");
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    /**
     * Graceful shutdown: stops taking requests (503), lets running streams finish for up to {@code grace},
     * cancels the rest, then closes the listener. The model is the caller's to close.
     *
     * @return true when every stream finished within the grace period
     */
    public boolean stop(Duration grace) {
        draining = true;
        boolean drained = true;
        Loaded l = loaded;
        if (l != null) drained = l.scheduler().shutdown(grace);
        if (web != null && web.isRunning()) web.stop();
        return drained;
    }

    @Override
    public void close() {
        stop(config.shutdownGrace());
    }

    // ------------------------------------------------------------------ routing

    private void routes(HttpRouting.Builder r, OpenAiApi openAi, OllamaApi ollama) {
        r.addFilter(this::authenticate);
        r.get("/health", (req, res) -> {
            Loaded l = loaded;
            String status = draining ? "shutting down" : l == null ? "loading" : "ready";
            res.status(l == null || draining ? 503 : 200);
            sendJson(res, Map.of("status", status));
        });
        r.get("/metrics", endpoint("/metrics", false, ex -> {
            ex.res.header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            ex.res.send(metrics.scrape().getBytes(StandardCharsets.UTF_8));
        }));
        r.post("/v1/chat/completions", endpoint("/v1/chat/completions", false, openAi::chat));
        r.post("/v1/completions", endpoint("/v1/completions", false, openAi::completions));
        r.post("/v1/embeddings", endpoint("/v1/embeddings", false, openAi::embeddings));
        r.get("/v1/models", endpoint("/v1/models", false, openAi::models));
        r.get("/v1/models/{id}", endpoint("/v1/models/{id}", false, openAi::model));
        r.post("/api/chat", endpoint("/api/chat", true, ollama::chat));
        r.post("/api/generate", endpoint("/api/generate", true, ollama::generate));
        r.post("/api/embed", endpoint("/api/embed", true, ollama::embed));
        r.get("/api/tags", endpoint("/api/tags", true, ollama::tags));
        r.post("/api/show", endpoint("/api/show", true, ollama::show));
        r.get("/api/ps", endpoint("/api/ps", true, ollama::ps));
        r.get("/api/version", endpoint("/api/version", true, ollama::version));
        r.get("/", (req, res) -> res.send("Hearth is running"));
        r.any((req, res) -> {
            String path = req.path().path();
            boolean ollamaPath = path.startsWith("/api/");
            ApiError e = KNOWN_PATHS.contains(path)
                    ? new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                            "Method " + req.prologue().method().text() + " is not allowed for " + path + ".", 0)
                    : new ApiError(404, "invalid_request_error", null, "unknown_url",
                            "Unknown request URL: " + req.prologue().method().text() + " " + path
                                    + ". The endpoints are /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models, /api/chat, "
                                    + "/api/generate, /api/tags, /api/show, /api/ps, /api/version, /health and /metrics.", 0);
            sendError(res, e, ollamaPath);
        });
    }

    private static final Set<String> KNOWN_PATHS = Set.of("/health", "/metrics", "/v1/chat/completions", "/v1/completions",
            "/v1/embeddings", "/v1/models", "/api/chat", "/api/generate", "/api/embed", "/api/tags", "/api/show", "/api/ps",
            "/api/version");

    /** Every path but /health (and the bare root) needs a key when keys are configured. */
    private void authenticate(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (!keys.enabled() || path.equals("/health") || path.equals("/")
                || keys.accepts(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null))) {
            chain.proceed();
            return;
        }
        boolean given = req.headers().contains(HeaderNames.AUTHORIZATION);
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        metrics.request(path, 401);
        sendError(res, new ApiError(401, "invalid_request_error", null, "invalid_api_key", given
                ? "Incorrect API key provided. Pass one of the server's keys as 'Authorization: Bearer KEY'."
                : "You didn't provide an API key. Pass it in the Authorization header as 'Authorization: Bearer KEY'.", 0),
                path.startsWith("/api/"));
    }

    // ------------------------------------------------------------------ request plumbing

    /** One request being handled. */
    static final class Exchange {
        final ServerRequest req;
        final ServerResponse res;
        final long startNanos = System.nanoTime();
        final boolean ollama;
        int promptTokens, completionTokens;

        Exchange(ServerRequest req, ServerResponse res, boolean ollama) {
            this.req = req;
            this.res = res;
            this.ollama = ollama;
        }
    }

    @FunctionalInterface
    interface ExchangeHandler {
        void handle(Exchange ex) throws Exception;
    }

    /**
     * Wraps a handler: API errors become their JSON body and status, anything unexpected a 500 without a
     * stack trace; every request is counted and logged (without prompt text).
     */
    private Handler endpoint(String name, boolean ollama, ExchangeHandler h) {
        return (req, res) -> {
            var ex = new Exchange(req, res, ollama);
            int status;
            try {
                h.handle(ex);
                status = res.status().code();
            } catch (ApiError e) {
                status = sendError(res, e, ollama);
            } catch (ClientGone e) {
                status = 499; // nginx's "client closed request": the stream was cut by the client
            } catch (Throwable e) {
                LOG.log(Level.ERROR, "internal error in " + name, e);
                if (e instanceof InterruptedException) Thread.currentThread().interrupt();
                status = sendError(res, ApiError.internal("The server had an error while processing your request ("
                        + e.getClass().getSimpleName() + "); it is logged on the server."), ollama);
            }
            metrics.request(name, status);
            final int code = status;
            LOG.log(Level.INFO, () -> String.format(java.util.Locale.ROOT, "%s %s %d %.1f ms prompt=%d completion=%d",
                    req.prologue().method().text(), req.path().path(), code, (System.nanoTime() - ex.startNanos) / 1e6,
                    ex.promptTokens, ex.completionTokens));
        };
    }

    /** Sends an API error unless the response is already under way; returns the status. */
    static int sendError(ServerResponse res, ApiError e, boolean ollama) {
        if (res.isSent()) return e.status;
        try {
            res.status(e.status);
            if (e.retryAfter > 0) res.header(HeaderNames.RETRY_AFTER, Integer.toString(e.retryAfter));
            if (e.status == 413) res.header(HeaderNames.CONNECTION, "close");
            Object body = ollama ? new OllamaDto.Error(e.getMessage())
                    : new OpenAiDto.ErrorBody(new OpenAiDto.ErrorDetail(e.getMessage(), e.type, e.param, e.code));
            sendJson(res, body);
        } catch (RuntimeException ignored) {
            // the client is gone; nothing to tell it
        }
        return e.status;
    }

    static void sendJson(ServerResponse res, Object body) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(body));
    }

    /**
     * How much of an oversized body is read and dropped before the 413 goes out. A client that is still
     * writing its body when the server answers and closes sees a reset instead of the answer, so bodies up to
     * this size are drained first; a client announcing more is cut off at once.
     */
    static final long DRAIN_LIMIT = 16L << 20;

    /** The request body, at most {@code --max-body} bytes (413 beyond, once a modest excess has been drained). */
    byte[] body(Exchange ex) {
        long max = config.maxBodyBytes();
        OptionalLong declared = ex.req.headers().contentLength();
        if (declared.isPresent() && declared.getAsLong() > max) {
            if (declared.getAsLong() <= DRAIN_LIMIT) drain(ex, DRAIN_LIMIT);
            throw tooLarge(declared.getAsLong() + " bytes", max);
        }
        if (!ex.req.content().hasEntity()) return new byte[0];
        try (InputStream in = ex.req.content().inputStream()) {
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (b.length > max) {
                drain(in, DRAIN_LIMIT - b.length);
                throw tooLarge("more than " + max + " bytes", max);
            }
            return b;
        } catch (IOException | UncheckedIOException e) {
            throw ApiError.badRequest(null, "Could not read the request body: " + e.getMessage());
        }
    }

    private static void drain(Exchange ex, long limit) {
        try (InputStream in = ex.req.content().inputStream()) {
            drain(in, limit);
        } catch (IOException | UncheckedIOException e) {
            // the client is gone; the 413 goes out all the same
        }
    }

    /** Reads and drops at most {@code limit} bytes; a client that is gone or sent less than it declared ends it. */
    private static void drain(InputStream in, long limit) {
        byte[] sink = new byte[64 * 1024];
        try {
            for (long left = limit; left > 0; ) {
                int n = in.read(sink, 0, (int) Math.min(sink.length, left));
                if (n < 0) return;
                left -= n;
            }
        } catch (IOException | UncheckedIOException e) {
            // nothing more to read; the 413 goes out all the same
        }
    }

    private static ApiError tooLarge(String size, long max) {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "The request body is " + size + "; this server accepts at most " + max + " bytes (--max-body).", 0);
    }

    /** The loaded model, or 503 while it loads or the server shuts down. */
    Loaded loaded() {
        Loaded l = loaded;
        if (draining) throw ApiError.unavailable("shutting_down", "The server is shutting down; retry on another instance.");
        if (l == null) throw ApiError.unavailable("model_loading", "The model is still loading; retry in a moment.");
        return l;
    }

    /** Checks the request's {@code model} field (absent means the loaded model). */
    Loaded checkModel(Json.Fields f) {
        Loaded l = loaded();
        String name = f.string("model").orElse("");
        if (!name.isEmpty() && !l.matches(name)) {
            throw ApiError.modelNotFound(name, l.id());
        }
        return l;
    }

    /** Renders a conversation with the model's chat template and tokenizes it (special tokens parsed). */
    int[] chatPrompt(Loaded l, List<Map<String, Object>> messages) {
        String text;
        try {
            text = l.model().chatTemplate().renderMessages(messages, true, Map.of());
        } catch (ChatTemplateException e) {
            throw ApiError.badRequest("messages", "The model's chat template rejected these messages: " + e.getMessage());
        }
        if (config.logPrompts()) LOG.log(Level.INFO, "prompt: " + text);
        return l.model().tokenizer().encode(text, false, true);
    }

    /** Tokenizes a raw prompt as llama.cpp does: BOS as the model wants it, special-token texts recognized. */
    int[] textPrompt(Loaded l, String text) {
        if (config.logPrompts()) LOG.log(Level.INFO, "prompt: " + text);
        return l.model().tokenizer().encode(text, true, true);
    }

    void logCompletion(String text) {
        if (config.logPrompts()) LOG.log(Level.INFO, "completion: " + text);
    }

    /**
     * What to generate for each prompt: shared by both APIs.
     *
     * @param n           choices per prompt
     * @param maxTokens   tokens per choice, or null for "until the context is full"
     * @param seed        the base seed, or null for a random one per choice
     * @param topLogprobs -1 = none
     * @param ignoreEos   generate past end-of-generation tokens (benchmarks; llama.cpp's ignore_eos)
     */
    record Options(int n, Integer maxTokens, SamplerParams params, Long seed, List<String> stop, int topLogprobs, boolean ignoreEos) {}

    /**
     * Checks each prompt against the context and submits {@code n} sequences per prompt (choice index
     * {@code prompt * n + i}; seeded choices use seed + i).
     *
     * @param promptParam the request field errors about the prompt name ("messages", "prompt")
     */
    GenerationRun launch(Exchange ex, Loaded l, List<int[]> prompts, Options o, String promptParam) {
        int context = l.scheduler().contextLength();
        var requests = new ArrayList<GenerationRequest>();
        for (int[] p : prompts) {
            if (p.length == 0) throw ApiError.badRequest(promptParam, "The prompt is empty after tokenization; send some text.");
            int max = o.maxTokens() != null ? o.maxTokens() : context - p.length;
            if (p.length + Math.max(max, 1) > context) {
                throw ApiError.contextExceeded(promptParam, context, p.length, o.maxTokens() != null ? o.maxTokens() : 1);
            }
            for (int i = 0; i < o.n(); i++) {
                long seed = o.seed() != null ? o.seed() + i : random.nextLong();
                requests.add(new GenerationRequest(p, max, o.params().withSeed(seed), o.stop(), o.topLogprobs(), o.ignoreEos()));
            }
            ex.promptTokens += p.length;
        }
        try {
            return GenerationRun.start(l.scheduler(), requests, metrics, ex.startNanos);
        } catch (QueueFullException e) {
            throw ApiError.busy(e.getMessage());
        } catch (ContextOverflowException e) {
            throw ApiError.contextExceeded(promptParam, context, e.needed() - 1, 1);
        } catch (IllegalStateException e) {
            throw ApiError.unavailable("shutting_down", "The server is shutting down; retry on another instance.");
        }
    }

    /** Records end-to-end latency once a generation request is over. */
    void finished(Exchange ex) {
        metrics.requestLatency(System.nanoTime() - ex.startNanos);
    }

    /** Choices allowed per request: all must fit the slots plus the queue. */
    int maxChoices(Loaded l) {
        Scheduler.Config c = l.scheduler().config();
        return Math.max(1, Math.min(128, c.maxSequences() + c.queueCapacity()));
    }

    // ------------------------------------------------------------------ streaming

    /** The client closed the connection while we were writing to it. */
    static final class ClientGone extends RuntimeException {
        ClientGone(Throwable cause) {
            super("client disconnected", cause, false, false);
        }
    }

    /** A streamed response body: each write is flushed at once; a failed write means the client left. */
    static final class Stream implements AutoCloseable {
        private final OutputStream out;

        Stream(ServerResponse res, String contentType) {
            res.status(200);
            res.header(HeaderNames.CONTENT_TYPE, contentType);
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header(HeaderNames.create("X-Accel-Buffering"), "no");
            this.out = res.outputStream();
        }

        void write(byte[] bytes) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException | RuntimeException e) {
                throw new ClientGone(e);
            }
        }

        /** One server-sent event: {@code data: ...\n\n}. */
        void event(byte[] json) {
            byte[] b = new byte[json.length + 8];
            System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, b, 0, 6);
            System.arraycopy(json, 0, b, 6, json.length);
            b[b.length - 2] = '\n';
            b[b.length - 1] = '\n';
            write(b);
        }

        /** One NDJSON line. */
        void line(byte[] json) {
            byte[] b = new byte[json.length + 1];
            System.arraycopy(json, 0, b, 0, json.length);
            b[json.length] = '\n';
            write(b);
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException | RuntimeException e) {
                throw new ClientGone(e);
            }
        }
    }
}
