package dev.hearth.server;

import java.time.Duration;
import java.util.List;

/**
 * How {@code hearth serve} runs.
 *
 * @param host            address to bind; 127.0.0.1 unless 0.0.0.0 (or another) is asked for explicitly
 * @param port            TCP port; 0 = any free port
 * @param parallel        sequences generated at once; 0 = sized from the KV-cache budget
 * @param queue           requests that may wait for a sequence slot; -1 = 4 x parallel (at least 64)
 * @param kvBudgetBytes   memory the KV caches may take; 0 = half of the JVM's maximum heap
 * @param stepTokens      prompt tokens prefilled per scheduler step (bounds how long one step stalls running streams)
 * @param apiKeys         accepted bearer keys; empty = no authentication
 * @param logPrompts      log prompts and completions (off by default: they may be private)
 * @param maxBodyBytes    largest request body accepted (413 beyond)
 * @param shutdownGrace   how long shutdown lets running streams finish before cancelling them
 */
public record ServerConfig(String host, int port, int parallel, int queue, long kvBudgetBytes, int stepTokens,
                           List<String> apiKeys, boolean logPrompts, long maxBodyBytes, Duration shutdownGrace) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final long DEFAULT_MAX_BODY = 1 << 20;
    public static final int MAX_PARALLEL = 64;

    public ServerConfig {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("--host must not be empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be between 0 and 65535, got " + port);
        if (parallel < 0) throw new IllegalArgumentException("--parallel must be positive (or 0 for automatic), got " + parallel);
        if (queue < -1) throw new IllegalArgumentException("--queue must be >= 0, got " + queue);
        if (kvBudgetBytes < 0) throw new IllegalArgumentException("the KV-cache budget must be positive, got " + kvBudgetBytes);
        if (stepTokens < 1) throw new IllegalArgumentException("--prefill-chunk must be at least 1, got " + stepTokens);
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("--max-body must be at least 1024 bytes, got " + maxBodyBytes);
        apiKeys = List.copyOf(apiKeys);
        for (String k : apiKeys) {
            if (k.isBlank()) throw new IllegalArgumentException("API keys must not be empty");
        }
        if (shutdownGrace == null || shutdownGrace.isNegative()) throw new IllegalArgumentException("the shutdown grace period must be >= 0");
    }

    /** Loopback, port 8080, automatic sizing, no keys, 1 MiB bodies, 30 s grace. */
    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, 0, -1, 0, dev.hearth.engine.batch.Scheduler.DEFAULT_STEP_TOKENS,
                List.of(), false, DEFAULT_MAX_BODY, Duration.ofSeconds(30));
    }

    public ServerConfig withHost(String v) { return new ServerConfig(v, port, parallel, queue, kvBudgetBytes, stepTokens, apiKeys, logPrompts, maxBodyBytes, shutdownGrace); }
    public ServerConfig withPort(int v) { return new ServerConfig(host, v, parallel, queue, kvBudgetBytes, stepTokens, apiKeys, logPrompts, maxBodyBytes, shutdownGrace); }
    public ServerConfig withParallel(int v) { return new ServerConfig(host, port, v, queue, kvBudgetBytes, stepTokens, apiKeys, logPrompts, maxBodyBytes, shutdownGrace); }
    public ServerConfig withQueue(int v) { return new ServerConfig(host, port, parallel, v, kvBudgetBytes, stepTokens, apiKeys, logPrompts, maxBodyBytes, shutdownGrace); }
    public ServerConfig withKvBudget(long v) { return new ServerConfig(host, port, parallel, queue, v, stepTokens, apiKeys, logPrompts, maxBodyBytes, shutdownGrace); }
    public ServerConfig withStepTokens(int v) { return new ServerConfig(host, port, parallel, queue, kvBudgetBytes, v, apiKeys, logPrompts, maxBodyBytes, shutdownGrace); }
    public ServerConfig withApiKeys(List<String> v) { return new ServerConfig(host, port, parallel, queue, kvBudgetBytes, stepTokens, v, logPrompts, maxBodyBytes, shutdownGrace); }
    public ServerConfig withLogPrompts(boolean v) { return new ServerConfig(host, port, parallel, queue, kvBudgetBytes, stepTokens, apiKeys, v, maxBodyBytes, shutdownGrace); }
    public ServerConfig withMaxBody(long v) { return new ServerConfig(host, port, parallel, queue, kvBudgetBytes, stepTokens, apiKeys, logPrompts, v, shutdownGrace); }
    public ServerConfig withShutdownGrace(Duration v) { return new ServerConfig(host, port, parallel, queue, kvBudgetBytes, stepTokens, apiKeys, logPrompts, maxBodyBytes, v); }

    /** Whether the bind address is reachable only from this machine. */
    public boolean loopbackOnly() {
        String h = host.trim();
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("[::1]");
    }
}
