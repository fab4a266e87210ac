package dev.hearth.engine.model;

/** A sequence would grow past its context length; nothing is truncated silently. */
public final class ContextOverflowException extends RuntimeException {
    private final int needed;
    private final int context;

    public ContextOverflowException(int needed, int context) {
        super("the sequence needs " + needed + " positions but the context holds " + context
                + " tokens; shorten the prompt, generate fewer tokens (-n), or raise the context with --ctx");
        this.needed = needed;
        this.context = context;
    }

    public int needed() { return needed; }
    public int context() { return context; }
}
