package dev.hearth.engine.tokenizer;

/** Open-addressing map from long keys to non-negative ints (BPE merge ranks keyed by token-id pairs). */
final class LongIntMap {
    private static final long EMPTY = Long.MIN_VALUE;
    private final long[] keys;
    private final int[] vals;
    private final int mask;

    LongIntMap(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[cap];
        vals = new int[cap];
        java.util.Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    private static int hash(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }

    /** Stores the value unless the key is already present (the first occurrence wins). */
    void putIfAbsent(long key, int val) {
        int i = hash(key) & mask;
        while (keys[i] != EMPTY) {
            if (keys[i] == key) return;
            i = (i + 1) & mask;
        }
        keys[i] = key;
        vals[i] = val;
    }

    /** The value, or -1. */
    int get(long key) {
        int i = hash(key) & mask;
        while (keys[i] != EMPTY) {
            if (keys[i] == key) return vals[i];
            i = (i + 1) & mask;
        }
        return -1;
    }
}
