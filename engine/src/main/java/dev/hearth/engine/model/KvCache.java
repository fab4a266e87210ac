package dev.hearth.engine.model;

/**
 * Keys and values of one sequence, per layer, for positions {@code [0, capacity)}, stored as float16
 * bits (as llama.cpp's default cache: the values are rounded to float16 either way, so storing them in
 * 2 bytes loses nothing and halves the memory). Layout {@code [layer][position * kvDim + kvHead * headDim + i]}:
 * one position's keys for all heads are contiguous and a head's key at a position is one contiguous run
 * of {@code headDim} values.
 */
public final class KvCache {
    final short[][] keys;
    final short[][] values;
    private final int capacity;
    private final int kvDim;

    public KvCache(ModelConfig c, int capacity) {
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        keys = new short[c.layers()][];
        values = new short[c.layers()][];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = new short[Math.multiplyExact(capacity, kvDim)];
            values[l] = new short[capacity * kvDim];
        }
    }

    /** Number of positions this cache can hold (the sequence's context length). */
    public int capacity() { return capacity; }

    public long bytes() {
        return 2L * keys.length * capacity * kvDim * Short.BYTES;
    }

    /** Bytes a cache of this many positions takes for the given model. */
    public static long bytesFor(ModelConfig c, int positions) {
        return 2L * c.layers() * positions * c.kvDim() * Short.BYTES;
    }
}
