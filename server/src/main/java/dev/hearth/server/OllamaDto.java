package dev.hearth.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/** Response bodies of the Ollama-compatible endpoints, with Ollama's field names. Durations are nanoseconds. */
final class OllamaDto {
    private OllamaDto() {}

    record Error(String error) {}

    record Message(String role, String content) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ChatResponse(String model, String createdAt, Message message, boolean done, String doneReason,
                        Long totalDuration, Long loadDuration, Integer promptEvalCount, Long promptEvalDuration,
                        Integer evalCount, Long evalDuration) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record GenerateResponse(String model, String createdAt, String response, boolean done, String doneReason,
                            int[] context, Long totalDuration, Long loadDuration, Integer promptEvalCount, Long promptEvalDuration,
                            Integer evalCount, Long evalDuration) {}

    record Details(String parentModel, String format, String family, List<String> families, String parameterSize,
                   String quantizationLevel) {}

    record TagModel(String name, String model, String modifiedAt, long size, String digest, Details details) {}

    record Tags(List<TagModel> models) {}

    record PsModel(String name, String model, long size, String digest, Details details, String expiresAt, long sizeVram,
                   int contextLength) {}

    record Ps(List<PsModel> models) {}

    record Show(String license, String modelfile, String parameters, String template, Details details,
                Map<String, Object> modelInfo, List<String> capabilities, String modifiedAt) {}

    record Version(String version) {}

    record Embed(String model, List<float[]> embeddings, long totalDuration, long loadDuration, int promptEvalCount) {}
}
