package dev.hearth.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hearth serve} and {@code hearth loadtest} end to end on the shared trained Llama (skipped when absent). */
class ServeCommandTest {
    /** ../shared/models/NAME beside an ancestor of the working directory, or -Dhearth.shared / $HEARTH_SHARED. */
    static Path sharedModel(String name) {
        for (String s : new String[] {System.getProperty("hearth.shared"), System.getenv("HEARTH_SHARED")}) {
            if (s != null && Files.exists(Path.of(s, "models", name))) return Path.of(s, "models", name);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("models").resolve(name);
            if (Files.exists(candidate)) return candidate;
        }
        String why = "SKIPPED: shared model '" + name + "' not found (../shared/models, -Dhearth.shared, $HEARTH_SHARED)";
        System.out.println(why);
        assumeTrue(false, why);
        return null;
    }

    @Test
    void servesUntilAskedToStopThenExitsZero() throws Exception {
        Path model = sharedModel("brown-llama-spm-q8_0.gguf");
        var out = new StringWriter();
        var err = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        var exit = new CompletableFuture<Integer>();
        Thread.ofPlatform().start(() -> exit.complete(cl.execute("serve", "-m", model.toString(), "--port", "0",
                "--parallel", "2", "--ctx", "256", "--threads", "1", "--shutdown-timeout", "5")));
        var ready = Pattern.compile("serving \\S+ on (http://127\\.0\\.0\\.1:\\d+)");
        String url = null;
        for (int i = 0; i < 600 && url == null && !exit.isDone(); i++) {
            var m = ready.matcher(out.toString());
            if (m.find()) url = m.group(1);
            else Thread.sleep(50);
        }
        assertThat(url).as("stdout: %s%nstderr: %s", out, err).isNotNull();
        assertThat(out.toString()).containsPattern("hearth: warmed up in \\d+ ms");
        try (var http = HttpClient.newHttpClient()) {
            var health = http.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.body()).contains("ready");
            var chat = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"The President said\"}],"
                            + "\"max_tokens\":8,\"temperature\":0}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).isEqualTo(200);
            assertThat(chat.body()).contains("\"object\":\"chat.completion\"");

            var load = CliRun.run("loadtest", "--url", url, "-c", "2", "-n", "4", "--max-tokens", "4");
            assertThat(load.code()).as(load.out() + load.err()).isZero();
            assertThat(load.out()).contains("4 requests").contains("0 errors").contains("time to first token: p50")
                    .contains("inter-token latency: p50").contains("16 generated");
        }
        ServeCommand serve = cl.getSubcommands().get("serve").getCommand();
        serve.requestStop();
        assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(out.toString()).contains("hearth: stopped");
    }

    @Test
    void badOptionsAreUsageErrors(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("keys.txt"), "# no keys here\n\n");
        var r = CliRun.run("serve", "-m", "x.gguf", "--api-key-file", empty.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("holds no keys");
        r = CliRun.run("serve", "-m", "x.gguf", "--max-body", "lots");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--max-body must be a positive size");
        r = CliRun.run("serve", "-m", dir.resolve("missing.gguf").toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("model file not found");
        r = CliRun.run("loadtest", "--url", "ftp://x");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("http://");
    }

    @Test
    void sizesTakeBinaryUnits() {
        assertThat(ServeCommand.size("--x", "512")).isEqualTo(512);
        assertThat(ServeCommand.size("--x", "64k")).isEqualTo(64 * 1024);
        assertThat(ServeCommand.size("--x", "1m")).isEqualTo(1 << 20);
        assertThat(ServeCommand.size("--x", "2G")).isEqualTo(2L << 30);
        assertThat(ServeCommand.size("--x", "1.5gb")).isEqualTo(3L << 29);
    }
}
