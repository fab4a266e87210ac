package dev.hearth.engine.batch;

/** The scheduler's waiting queue is full; the request was not accepted (retry later). */
public final class QueueFullException extends RuntimeException {
    private final int capacity;

    public QueueFullException(int capacity) {
        super("the server is busy: all sequence slots are in use and the waiting queue (" + capacity
                + " requests) is full; retry later");
        this.capacity = capacity;
    }

    public int capacity() { return capacity; }
}
