package dev.hearth.cli;

import dev.hearth.engine.sampling.SamplerParams;
import picocli.CommandLine.Option;

/** Sampling options named as llama.cpp users expect; defaults are llama.cpp's. */
final class SamplingOptions {
    @Option(names = "--temp", paramLabel = "T", description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE})", defaultValue = "0.8")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k; 0 = off (default: ${DEFAULT-VALUE})", defaultValue = "40")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Top-p (nucleus); 1 = off (default: ${DEFAULT-VALUE})", defaultValue = "0.95")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Min-p; 0 = off (default: ${DEFAULT-VALUE})", defaultValue = "0.05")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", description = "Repetition penalty; 1 = off (default: ${DEFAULT-VALUE})", defaultValue = "1.0")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", description = "Tokens the penalties look back (default: ${DEFAULT-VALUE})", defaultValue = "64")
    int repeatLastN;

    @Option(names = "--frequency-penalty", paramLabel = "X", defaultValue = "0", description = "Frequency penalty (default: 0)")
    float frequencyPenalty;

    @Option(names = "--presence-penalty", paramLabel = "X", defaultValue = "0", description = "Presence penalty (default: 0)")
    float presencePenalty;

    @Option(names = {"-s", "--seed"}, paramLabel = "N", description = "Random seed; -1 = random (default: ${DEFAULT-VALUE})", defaultValue = "-1")
    long seed;

    SamplerParams params() {
        long s = seed == -1 ? new java.security.SecureRandom().nextLong() & Long.MAX_VALUE : seed;
        return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, s);
    }
}
