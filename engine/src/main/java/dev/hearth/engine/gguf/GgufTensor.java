package dev.hearth.engine.gguf;

import java.lang.foreign.MemorySegment;

/**
 * A tensor of a GGUF file: its name, shape (ggml order: {@code shape[0]} is the row length, the
 * fastest-varying dimension), type, and a zero-copy view of its bytes in the mapped file.
 */
public record GgufTensor(String name, long[] shape, GgmlType type, long offset, MemorySegment data) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public long byteSize() {
        return data.byteSize();
    }

    /** Row length (ne[0]). */
    public int cols() {
        return Math.toIntExact(shape[0]);
    }

    /** Number of rows: product of all dimensions but the first. */
    public int rows() {
        return Math.toIntExact(elements() / shape[0]);
    }

    public String shapeString() {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        return sb.append(']').toString();
    }
}
