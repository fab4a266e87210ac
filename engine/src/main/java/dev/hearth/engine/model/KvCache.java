package dev.hearth.engine.model;

/**
 * Keys and values of one sequence, per layer, for positions {@code [0, capacity)}: layout
 * {@code [layer][position * kvDim + kvHead * headDim + i]}, so one position's keys for all heads are
 * contiguous and a head's key at a position is one contiguous run of {@code headDim} floats.
 */
public final class KvCache {
    final float[][] keys;
    final float[][] values;
    private final int capacity;
    private final int kvDim;

    public KvCache(ModelConfig c, int capacity) {
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        keys = new float[c.layers()][];
        values = new float[c.layers()][];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = new float[Math.multiplyExact(capacity, kvDim)];
            values[l] = new float[capacity * kvDim];
        }
    }

    /** Number of positions this cache can hold (the sequence's context length). */
    public int capacity() { return capacity; }

    public long bytes() {
        return 2L * keys.length * capacity * kvDim * Float.BYTES;
    }

    /** Bytes a cache of this many positions takes for the given model. */
    public static long bytesFor(ModelConfig c, int positions) {
        return 2L * c.layers() * positions * c.kvDim() * Float.BYTES;
    }
}
