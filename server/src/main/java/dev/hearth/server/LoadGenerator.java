package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load generator for any OpenAI-compatible server: {@code concurrency} clients each send streaming chat
 * completions until {@code requests} have been sent, measuring time to first token, inter-token latency
 * (between content chunks) and aggregate generated tokens per second (from the streams' usage).
 */
public final class LoadGenerator {
    private LoadGenerator() {}

    /**
     * @param baseUrl     server root, e.g. http://127.0.0.1:8080 (the OpenAI API is under /v1)
     * @param apiKey      bearer key, or null
     * @param model       model name, or null to take the first one /v1/models lists
     * @param concurrency clients sending at once
     * @param requests    requests in all
     * @param maxTokens   tokens per completion
     * @param prompt      user message (the request number is appended so that prompts differ)
     * @param ignoreEos   ask for exactly maxTokens tokens (llama.cpp's and Hearth's ignore_eos)
     * @param timeout     per request
     */
    public record Options(URI baseUrl, String apiKey, String model, int concurrency, int requests, int maxTokens,
                          String prompt, boolean ignoreEos, Duration timeout) {
        public Options {
            if (concurrency < 1) throw new IllegalArgumentException("--concurrency must be at least 1, got " + concurrency);
            if (requests < 1) throw new IllegalArgumentException("--requests must be at least 1, got " + requests);
            if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
            String s = baseUrl.toString();
            if (s.endsWith("/")) baseUrl = URI.create(s.substring(0, s.length() - 1));
            if (s.endsWith("/v1") || s.endsWith("/v1/")) baseUrl = URI.create(s.substring(0, s.lastIndexOf("/v1")));
        }
    }

    /** Latencies in milliseconds; errors with a few of their messages. */
    public record Report(String model, int concurrency, int requests, int errors, double seconds, long promptTokens,
                         long generatedTokens, double ttftP50, double ttftP99, double itlP50, double itlP99,
                         List<String> errorSamples) {
        /** Generated tokens of all requests over the wall time. */
        public double tokensPerSecond() {
            return seconds > 0 ? generatedTokens / seconds : 0;
        }

        public String format() {
            var sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "model %s, concurrency %d: %d requests in %.2f s, %d errors%n",
                    model, concurrency, requests, seconds, errors));
            sb.append(String.format(Locale.ROOT, "time to first token: p50 %.1f ms, p99 %.1f ms%n", ttftP50, ttftP99));
            sb.append(String.format(Locale.ROOT, "inter-token latency: p50 %.1f ms, p99 %.1f ms%n", itlP50, itlP99));
            sb.append(String.format(Locale.ROOT, "tokens: %d prompt, %d generated; aggregate %.1f generated tok/s%n",
                    promptTokens, generatedTokens, tokensPerSecond()));
            for (String e : errorSamples) sb.append("error: ").append(e).append('\n');
            return sb.toString();
        }

        public Map<String, Object> toMap() {
            var m = new LinkedHashMap<String, Object>();
            m.put("model", model);
            m.put("concurrency", concurrency);
            m.put("requests", requests);
            m.put("errors", errors);
            m.put("seconds", seconds);
            m.put("prompt_tokens", promptTokens);
            m.put("generated_tokens", generatedTokens);
            m.put("tokens_per_second", tokensPerSecond());
            m.put("ttft_p50_ms", ttftP50);
            m.put("ttft_p99_ms", ttftP99);
            m.put("itl_p50_ms", itlP50);
            m.put("itl_p99_ms", itlP99);
            m.put("error_samples", errorSamples);
            return m;
        }
    }

    public static Report run(Options o) throws InterruptedException {
        try (var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            String model = o.model() != null ? o.model() : firstModel(http, o);
            var next = new AtomicInteger();
            var errors = new AtomicInteger();
            var promptTokens = new AtomicLong();
            var generated = new AtomicLong();
            List<Double> ttft = Collections.synchronizedList(new ArrayList<>());
            List<Double> itl = Collections.synchronizedList(new ArrayList<>());
            List<String> samples = Collections.synchronizedList(new ArrayList<>());
            long t0 = System.nanoTime();
            var threads = new ArrayList<Thread>();
            for (int c = 0; c < o.concurrency(); c++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = next.getAndIncrement(); i < o.requests(); i = next.getAndIncrement()) {
                        try {
                            one(http, o, model, i, ttft, itl, promptTokens, generated);
                        } catch (Exception e) {
                            errors.incrementAndGet();
                            if (samples.size() < 5) samples.add(e.getMessage() == null ? e.toString() : e.getMessage());
                            if (e instanceof InterruptedException) return;
                        }
                    }
                }));
            }
            for (Thread t : threads) t.join();
            double seconds = (System.nanoTime() - t0) / 1e9;
            double[] tt = sorted(ttft), it = sorted(itl);
            return new Report(model, o.concurrency(), o.requests(), errors.get(), seconds, promptTokens.get(), generated.get(),
                    percentile(tt, 50), percentile(tt, 99), percentile(it, 50), percentile(it, 99), List.copyOf(samples));
        }
    }

    private static void one(HttpClient http, Options o, String model, int index, List<Double> ttft, List<Double> itl,
                            AtomicLong promptTokens, AtomicLong generated) throws IOException, InterruptedException {
        var body = new LinkedHashMap<String, Object>();
        body.put("model", model);
        body.put("messages", List.of(Map.of("role", "user", "content", o.prompt() + " " + index)));
        body.put("max_tokens", o.maxTokens());
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        if (o.ignoreEos()) body.put("ignore_eos", true);
        var req = HttpRequest.newBuilder(URI.create(o.baseUrl() + "/v1/chat/completions")).timeout(o.timeout())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.bytes(body)));
        if (o.apiKey() != null) req.header("Authorization", "Bearer " + o.apiKey());
        long start = System.nanoTime(), last = 0;
        HttpResponse<java.io.InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (var in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            if (r.statusCode() != 200) {
                var sb = new StringBuilder();
                for (String line = in.readLine(); line != null && sb.length() < 500; line = in.readLine()) sb.append(line);
                throw new IOException("HTTP " + r.statusCode() + ": " + sb);
            }
            boolean done = false;
            long usageTokens = -1;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.startsWith("data: ")) continue;
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    done = true;
                    break;
                }
                JsonNode n = Json.MAPPER.readTree(data);
                if (n.has("error")) throw new IOException("error event: " + n.get("error"));
                JsonNode usage = n.get("usage");
                if (usage != null && usage.isObject()) {
                    usageTokens = usage.path("completion_tokens").asLong();
                    promptTokens.addAndGet(usage.path("prompt_tokens").asLong());
                }
                for (JsonNode c : n.path("choices")) {
                    String content = c.path("delta").path("content").asText("");
                    if (content.isEmpty()) continue;
                    long now = System.nanoTime();
                    if (last == 0) ttft.add((now - start) / 1e6);
                    else itl.add((now - last) / 1e6);
                    last = now;
                }
            }
            if (!done) throw new IOException("the stream ended without data: [DONE]");
            if (usageTokens < 0) throw new IOException("the stream carried no usage (stream_options.include_usage)");
            generated.addAndGet(usageTokens);
        }
    }

    private static String firstModel(HttpClient http, Options o) throws InterruptedException {
        var req = HttpRequest.newBuilder(URI.create(o.baseUrl() + "/v1/models")).timeout(o.timeout()).GET();
        if (o.apiKey() != null) req.header("Authorization", "Bearer " + o.apiKey());
        try {
            HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IllegalArgumentException("GET " + o.baseUrl() + "/v1/models answered " + r.statusCode() + ": " + r.body());
            JsonNode data = Json.MAPPER.readTree(r.body()).path("data");
            if (data.isEmpty()) throw new IllegalArgumentException(o.baseUrl() + "/v1/models lists no model; pass --model");
            return data.get(0).path("id").asText();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot reach " + o.baseUrl() + ": " + e.getMessage(), e);
        }
    }

    private static double[] sorted(List<Double> values) {
        double[] a;
        synchronized (values) {
            a = new double[values.size()];
            for (int i = 0; i < a.length; i++) a[i] = values.get(i);
        }
        Arrays.sort(a);
        return a;
    }

    /** Nearest-rank percentile; 0 when there are no samples. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return 0;
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
