package dev.hearth.engine.chat;

/**
 * A chat template could not be rendered: a syntax error, an error the template raised itself
 * ({@code raise_exception}, e.g. "System role not supported"), or a feature the renderer lacks.
 * The message names the template and says what went wrong.
 */
public class ChatTemplateException extends RuntimeException {
    private final String templateMessage;

    public ChatTemplateException(String message) {
        this(message, null, null);
    }

    public ChatTemplateException(String message, String templateMessage, Throwable cause) {
        super(message, cause);
        this.templateMessage = templateMessage;
    }

    /** The text the template passed to {@code raise_exception}, or null when the error came from elsewhere. */
    public String templateMessage() {
        return templateMessage;
    }
}
