package dev.hearth.server;

import dev.hearth.engine.batch.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics through Micrometer: latency histograms (time to first token, inter-token
 * latency, end-to-end request latency), token and request counters, and gauges of the scheduler's state.
 */
final class ServerMetrics {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer ttft;
    private final Timer interToken;
    private final Timer endToEnd;
    private final Counter promptTokens;
    private final Counter generatedTokens;

    ServerMetrics(Supplier<Scheduler> scheduler) {
        ttft = Timer.builder("hearth.time.to.first.token")
                .description("Time from receiving a generation request to its first generated token")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(2))
                .register(registry);
        interToken = Timer.builder("hearth.inter.token.latency")
                .description("Time between consecutive generated tokens of one sequence")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        endToEnd = Timer.builder("hearth.request.latency")
                .description("Time from receiving a generation request to its last token")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(30))
                .register(registry);
        promptTokens = Counter.builder("hearth.prompt.tokens").description("Prompt tokens processed").register(registry);
        generatedTokens = Counter.builder("hearth.generated.tokens").description("Tokens generated").register(registry);
        Gauge.builder("hearth.sequences.running", () -> stat(scheduler, s -> s.running()))
                .description("Sequences holding a slot (prefilling or generating)").register(registry);
        Gauge.builder("hearth.sequences.waiting", () -> stat(scheduler, s -> s.waiting()))
                .description("Requests waiting for a slot").register(registry);
        Gauge.builder("hearth.kv.cache.used.bytes", () -> stat(scheduler, s -> s.kvBytesInUse()))
                .description("KV-cache bytes holding positions of running sequences").register(registry);
        Gauge.builder("hearth.kv.cache.allocated.bytes", () -> stat(scheduler, s -> s.kvBytesAllocated()))
                .description("KV-cache bytes allocated (slots used so far)").register(registry);
        Gauge.builder("hearth.kv.cache.capacity.bytes", () -> stat(scheduler, s -> s.kvBytesBudget()))
                .description("KV-cache bytes all slots take when full (the KV budget)").register(registry);
        Gauge.builder("hearth.kv.cache.usage.ratio", () -> stat(scheduler, s -> s.kvBytesBudget() == 0 ? 0 : (double) s.kvBytesInUse() / s.kvBytesBudget()))
                .description("Fraction of the KV budget holding positions of running sequences").register(registry);
        // heap per forward row: ~0.1-0.2 MB once compiled (mostly logits); hundreds of MB where a kernel boxes its vectors
        FunctionCounter.builder("hearth.forward.rows", scheduler, sch -> stat(sch, s -> s.forwardRows()))
                .description("Batch rows (prompt and generated tokens) computed by forward passes").register(registry);
        FunctionCounter.builder("hearth.forward.heap.bytes", scheduler, sch -> stat(sch, s -> s.forwardHeapBytes()))
                .description("Heap allocated by the JVM while forward passes ran (per row: high means a kernel boxes its vectors)")
                .baseUnit("bytes").register(registry);
    }

    private static double stat(Supplier<Scheduler> scheduler, java.util.function.ToDoubleFunction<Scheduler.Stats> f) {
        Scheduler s = scheduler.get();
        return s == null ? 0 : f.applyAsDouble(s.stats());
    }

    void timeToFirstToken(long nanos) { ttft.record(nanos, TimeUnit.NANOSECONDS); }
    void interTokenLatency(long nanos) { interToken.record(nanos, TimeUnit.NANOSECONDS); }
    void requestLatency(long nanos) { endToEnd.record(nanos, TimeUnit.NANOSECONDS); }
    void tokens(int prompt, int generated) {
        promptTokens.increment(prompt);
        generatedTokens.increment(generated);
    }

    /** Counts a finished HTTP request by endpoint and status code. */
    void request(String endpoint, int status) {
        Counter.builder("hearth.requests").description("HTTP requests by endpoint and status code")
                .tag("endpoint", endpoint).tag("status", Integer.toString(status))
                .register(registry).increment();
    }

    /** The Prometheus text exposition format. */
    String scrape() {
        return registry.scrape();
    }
}
