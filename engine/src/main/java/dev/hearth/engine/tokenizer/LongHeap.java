package dev.hearth.engine.tokenizer;

import java.util.Arrays;

/**
 * A binary min-heap of (long key, long value) pairs in primitive arrays: the work queue of the
 * merge loops. Callers pack their ordering (rank or score, then left position) into the key.
 */
final class LongHeap {
    private long[] keys = new long[64];
    private long[] vals = new long[64];
    private int size;

    boolean isEmpty() { return size == 0; }

    void clear() { size = 0; }

    void push(long key, long val) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            vals = Arrays.copyOf(vals, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) break;
            keys[i] = keys[parent];
            vals[i] = vals[parent];
            i = parent;
        }
        keys[i] = key;
        vals[i] = val;
    }

    long topKey() { return keys[0]; }

    long topVal() { return vals[0]; }

    /** Removes the smallest entry (read it first with {@link #topKey()} / {@link #topVal()}). */
    void pop() {
        long key = keys[--size];
        long val = vals[size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < size && keys[child + 1] < keys[child]) child++;
            if (key <= keys[child]) break;
            keys[i] = keys[child];
            vals[i] = vals[child];
            i = child;
        }
        keys[i] = key;
        vals[i] = val;
    }
}
