package dev.hearth.engine.batch;

/** Why a sequence ended. */
public enum FinishReason {
    /** An end-of-generation token or a stop string. */
    STOP,
    /** The token budget ({@code maxTokens}) was reached. */
    LENGTH,
    /** Cancelled by the caller (e.g. the client disconnected) or by shutdown. */
    CANCELLED;

    /** The name OpenAI's and Ollama's APIs use ({@code stop}, {@code length}, {@code cancelled}). */
    public String apiName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
