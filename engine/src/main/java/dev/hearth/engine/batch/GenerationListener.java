package dev.hearth.engine.batch;

/**
 * Receives a sequence's output. Called on the scheduler thread, which runs every sequence's step: methods
 * must return quickly and never block (hand the events to another thread, e.g. through a queue). Exactly
 * one of {@link #onComplete} or {@link #onError} ends every sequence.
 */
public interface GenerationListener {
    /** After each generated token; {@code event.text()} may be empty. */
    void onToken(TokenEvent event);

    /** The sequence ended normally, by cancellation or by shutdown; its slot is free again. */
    void onComplete(GenerationResult result);

    /** The sequence failed (e.g. the forward pass threw); its slot is free again. */
    void onError(Throwable error);
}
