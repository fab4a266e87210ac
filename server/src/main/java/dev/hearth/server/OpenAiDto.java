package dev.hearth.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** Response bodies of the OpenAI-compatible endpoints, field for field as OpenAI sends them (snake_case on the wire). */
final class OpenAiDto {
    private OpenAiDto() {}

    record ErrorBody(ErrorDetail error) {}

    record ErrorDetail(String message, String type, String param, String code) {}

    record Usage(int promptTokens, int completionTokens, int totalTokens) {
        static Usage of(int prompt, int completion) {
            return new Usage(prompt, completion, prompt + completion);
        }
    }

    // ---- chat completions

    record ChatCompletion(String id, String object, long created, String model, String systemFingerprint,
                          List<ChatChoice> choices, Usage usage) {}

    record ChatChoice(int index, ChatMessage message, ChatLogprobs logprobs, String finishReason) {}

    record ChatMessage(String role, String content, String refusal) {}

    record ChatLogprobs(List<TokenLogprob> content, List<TokenLogprob> refusal) {}

    record TokenLogprob(String token, double logprob, int[] bytes, List<TopLogprob> topLogprobs) {}

    record TopLogprob(String token, double logprob, int[] bytes) {}

    record ChatChunk(String id, String object, long created, String model, String systemFingerprint,
                     List<ChunkChoice> choices, @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {}

    record ChunkChoice(int index, Delta delta, ChatLogprobs logprobs, String finishReason) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Delta(String role, String content, String refusal) {}

    // ---- completions

    record Completion(String id, String object, long created, String model, String systemFingerprint,
                      List<CompletionChoice> choices, @JsonInclude(JsonInclude.Include.NON_NULL) Usage usage) {}

    record CompletionChoice(String text, int index, CompletionLogprobs logprobs, String finishReason) {}

    record CompletionLogprobs(List<String> tokens, List<Double> tokenLogprobs, List<Map<String, Double>> topLogprobs,
                              List<Integer> textOffset) {}

    // ---- models, embeddings

    record ModelList(String object, List<ModelInfo> data) {}

    record ModelInfo(String id, String object, long created, String ownedBy) {}

    record EmbeddingList(String object, List<Embedding> data, String model, EmbeddingUsage usage) {}

    /** {@code embedding} is a float array, or a base64 string of little-endian float32 values. */
    record Embedding(String object, Object embedding, int index) {}

    record EmbeddingUsage(int promptTokens, int totalTokens) {}
}
