package dev.hearth.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.batch.Scheduler;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Streams under stress: clients that hang up, 256 concurrent streams, and shutdown with streams running. */
class StreamingLoadTest {

    static double generatedTokens(TestServer t) {
        return t.server.metrics().registry.get("hearth.generated.tokens").counter().count();
    }

    static void awaitIdle(Scheduler s, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while ((s.stats().running() > 0 || s.stats().waiting() > 0) && System.nanoTime() < deadline) Thread.sleep(5);
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsSequenceAndFreesItsKv() throws Exception {
        try (var t = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(2).withQueue(4), 4096)) {
            int maxTokens = 4000;
            String body = "{\"prompt\":\"Hello\",\"max_tokens\":" + maxTokens + ",\"stream\":true,\"ignore_eos\":true}";
            try (var socket = new Socket("127.0.0.1", t.server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = socket.getInputStream();
                var seen = new StringBuilder();
                byte[] buf = new byte[4096];
                while (countEvents(seen) < 3) {
                    int n = in.read(buf);
                    assertThat(n).as("the stream ended early: %s", seen).isPositive();
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
                assertThat(t.server.scheduler().stats().running()).isEqualTo(1);
                assertThat(t.server.scheduler().stats().kvBytesInUse()).isPositive();
                socket.setSoLinger(true, 0); // hang up hard, as a crashed client does
            }
            long closed = System.nanoTime();
            awaitIdle(t.server.scheduler(), Duration.ofSeconds(10));
            long freedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closed);
            assertThat(t.server.scheduler().stats().running()).isZero();
            assertThat(t.server.scheduler().stats().kvBytesInUse()).isZero();
            // The sequence ended by cancellation, far short of its budget, and the request counts as 499.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!t.get("/metrics").body().contains("status=\"499\"") && System.nanoTime() < deadline) Thread.sleep(10);
            assertThat(generatedTokens(t)).isLessThan(maxTokens);
            assertThat(t.get("/metrics").body()).contains("hearth_requests_total{endpoint=\"/v1/completions\",status=\"499\"} 1.0");
            System.out.printf("disconnect: sequence freed %d ms after the client hung up, after %.0f of %d tokens%n",
                    freedMillis, generatedTokens(t), maxTokens);
            // The slot is usable at once.
            assertThat(t.post("/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":2}").statusCode()).isEqualTo(200);
        }
    }

    private static int countEvents(CharSequence s) {
        int n = 0;
        for (int i = s.toString().indexOf("data: "); i >= 0; i = s.toString().indexOf("data: ", i + 1)) n++;
        return n;
    }

    @Test
    void twoHundredFiftySixConcurrentStreamsAllFinishWithBoundedMemory() throws Exception {
        int streams = 256, maxTokens = 12;
        var config = ServerConfig.defaults().withPort(0).withParallel(64).withQueue(256);
        try (var t = TestServer.start(config, 256);
             var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30)).build()) {
            var mem = ManagementFactory.getMemoryMXBean();
            System.gc();
            long heapBefore = mem.getHeapMemoryUsage().getUsed();
            long t0 = System.nanoTime();
            List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Stream " + i + "\"}],\"max_tokens\":" + maxTokens
                        + ",\"stream\":true,\"ignore_eos\":true,\"seed\":" + i + "}";
                var req = HttpRequest.newBuilder(URI.create(t.url() + "/v1/chat/completions")).timeout(Duration.ofSeconds(120))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
                futures.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString()));
            }
            long peakRunning = 0;
            while (!futures.stream().allMatch(CompletableFuture::isDone)) {
                peakRunning = Math.max(peakRunning, t.server.scheduler().stats().running());
                Thread.sleep(5);
                assertThat(System.nanoTime() - t0).as("256 streams take too long").isLessThan(TimeUnit.SECONDS.toNanos(90));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            int errors = 0;
            for (var f : futures) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() != 200 || !r.body().endsWith("data: [DONE]\n\n") || r.body().contains("\"error\"")) errors++;
                else assertThat(r.body().split("\"finish_reason\":\"length\"")).hasSize(2);
            }
            assertThat(errors).isZero();
            Scheduler.Stats s = t.server.scheduler().stats();
            assertThat(s.slotsAllocated()).isLessThanOrEqualTo(64);
            assertThat(s.kvBytesAllocated()).isLessThanOrEqualTo(64 * t.model.kvBytesPerSequence());
            assertThat(peakRunning).isLessThanOrEqualTo(64).isGreaterThan(1);
            assertThat(generatedTokens(t)).isEqualTo(streams * maxTokens);
            awaitIdle(t.server.scheduler(), Duration.ofSeconds(5));
            System.gc();
            long heapAfter = mem.getHeapMemoryUsage().getUsed();
            System.out.printf("256 streams: %.1f s, %.0f tok/s aggregate, peak %d running, heap %+.1f MiB, KV %s allocated%n",
                    seconds, streams * maxTokens / seconds, peakRunning, (heapAfter - heapBefore) / 1048576.0,
                    HearthServer.mib(s.kvBytesAllocated()));
            // KV caches (64 x 256 KiB here) plus buffers; nothing per finished request is kept.
            assertThat(heapAfter - heapBefore).isLessThan(256L << 20);
        }
    }

    @Test
    void greedyOutputIsTheSameAloneAndAmongSixteenOthers() throws Exception {
        String target = "{\"prompt\":\"The quick brown fox\",\"max_tokens\":24,\"temperature\":0,\"ignore_eos\":true}";
        try (var t = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(17).withQueue(32).withStepTokens(16))) {
            var alone = t.post("/v1/completions", target);
            assertThat(alone.statusCode()).isEqualTo(200);
            String expected = HttpApiTest.json(alone).get("choices").get(0).get("text").asText();
            List<CompletableFuture<HttpResponse<String>>> others = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String body = "{\"prompt\":\"" + "Other request number " + i + " ".repeat(i) + "\",\"max_tokens\":" + (8 + 3 * i)
                        + ",\"temperature\":0.8,\"seed\":" + i + ",\"ignore_eos\":true,\"stream\":true}";
                others.add(t.http.sendAsync(HttpRequest.newBuilder(URI.create(t.url() + "/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
                if (i == 7) { // the target joins while the first half is running
                    while (t.server.scheduler().stats().running() < 4) Thread.sleep(1);
                    others.add(t.http.sendAsync(HttpRequest.newBuilder(URI.create(t.url() + "/v1/completions"))
                            .POST(HttpRequest.BodyPublishers.ofString(target)).build(), HttpResponse.BodyHandlers.ofString()));
                }
            }
            var among = others.get(8).get(60, TimeUnit.SECONDS);
            for (var f : others) assertThat(f.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertThat(HttpApiTest.json(among).get("choices").get(0).get("text").asText()).isEqualTo(expected);
        }
    }

    @Test
    void shutdownLetsRunningStreamsFinishThenStops() throws Exception {
        var t = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(2).withQueue(4));
        try {
            var req = HttpRequest.newBuilder(URI.create(t.url() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":40,\"stream\":true,\"ignore_eos\":true}")).build();
            var running = t.http.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            while (t.server.scheduler().stats().running() == 0 && !running.isDone()) Thread.sleep(1);
            boolean drained = t.server.stop(Duration.ofSeconds(30));
            assertThat(drained).isTrue();
            HttpResponse<String> r = running.get(30, TimeUnit.SECONDS);
            assertThat(r.body()).endsWith("data: [DONE]\n\n").contains("\"finish_reason\":\"length\"");
        } finally {
            t.close();
        }
    }

    @Test
    void shutdownCancelsStreamsThatOutliveTheGracePeriod() throws Exception {
        var t = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(2).withQueue(4), 4096);
        try {
            var req = HttpRequest.newBuilder(URI.create(t.url() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":4000,\"stream\":true,\"ignore_eos\":true}")).build();
            var running = t.http.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            while (t.server.scheduler().stats().running() == 0 && !running.isDone()) Thread.sleep(1);
            long t0 = System.nanoTime();
            boolean drained = t.server.stop(Duration.ofMillis(200));
            assertThat(drained).isFalse();
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0)).isLessThan(10);
            HttpResponse<String> r = running.get(30, TimeUnit.SECONDS);
            assertThat(r.body()).contains("shutting_down").doesNotContain("[DONE]");
        } finally {
            t.close();
        }
    }
}
