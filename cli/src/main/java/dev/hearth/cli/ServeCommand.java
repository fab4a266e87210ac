package dev.hearth.cli;

import dev.hearth.engine.Model;
import dev.hearth.engine.batch.Scheduler;
import dev.hearth.server.HearthServer;
import dev.hearth.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hearth serve -m FILE}: OpenAI- and Ollama-compatible HTTP APIs over one model with continuous
 * batching. Stops gracefully on SIGINT/SIGTERM: no new requests, running streams get the grace period to
 * finish, then the rest are cancelled, and the process exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over OpenAI-compatible (/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models) "
                + "and Ollama-compatible (/api/chat, /api/generate, ...) HTTP APIs, batching concurrent requests.",
                "Binds 127.0.0.1 unless --host says otherwise; /health and /metrics (Prometheus) are served too."})
final class ServeCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = ServerConfig.DEFAULT_HOST,
            description = "Address to bind (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 = every interface)")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "TCP port (default: ${DEFAULT-VALUE}; 0 = any free port)")
    int port;

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "0",
            description = "Sequences generated at once (default: as many as the KV-cache budget holds, at most " + ServerConfig.MAX_PARALLEL + ")")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "-1",
            description = "Requests that may wait for a free sequence; beyond it clients get 429 (default: 4 x parallel, at least 64)")
    int queue;

    @Option(names = "--kv-memory", paramLabel = "SIZE",
            description = "Memory the KV caches may take, e.g. 2g or 512m (default: half of the JVM heap)")
    String kvMemory;

    @Option(names = "--prefill-chunk", paramLabel = "N", defaultValue = "" + Scheduler.DEFAULT_STEP_TOKENS,
            description = "Prompt tokens prefilled per step, so long prompts do not stall running streams (default: ${DEFAULT-VALUE})")
    int prefillChunk;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Accept this bearer key (repeatable); without keys anyone who reaches the port may use it")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--api-key-file", paramLabel = "FILE", description = "Accept the keys in FILE, one per line (# comments and blank lines ignored)")
    Path apiKeyFile;

    @Option(names = "--log-prompts", description = "Log prompts and completions (off by default: they may be private)")
    boolean logPrompts;

    @Option(names = "--max-body", paramLabel = "SIZE", defaultValue = "1m", description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE})")
    String maxBody;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "On SIGINT/SIGTERM, how long running streams may finish before they are cancelled (default: ${DEFAULT-VALUE})")
    int shutdownSeconds;

    @Option(names = "--no-warmup", description = "Answer requests as soon as the model is mapped, without first running it once "
            + "(the first request then pays the JVM's first-use costs, ~1 s)")
    boolean noWarmup;

    @Spec CommandSpec spec;

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile HearthServer server;

    @Override
    public Integer call() throws Exception {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT %4$s %3$s: %5$s%6$s%n");
        }
        PrintWriter out = spec.commandLine().getOut();
        var config = config();
        var s = new HearthServer(config).start(); // /health answers "loading" while the model maps
        server = s;
        String url = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + s.port();
        out.println("hearth: listening on " + url + " (loading " + model.resolve() + ")");
        out.flush();
        Model m;
        try {
            m = model.load();
            if (!noWarmup) {
                long nanos = m.warmUp();   // /health still says "loading"
                out.printf(Locale.ROOT, "hearth: warmed up in %.0f ms%n", nanos / 1e6);
                out.flush();
            }
            s.ready(m);
        } catch (RuntimeException e) {
            s.stop(Duration.ZERO);
            throw e;
        }
        // SIGINT/SIGTERM start a graceful stop while the JVM still runs normally (logging included); a second
        // signal cancels the running streams at once. Where signals cannot be trapped, a shutdown hook does the
        // same stop and then exits 0 (System.exit from this thread would block while the JVM shuts down).
        boolean trapped = trapSignals(() -> {
            if (stopRequested.getCount() > 0) {
                stopRequested.countDown();
            } else {
                Thread.ofPlatform().start(() -> s.scheduler().shutdown(Duration.ZERO));
            }
        });
        Thread hook = Thread.ofPlatform().name("hearth-shutdown").unstarted(() -> {
            if (stopped.getCount() == 0) return;
            stopRequested.countDown();
            try {
                stopped.await(shutdownSeconds + 15L, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(0);
        });
        Runtime.getRuntime().addShutdownHook(hook);
        Scheduler.Config sc = s.scheduler().config();
        out.printf(Locale.ROOT, "hearth: serving %s on %s: context %d, %d parallel sequences, queue %d, %s%n",
                m.name(), url, m.contextLength(), sc.maxSequences(), sc.queueCapacity(),
                config.apiKeys().isEmpty() ? "no API keys" : config.apiKeys().size() + " API key(s)");
        out.println("hearth: OpenAI base URL " + url + "/v1, Ollama base URL " + url
                + (trapped ? "; Ctrl-C stops (twice: without waiting for running streams)" : "; Ctrl-C stops"));
        out.flush();
        stopRequested.await();
        out.println("hearth: shutting down (running streams get " + shutdownSeconds + " s to finish)");
        out.flush();
        try {
            boolean drained = s.stop(Duration.ofSeconds(shutdownSeconds));
            if (!drained) out.println("hearth: cancelled the streams still running after " + shutdownSeconds + " s");
        } finally {
            m.close();
            out.println("hearth: stopped");
            out.flush();
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is shutting down: the hook exits with 0
            }
        }
        return 0;
    }

    /**
     * Routes SIGINT and SIGTERM to {@code onSignal} through {@code sun.misc.Signal} (module jdk.unsupported),
     * looked up reflectively so that the build has no compile-time dependency on it.
     *
     * @return false where the signals cannot be trapped (then the JVM's shutdown hooks apply)
     */
    private static boolean trapSignals(Runnable onSignal) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType}, (proxy, method, args) ->
                    switch (method.getName()) {
                        case "handle" -> {
                            onSignal.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "hearth signal handler";
                    });
            Method handle = signal.getMethod("handle", signal, handlerType);
            for (String name : new String[] {"INT", "TERM"}) {
                handle.invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Begins a graceful stop, as SIGTERM does (for embedding and tests). */
    void requestStop() {
        stopRequested.countDown();
    }

    /** The running server once it listens, else null. */
    HearthServer server() {
        return server;
    }

    ServerConfig config() throws IOException {
        if (shutdownSeconds < 0) throw new IllegalArgumentException("--shutdown-timeout must be >= 0, got " + shutdownSeconds);
        var keys = new ArrayList<>(apiKeys);
        if (apiKeyFile != null) {
            if (!Files.isRegularFile(apiKeyFile)) throw new IllegalArgumentException("--api-key-file " + apiKeyFile + " does not exist");
            int before = keys.size();
            for (String line : Files.readAllLines(apiKeyFile)) {
                String k = line.strip();
                if (!k.isEmpty() && !k.startsWith("#")) keys.add(k);
            }
            if (keys.size() == before) throw new IllegalArgumentException("--api-key-file " + apiKeyFile + " holds no keys (one per line)");
        }
        long kv = kvMemory == null ? 0 : size("--kv-memory", kvMemory);
        return new ServerConfig(host, port, parallel, queue, kv, prefillChunk, keys, logPrompts, size("--max-body", maxBody),
                Duration.ofSeconds(shutdownSeconds));
    }

    /** "512", "64k", "1m", "2g" (binary units). */
    static long size(String option, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.endsWith("b")) t = t.substring(0, t.length() - 1);
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                default -> { }
            }
        }
        if (unit > 1) t = t.substring(0, t.length() - 1);
        try {
            double v = Double.parseDouble(t);
            if (!(v > 0)) throw new NumberFormatException();
            return (long) (v * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a positive size like 512k, 64m or 2g, got '" + text + "'");
        }
    }
}
