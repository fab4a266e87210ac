package dev.hearth.server;

import dev.hearth.engine.Model;
import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.model.TinyModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real server on a free loopback port, serving a tiny random-weight Llama (F32 matrices, 320-token
 * vocabulary) written to a temporary GGUF file, plus a plain HTTP client for it.
 */
final class TestServer implements AutoCloseable {
    final Path file;
    final Model model;
    final HearthServer server;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private TestServer(Path file, Model model, HearthServer server) {
        this.file = file;
        this.model = model;
        this.server = server;
    }

    /** The default test configuration: 4 sequences, queue 64, any free port. */
    static TestServer start() {
        return start(ServerConfig.defaults().withPort(0).withParallel(4).withQueue(64));
    }

    static TestServer start(ServerConfig config) {
        return start(config, 512);
    }

    static TestServer start(ServerConfig config, int context) {
        try {
            Path file = Files.createTempFile("hearth-tiny-", ".gguf");
            TinyModels.writer(TinyModels.Spec.of("llama", GgmlType.F32).withContext(context)).write(file);
            Model model = Model.load(file, new Model.Options(context, 1, null));
            return new TestServer(file, model, HearthServer.serve(model, config));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    String modelId() {
        return model.name();
    }

    HttpResponse<String> post(String path, String json, String... headers) {
        var b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (headers.length > 0) b.headers(headers);
        return send(b.build());
    }

    HttpResponse<String> get(String path, String... headers) {
        var b = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(60)).GET();
        if (headers.length > 0) b.headers(headers);
        return send(b.build());
    }

    HttpResponse<String> send(HttpRequest r) {
        try {
            return http.send(r, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(5));
        model.close();
        http.close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a temp file; the OS cleans up
        }
    }
}
