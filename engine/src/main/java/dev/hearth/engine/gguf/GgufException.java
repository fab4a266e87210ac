package dev.hearth.engine.gguf;

/** A GGUF file that cannot be used: the message says what is wrong and, where it can, what to do. */
public class GgufException extends RuntimeException {
    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
