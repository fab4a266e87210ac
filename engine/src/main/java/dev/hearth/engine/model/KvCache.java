package dev.hearth.engine.model;

/**
 * Keys and values of one sequence, per layer, for positions {@code [0, capacity)}, stored as float16
 * bits (as llama.cpp's default cache: the values are rounded to float16 either way, so storing them in
 * 2 bytes loses nothing and halves the memory). Per layer, laid out for attention, which reads one KV head
 * over a run of positions:
 * <ul>
 *   <li>keys transposed, {@code [kvHead][i][position]} at {@code (kvHead * headDim + i) * capacity + position}:
 *       dimension {@code i} of a head's keys over consecutive positions is one contiguous run, the layout
 *       of the score loop (one query value against many positions per vector);
 *   <li>values {@code [kvHead][position][i]} at {@code (kvHead * capacity + position) * headDim + i}: a head's
 *       values over a run of positions are one contiguous block.
 * </ul>
 * Both turn into floats with plain contiguous loops (vectorized by the JIT); writing one position's
 * keys is {@code kvDim} scattered stores, once per token.
 */
public final class KvCache {
    final short[][] keys;
    final short[][] values;
    private final int capacity;
    private final int kvDim, headDim;

    public KvCache(ModelConfig c, int capacity) {
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        this.headDim = c.headDim();
        keys = new short[c.layers()][];
        values = new short[c.layers()][];
        for (int l = 0; l < c.layers(); l++) {
            keys[l] = new short[Math.multiplyExact(capacity, kvDim)];
            values[l] = new short[capacity * kvDim];
        }
    }

    /** Index of dimension {@code i} of KV head {@code kvHead}'s key at position {@code position} in {@code keys[layer]}. */
    int key(int kvHead, int i, int position) {
        return (kvHead * headDim + i) * capacity + position;
    }

    /** Index of KV head {@code kvHead}'s value at {@code position} (its {@code headDim} values follow) in {@code values[layer]}. */
    int value(int kvHead, int position) {
        return (kvHead * capacity + position) * headDim;
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
