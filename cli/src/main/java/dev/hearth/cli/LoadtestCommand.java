package dev.hearth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hearth.server.LoadGenerator;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code hearth loadtest --url URL -c N -n M}: streaming chat completions against any OpenAI-compatible server. */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
        description = "Send streaming chat completions from N concurrent clients to an OpenAI-compatible server and report "
                + "time to first token, inter-token latency (p50/p99), aggregate generated tokens per second and errors.")
final class LoadtestCommand implements Callable<Integer> {
    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080", description = "Server root (default: ${DEFAULT-VALUE})")
    String url;

    @Option(names = {"-c", "--concurrency"}, paramLabel = "N", defaultValue = "4", description = "Concurrent clients (default: ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = {"-n", "--requests"}, paramLabel = "M", defaultValue = "32", description = "Requests in all (default: ${DEFAULT-VALUE})")
    int requests;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "64", description = "Tokens per completion (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "Write a short story about a lighthouse keeper.",
            description = "User message (the request number is appended)")
    String prompt;

    @Option(names = "--model", paramLabel = "NAME", description = "Model name (default: the first one /v1/models lists)")
    String model;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Bearer key for the server")
    String apiKey;

    @Option(names = "--stop-at-eos", description = "Let completions end at an end-of-text token (default: always max-tokens, via ignore_eos)")
    boolean stopAtEos;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600", description = "Per-request timeout (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "Print the report as JSON")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        URI base;
        try {
            base = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--url is not a URL: " + url);
        }
        if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
            throw new IllegalArgumentException("--url must start with http:// or https://, got " + url);
        }
        var report = LoadGenerator.run(new LoadGenerator.Options(base, apiKey, model, concurrency, requests, maxTokens, prompt,
                !stopAtEos, Duration.ofSeconds(timeoutSeconds)));
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report.toMap()));
        } else {
            out.print(report.format());
        }
        out.flush();
        return report.errors() == 0 ? 0 : 1;
    }
}
