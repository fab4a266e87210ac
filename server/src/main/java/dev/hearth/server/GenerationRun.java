package dev.hearth.server;

import dev.hearth.engine.batch.GenerationListener;
import dev.hearth.engine.batch.GenerationRequest;
import dev.hearth.engine.batch.GenerationResult;
import dev.hearth.engine.batch.Scheduler;
import dev.hearth.engine.batch.TokenEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The sequences of one HTTP request (n choices, or several prompts) submitted to the scheduler, with their
 * output funnelled into one queue that the request's own thread drains. The scheduler thread only enqueues,
 * so a slow client never slows other sequences; a client that goes away cancels its sequences.
 */
final class GenerationRun {
    sealed interface Event permits Piece, Finished, Failed {
        int index();
    }

    /** Text (possibly empty) and the tokens it completes, for choice {@code index}. */
    record Piece(int index, String text, List<TokenEvent.Token> tokens) implements Event {}

    record Finished(int index, GenerationResult result) implements Event {}

    record Failed(int index, Throwable error) implements Event {}

    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<Scheduler.Handle> handles = new ArrayList<>();
    private final int size;

    private GenerationRun(int size) {
        this.size = size;
    }

    /**
     * Submits every request, or none: when one is refused (queue full, context, shutdown) the ones already
     * submitted are cancelled and the exception propagates.
     */
    static GenerationRun start(Scheduler scheduler, List<GenerationRequest> requests, ServerMetrics metrics, long startNanos) {
        var run = new GenerationRun(requests.size());
        try {
            for (int i = 0; i < requests.size(); i++) {
                run.handles.add(scheduler.submit(requests.get(i), run.listener(i, metrics, startNanos)));
            }
        } catch (RuntimeException e) {
            run.cancel();
            throw e;
        }
        return run;
    }

    int size() { return size; }

    /** The next event of any choice, waiting for it. */
    Event next() throws InterruptedException {
        return events.take();
    }

    /** Cancels every sequence of this request (the client went away). */
    void cancel() {
        for (Scheduler.Handle h : handles) h.cancel();
    }

    private GenerationListener listener(int index, ServerMetrics metrics, long startNanos) {
        return new GenerationListener() {
            long last;

            @Override
            public void onToken(TokenEvent e) {
                long now = System.nanoTime();
                if (last == 0) metrics.timeToFirstToken(now - startNanos);
                else metrics.interTokenLatency(now - last);
                last = now;
                events.add(new Piece(index, e.text(), e.tokens()));
            }

            @Override
            public void onComplete(GenerationResult r) {
                metrics.tokens(r.promptTokens(), r.generatedTokens());
                events.add(new Finished(index, r));
            }

            @Override
            public void onError(Throwable t) {
                events.add(new Failed(index, t));
            }
        };
    }
}
