package dev.hearth.engine.batch;

/**
 * How a sequence ended, with its token counts and timings (all {@link System#nanoTime()} differences).
 *
 * @param finishReason    why it ended
 * @param promptTokens    tokens in the prompt
 * @param generatedTokens tokens generated (end-of-generation tokens not counted, stop-string tokens counted)
 * @param queueNanos      from submit until a slot was free
 * @param prefillNanos    from getting a slot until the first token was sampled (0 if none was)
 * @param decodeNanos     from the first token until the end
 */
public record GenerationResult(FinishReason finishReason, int promptTokens, int generatedTokens,
                               long queueNanos, long prefillNanos, long decodeNanos) {
    public long totalNanos() { return queueNanos + prefillNanos + decodeNanos; }
}
