package dev.hearth.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** Plain HTTP against a running server: error cases and their OpenAI-shaped bodies, Ollama endpoints, metrics, SSE framing. */
class HttpApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(4).withQueue(16).withMaxBody(64 * 1024));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    /** Asserts an OpenAI-style error with the status and returns its "error" object. */
    static JsonNode error(HttpResponse<String> r, int status) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode e = json(r).get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.fieldNames()).toIterable().containsExactlyInAnyOrder("message", "type", "param", "code");
        assertThat(e.get("message").asText()).isNotBlank().doesNotContain("Exception:").doesNotContain("\tat ");
        return e;
    }

    static String chat(String extra) {
        return "{\"model\":\"" + server.modelId() + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":4" + extra + "}";
    }

    @Test
    void malformedJsonIs400() {
        JsonNode e = error(server.post("/v1/chat/completions", "{\"messages\": [ {\"role\": "), 400);
        assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(e.get("message").asText()).contains("could not parse the JSON body");
        error(server.post("/v1/chat/completions", "[1,2,3]"), 400);
        error(server.post("/v1/chat/completions", ""), 400);
    }

    @Test
    void wrongFieldTypesAre400NamingTheField() {
        JsonNode e = error(server.post("/v1/chat/completions", chat(",\"temperature\":\"hot\"")), 400);
        assertThat(e.get("param").asText()).isEqualTo("temperature");
        assertThat(e.get("code").asText()).isEqualTo("invalid_type");
        assertThat(error(server.post("/v1/chat/completions", "{\"messages\":\"hi\"}"), 400).get("param").asText()).isEqualTo("messages");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"stop\":[1]")), 400).get("param").asText()).isEqualTo("stop[0]");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"max_tokens\":2.5")), 400).get("param").asText()).isEqualTo("max_tokens");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"stream\":\"yes\"")), 400).get("param").asText()).isEqualTo("stream");
        assertThat(error(server.post("/v1/completions", "{\"prompt\":{\"a\":1}}"), 400).get("param").asText()).isEqualTo("prompt");
        assertThat(error(server.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}"), 400)
                .get("param").asText()).isEqualTo("messages[0].content[0].type");
    }

    @Test
    void outOfRangeAndUnsupportedValuesAre400NamingTheParameter() {
        assertThat(error(server.post("/v1/chat/completions", chat(",\"temperature\":2.5")), 400).get("param").asText()).isEqualTo("temperature");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"n\":1000")), 400).get("param").asText()).isEqualTo("n");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"top_logprobs\":3")), 400).get("param").asText()).isEqualTo("top_logprobs");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"stream_options\":{\"include_usage\":true}")), 400)
                .get("param").asText()).isEqualTo("stream_options");
        JsonNode tools = error(server.post("/v1/chat/completions", chat(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]")), 400);
        assertThat(tools.get("param").asText()).isEqualTo("tools");
        assertThat(tools.get("code").asText()).isEqualTo("unsupported_parameter");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"logit_bias\":{\"5\":10}")), 400).get("param").asText()).isEqualTo("logit_bias");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"response_format\":{\"type\":\"json_object\"}")), 400)
                .get("param").asText()).isEqualTo("response_format.type");
        assertThat(error(server.post("/v1/chat/completions", chat(",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]")), 400).get("param").asText()).isEqualTo("stop");
        assertThat(error(server.post("/v1/completions", "{\"prompt\":\"x\",\"echo\":true}"), 400).get("param").asText()).isEqualTo("echo");
        assertThat(error(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}"), 400)
                .get("param").asText()).isEqualTo("messages[0].role");
    }

    @Test
    void unknownModelIs404() {
        JsonNode e = error(server.post("/v1/chat/completions", chat("").replace(server.modelId(), "gpt-5")), 404);
        assertThat(e.get("code").asText()).isEqualTo("model_not_found");
        assertThat(e.get("param").asText()).isEqualTo("model");
        assertThat(e.get("message").asText()).contains("gpt-5").contains(server.modelId());
        // Ollama names with a tag are the same model.
        assertThat(server.post("/v1/chat/completions", chat("").replace(server.modelId(), server.modelId() + ":latest")).statusCode()).isEqualTo(200);
    }

    @Test
    void promptPlusMaxTokensOverTheContextIs400WithBothNumbers() {
        JsonNode e = error(server.post("/v1/chat/completions", chat("").replace("\"max_tokens\":4", "\"max_tokens\":500")), 400);
        assertThat(e.get("code").asText()).isEqualTo("context_length_exceeded");
        String m = e.get("message").asText();
        assertThat(m).contains("maximum context length is 512 tokens").contains("500 in the completion").containsPattern("\\d+ in the prompt");
        String longPrompt = "word ".repeat(600);
        e = error(server.post("/v1/completions", "{\"prompt\":\"" + longPrompt + "\",\"max_tokens\":10}"), 400);
        assertThat(e.get("param").asText()).isEqualTo("prompt");
        assertThat(e.get("message").asText()).contains("512").contains("10 in the completion");
    }

    @RepeatedTest(5)
    void bodyTooLargeIs413() {
        // the server reads and drops the excess before it answers: a client still writing its body
        // would otherwise see the connection reset instead of the 413
        String big = "{\"prompt\":\"" + "x".repeat(700 * 1024) + "\"}";
        JsonNode e = error(server.post("/v1/completions", big), 413);
        assertThat(e.get("message").asText()).contains("65536");
        // The server is fine afterwards.
        assertThat(server.get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void chunkedBodyTooLargeIs413() {
        byte[] big = ("{\"prompt\":\"" + "x".repeat(700 * 1024) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var r = server.send(HttpRequest.newBuilder(URI.create(server.url() + "/v1/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build());
        assertThat(error(r, 413).get("message").asText()).contains("more than 65536 bytes");
    }

    @Test
    void unknownPathsAndMethodsGetJsonErrors() {
        assertThat(error(server.get("/v1/nothing"), 404).get("code").asText()).isEqualTo("unknown_url");
        assertThat(error(server.get("/v1/chat/completions"), 405).get("code").asText()).isEqualTo("method_not_allowed");
    }

    @Test
    void healthSaysReady() {
        var r = server.get("/health");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).get("status").asText()).isEqualTo("ready");
    }

    @Test
    void whileTheModelLoadsHealthSaysLoadingAndRequestsGet503() {
        var loading = new HearthServer(ServerConfig.defaults().withPort(0).withParallel(1)).start();
        try (var http = java.net.http.HttpClient.newHttpClient()) {
            String url = "http://127.0.0.1:" + loading.port();
            var health = http.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(json(health).get("status").asText()).isEqualTo("loading");
            var chat = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(chat(""))).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(error(chat, 503).get("code").asText()).isEqualTo("model_loading");
            assertThat(chat.headers().firstValue("retry-after")).contains("1");
            loading.ready(server.model);
            health = http.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(json(health).get("status").asText()).isEqualTo("ready");
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            loading.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void sseFramingIsDataLinesEndingWithDone() {
        var r = server.post("/v1/chat/completions", chat(",\"stream\":true,\"temperature\":0"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).contains("text/event-stream");
        String body = r.body();
        assertThat(body).endsWith("data: [DONE]\n\n");
        List<String> events = List.of(body.split("\n\n"));
        for (String ev : events) assertThat(ev).startsWith("data: ");
        for (String ev : events.subList(0, events.size() - 1)) {
            JsonNode c = json(ev.substring(6));
            assertThat(c.get("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(c.has("usage")).isFalse();
        }
        JsonNode last = json(events.get(events.size() - 2).substring(6));
        assertThat(last.get("choices").get(0).get("finish_reason").asText()).isIn("stop", "length");
    }

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    @Test
    void ollamaGenerateStreamsNdjsonByDefaultAndAnswersOnceWithStreamFalse() {
        var r = server.post("/api/generate", "{\"model\":\"" + server.modelId() + "\",\"prompt\":\"Why is the sky blue?\",\"options\":{\"num_predict\":6,\"temperature\":0}}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).contains("application/x-ndjson");
        List<String> lines = r.body().lines().toList();
        var text = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode n = json(lines.get(i));
            assertThat(n.get("model").asText()).isEqualTo(server.modelId());
            assertThat(n.get("created_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            assertThat(n.get("done").asBoolean()).isEqualTo(i == lines.size() - 1);
            text.append(n.get("response").asText());
        }
        JsonNode last = json(lines.getLast());
        assertThat(last.get("done_reason").asText()).isIn("stop", "length");
        for (String f : List.of("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_count", "eval_duration")) {
            assertThat(last.has(f)).as(f).isTrue();
        }
        assertThat(last.get("eval_count").asInt()).isBetween(0, 6);
        assertThat(last.get("context").isArray()).isTrue();

        var once = server.post("/api/generate", "{\"model\":\"" + server.modelId() + "\",\"prompt\":\"Why is the sky blue?\",\"stream\":false,\"options\":{\"num_predict\":6,\"temperature\":0}}");
        JsonNode n = json(once);
        assertThat(n.get("done").asBoolean()).isTrue();
        assertThat(n.get("response").asText()).isEqualTo(text.toString());
        assertThat(n.get("eval_count").asInt()).isEqualTo(last.get("eval_count").asInt());
    }

    @Test
    void ollamaChatAndModelInformation() {
        var r = server.post("/api/chat", "{\"model\":\"" + server.modelId() + ":latest\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"options\":{\"num_predict\":3}}");
        JsonNode n = json(r);
        assertThat(n.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(n.get("done").asBoolean()).isTrue();
        assertThat(n.get("prompt_eval_count").asInt()).isPositive();

        var missing = server.post("/api/chat", "{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(json(missing).get("error").asText()).contains("llama3");
        var bad = server.post("/api/chat", "{\"model\":\"" + server.modelId() + "\",\"options\":{\"temperature\":\"warm\"}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).get("error").asText()).contains("options.temperature");

        JsonNode tags = json(server.get("/api/tags")).get("models");
        assertThat(tags).hasSize(1);
        assertThat(tags.get(0).get("name").asText()).isEqualTo(server.modelId() + ":latest");
        assertThat(tags.get(0).get("details").get("format").asText()).isEqualTo("gguf");
        assertThat(tags.get(0).get("details").get("family").asText()).isEqualTo("llama");
        assertThat(tags.get(0).get("size").asLong()).isPositive();
        JsonNode show = json(server.post("/api/show", "{\"model\":\"" + server.modelId() + "\"}"));
        assertThat(show.get("model_info").get("llama.embedding_length").asInt()).isEqualTo(256);
        assertThat(show.get("template").asText()).contains("im_start");
        assertThat(json(server.get("/api/ps")).get("models").get(0).get("name").asText()).isEqualTo(server.modelId() + ":latest");
        assertThat(json(server.get("/api/version")).get("version").asText()).isNotBlank();
        JsonNode embed = json(server.post("/api/embed", "{\"model\":\"" + server.modelId() + "\",\"input\":[\"a\",\"b\"]}"));
        assertThat(embed.get("embeddings")).hasSize(2);
        assertThat(embed.get("embeddings").get(0)).hasSize(256);
    }

    @Test
    void ollamaStopsAtTheEndOfTheContextInsteadOfRefusingNumPredict() {
        var r = server.post("/api/generate", "{\"model\":\"" + server.modelId() + "\",\"raw\":true,\"prompt\":\"" + "word ".repeat(100)
                + "\",\"stream\":false,\"options\":{\"num_predict\":100000,\"temperature\":0,\"stop\":[\"never\"]}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode n = json(r);
        assertThat(n.get("prompt_eval_count").asInt() + n.get("eval_count").asInt()).isLessThanOrEqualTo(512);
    }

    @Test
    void metricsAreInPrometheusTextFormat() {
        server.post("/v1/chat/completions", chat(",\"stream\":true"));
        server.post("/v1/chat/completions", chat("").replace(server.modelId(), "nope"));
        // Requests are counted as their handler returns, just after the client has the response.
        var r = server.get("/metrics");
        for (int i = 0; i < 200 && !r.body().contains("status=\"404\""); i++) r = server.get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        String m = r.body();
        assertThat(m).contains("# TYPE hearth_time_to_first_token_seconds histogram")
                .contains("hearth_time_to_first_token_seconds_bucket{le=")
                .contains("# TYPE hearth_inter_token_latency_seconds histogram")
                .contains("# TYPE hearth_request_latency_seconds histogram")
                .contains("# TYPE hearth_prompt_tokens_total counter")
                .contains("# TYPE hearth_generated_tokens_total counter")
                .contains("hearth_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"}")
                .contains("hearth_requests_total{endpoint=\"/v1/chat/completions\",status=\"404\"}")
                .contains("# TYPE hearth_sequences_running gauge")
                .contains("# TYPE hearth_sequences_waiting gauge")
                .contains("# TYPE hearth_kv_cache_usage_ratio gauge")
                .contains("# TYPE hearth_forward_rows_total counter")
                .contains("# TYPE hearth_forward_heap_bytes_total counter")
                .contains("hearth_kv_cache_capacity_bytes " + (4.0 * server.model.kvBytesPerSequence()));
    }

    @Test
    void aFullQueueAnswers429WithRetryAfterAtOnce() throws Exception {
        try (var small = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(1).withQueue(0), 1024)) {
            var longStream = HttpRequest.newBuilder(URI.create(small.url() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":1000,\"stream\":true,\"ignore_eos\":true}")).build();
            var firstLine = new CompletableFuture<Void>();
            CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> running =
                    small.http.sendAsync(longStream, HttpResponse.BodyHandlers.ofLines());
            var lines = running.get(30, TimeUnit.SECONDS).body().iterator();
            while (lines.hasNext()) {
                if (lines.next().startsWith("data: ")) {
                    firstLine.complete(null);
                    break;
                }
            }
            assertThat(firstLine).isDone();
            long t0 = System.nanoTime();
            var r = small.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":5}");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(2000);
            JsonNode e = error(r, 429);
            assertThat(r.headers().firstValue("retry-after")).contains("1");
            assertThat(e.get("type").asText()).isEqualTo("rate_limit_error");
            running.get().body().close();
        }
    }

    @Test
    void apiKeysGuardEverythingButHealth() {
        try (var guarded = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(1).withQueue(4)
                .withApiKeys(List.of("key-one", "key-two")))) {
            assertThat(guarded.get("/health").statusCode()).isEqualTo(200);
            JsonNode e = error(guarded.get("/v1/models"), 401);
            assertThat(e.get("code").asText()).isEqualTo("invalid_api_key");
            assertThat(guarded.get("/v1/models").headers().firstValue("www-authenticate")).contains("Bearer");
            error(guarded.get("/v1/models", "Authorization", "Bearer key-three"), 401);
            error(guarded.get("/metrics", "Authorization", "Basic a2V5LW9uZQ=="), 401);
            assertThat(guarded.get("/v1/models", "Authorization", "Bearer key-two").statusCode()).isEqualTo(200);
            assertThat(guarded.get("/metrics", "Authorization", "Bearer key-one").statusCode()).isEqualTo(200);
            var ollama = guarded.get("/api/tags");
            assertThat(ollama.statusCode()).isEqualTo(401);
            assertThat(json(ollama).get("error").asText()).contains("API key");
        }
    }

    @Test
    void promptsAreLoggedOnlyWithLogPrompts() throws InterruptedException {
        var records = new java.util.concurrent.CopyOnWriteArrayList<String>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(String.valueOf(r.getMessage()) + (r.getParameters() == null ? "" : List.of(r.getParameters())));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        Logger logger = Logger.getLogger("dev.hearth.server");
        logger.addHandler(h);
        try {
            String secret = "zebra-secret-4711";
            assertThat(server.post("/v1/completions", "{\"prompt\":\"" + secret + "\",\"max_tokens\":2}").statusCode()).isEqualTo(200);
            // The request line is logged just after the response went out.
            for (int i = 0; i < 200 && records.stream().noneMatch(s -> s.contains("POST /v1/completions 200")); i++) Thread.sleep(10);
            assertThat(records).anyMatch(s -> s.contains("POST /v1/completions 200")).noneMatch(s -> s.contains(secret));
            try (var logging = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(1).withQueue(4).withLogPrompts(true))) {
                assertThat(logging.post("/v1/completions", "{\"prompt\":\"" + secret + "\",\"max_tokens\":2}").statusCode()).isEqualTo(200);
            }
            assertThat(records).anyMatch(s -> s.contains(secret));
        } finally {
            logger.removeHandler(h);
        }
    }

    @Test
    void nothingBreaksTheServer() throws Exception {
        // Odd but valid input: special-token text, empty content, unicode, huge numbers.
        assertThat(server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"system\",\"content\":\"\"},{\"role\":\"user\",\"content\":\"</s><s>\u00e9\u6f22\ud83d\ude00\"}],\"max_tokens\":3}").statusCode()).isEqualTo(200);
        error(server.post("/v1/chat/completions", chat(",\"seed\":1e400")), 400);
        error(server.post("/v1/completions", "{\"prompt\":[99999999]}"), 400);
        error(server.post("/v1/completions", "{\"prompt\":[]}"), 400);
        error(server.post("/v1/embeddings", "{\"input\":\"x\",\"encoding_format\":\"int8\"}"), 400);
        String deep = "[".repeat(5000) + "]".repeat(5000);
        error(server.post("/v1/chat/completions", deep), 400);
        assertThat(server.get("/health").statusCode()).isEqualTo(200);
        assertThat(server.post("/v1/completions", "{\"prompt\":\"ok\",\"max_tokens\":2}").statusCode()).isEqualTo(200);
    }

    static Duration timeout() {
        return Duration.ofSeconds(30);
    }
}
