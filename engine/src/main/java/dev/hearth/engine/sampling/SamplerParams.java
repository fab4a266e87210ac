package dev.hearth.engine.sampling;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How the next token is chosen from the logits. Each filter has a value that turns it off:
 * {@code temperature 0} = greedy, {@code topK 0}, {@code topP 1}, {@code minP 0}, {@code repeatPenalty 1},
 * {@code repeatLastN 0} (no penalty history; {@code -1} = every token since {@link Sampler#reset()}),
 * {@code frequencyPenalty 0}, {@code presencePenalty 0}.
 *
 * @param temperature      divides the logits; 0 picks the most likely token (negative values are rejected)
 * @param topK             keep only the k most likely tokens (0 = all)
 * @param topP             nucleus: keep the smallest set of most likely tokens whose probability reaches p
 * @param minP             drop tokens less likely than {@code minP} times the most likely one
 * @param repeatPenalty    divides positive / multiplies negative logits of recently seen tokens (llama.cpp style)
 * @param repeatLastN      how many recent tokens the three penalties look at
 * @param frequencyPenalty subtracted from a seen token's logit once per occurrence (OpenAI style)
 * @param presencePenalty  subtracted once from the logit of every token that occurred
 * @param seed             seeds the random draw; equal seeds give equal choices for equal logits
 */
public record SamplerParams(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN,
                            float frequencyPenalty, float presencePenalty, long seed) {

    public SamplerParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = no top-k limit), got " + topK);
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be between 0 and 1 (1 = off), got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must be between 0 and 1 (0 = off), got " + minP);
        }
        if (!(repeatPenalty > 0) || Float.isInfinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeatPenalty must be a finite number > 0 (1 = off), got " + repeatPenalty);
        }
        if (repeatLastN < -1) {
            throw new IllegalArgumentException("repeatLastN must be >= -1 (0 = no penalties, -1 = all tokens so far), got " + repeatLastN);
        }
        if (!Float.isFinite(frequencyPenalty)) {
            throw new IllegalArgumentException("frequencyPenalty must be a finite number (0 = off; OpenAI allows -2 to 2), got " + frequencyPenalty);
        }
        if (!Float.isFinite(presencePenalty)) {
            throw new IllegalArgumentException("presencePenalty must be a finite number (0 = off; OpenAI allows -2 to 2), got " + presencePenalty);
        }
    }

    /** Always the most likely token (after any penalties given with the withers). */
    public static SamplerParams greedy() {
        return new SamplerParams(0f, 0, 1f, 0f, 1f, 64, 0f, 0f, 0L);
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalties, a random seed. */
    public static SamplerParams defaults() {
        return new SamplerParams(0.8f, 40, 0.95f, 0.05f, 1f, 64, 0f, 0f, ThreadLocalRandom.current().nextLong());
    }

    /** Whether any of the three penalties changes logits. */
    public boolean penalizes() {
        return repeatLastN != 0 && (repeatPenalty != 1f || frequencyPenalty != 0f || presencePenalty != 0f);
    }

    public SamplerParams withTemperature(float v) { return new SamplerParams(v, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed); }
    public SamplerParams withTopK(int v) { return new SamplerParams(temperature, v, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed); }
    public SamplerParams withTopP(float v) { return new SamplerParams(temperature, topK, v, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed); }
    public SamplerParams withMinP(float v) { return new SamplerParams(temperature, topK, topP, v, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed); }
    public SamplerParams withRepeatPenalty(float v) { return new SamplerParams(temperature, topK, topP, minP, v, repeatLastN, frequencyPenalty, presencePenalty, seed); }
    public SamplerParams withRepeatLastN(int v) { return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, v, frequencyPenalty, presencePenalty, seed); }
    public SamplerParams withFrequencyPenalty(float v) { return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, v, presencePenalty, seed); }
    public SamplerParams withPresencePenalty(float v) { return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, v, seed); }
    public SamplerParams withSeed(long v) { return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, v); }
}
