package dev.hearth.engine.batch;

import dev.hearth.engine.sampling.SamplerParams;
import java.util.List;
import java.util.Objects;

/**
 * One sequence to generate: its prompt tokens and how to continue them.
 *
 * @param prompt      prompt token ids (at least one)
 * @param maxTokens   most tokens to generate (at least one); prompt + maxTokens must fit the context
 * @param sampling    how each token is chosen
 * @param stop        strings that end generation when the text would contain them; the stop text itself is
 *                    never emitted (matched on decoded text, so across token boundaries)
 * @param topLogprobs -1 = no log-probabilities; n >= 0 = each token's log-probability and the n most likely alternatives
 * @param ignoreEos   keep generating past end-of-generation tokens (benchmarks)
 */
public record GenerationRequest(int[] prompt, int maxTokens, SamplerParams sampling, List<String> stop,
                                int topLogprobs, boolean ignoreEos) {
    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(sampling, "sampling");
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt has no tokens; give at least one");
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        if (topLogprobs < -1) throw new IllegalArgumentException("topLogprobs must be -1 (off) or >= 0, got " + topLogprobs);
        for (String s : stop) {
            if (s == null || s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
        }
    }

    /** Plain generation: no stop strings, no log-probabilities. */
    public static GenerationRequest of(int[] prompt, int maxTokens, SamplerParams sampling) {
        return new GenerationRequest(prompt, maxTokens, sampling, List.of(), -1, false);
    }

    public GenerationRequest withStop(List<String> v) { return new GenerationRequest(prompt, maxTokens, sampling, v, topLogprobs, ignoreEos); }
    public GenerationRequest withTopLogprobs(int v) { return new GenerationRequest(prompt, maxTokens, sampling, stop, v, ignoreEos); }
    public GenerationRequest withIgnoreEos(boolean v) { return new GenerationRequest(prompt, maxTokens, sampling, stop, topLogprobs, v); }
}
