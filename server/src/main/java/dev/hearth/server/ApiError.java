package dev.hearth.server;

/**
 * An error answered to the client: its HTTP status and OpenAI's error fields
 * ({@code {"error":{"message","type","param","code"}}}; Ollama endpoints send {@code {"error":"message"}}).
 */
final class ApiError extends RuntimeException {
    final int status;
    final String type;
    final String param;
    final String code;
    /** Seconds for a Retry-After header, or 0 for none. */
    final int retryAfter;

    ApiError(int status, String type, String param, String code, String message, int retryAfter) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    static ApiError badRequest(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message, 0);
    }

    static ApiError invalidValue(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "invalid_value", message, 0);
    }

    static ApiError invalidType(String param, String expected, String got) {
        return new ApiError(400, "invalid_request_error", param, "invalid_type",
                "Invalid type for '" + param + "': expected " + expected + ", but got " + got + " instead.", 0);
    }

    static ApiError unsupported(String param, String message) {
        return new ApiError(400, "invalid_request_error", param, "unsupported_parameter", message, 0);
    }

    static ApiError modelNotFound(String model, String available) {
        return new ApiError(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist; this server serves '" + available + "' (see GET /v1/models).", 0);
    }

    static ApiError contextExceeded(String param, int context, int prompt, int completion) {
        return new ApiError(400, "invalid_request_error", param, "context_length_exceeded",
                "This model's maximum context length is " + context + " tokens. However, you requested "
                        + (prompt + completion) + " tokens (" + prompt + " in the prompt, " + completion
                        + " in the completion). Please reduce the length of the prompt or of max_tokens.", 0);
    }

    static ApiError busy(String message) {
        return new ApiError(429, "rate_limit_error", null, "queue_full", message, 1);
    }

    static ApiError unavailable(String code, String message) {
        return new ApiError(503, "server_error", null, code, message, 1);
    }

    static ApiError internal(String message) {
        return new ApiError(500, "server_error", null, "internal_error", message, 0);
    }
}
