package dev.hearth.engine.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF version 3 files: metadata in insertion order, then tensor infos, then the tensor data,
 * each tensor aligned to {@code general.alignment} (32 unless set). Used by tests to make tiny models
 * and by tools that produce model files.
 */
public final class GgufWriter {
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();

    private record Entry(String name, long[] shape, GgmlType type, byte[] data) {}

    public GgufWriter put(String key, GgufValue value) {
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putString(String key, String v) { return put(key, GgufValue.of(GgufValueType.STRING, v)); }
    public GgufWriter putU32(String key, long v) { return put(key, GgufValue.of(GgufValueType.UINT32, v)); }
    public GgufWriter putI32(String key, int v) { return put(key, GgufValue.of(GgufValueType.INT32, v)); }
    public GgufWriter putU64(String key, long v) { return put(key, GgufValue.of(GgufValueType.UINT64, v)); }
    public GgufWriter putF32(String key, float v) { return put(key, GgufValue.of(GgufValueType.FLOAT32, v)); }
    public GgufWriter putBool(String key, boolean v) { return put(key, GgufValue.of(GgufValueType.BOOL, v)); }
    public GgufWriter putStrings(String key, String... v) { return put(key, GgufValue.array(GgufValueType.STRING, v)); }
    public GgufWriter putFloats(String key, float... v) { return put(key, GgufValue.array(GgufValueType.FLOAT32, v)); }
    public GgufWriter putInts(String key, int... v) { return put(key, GgufValue.array(GgufValueType.INT32, v)); }

    /**
     * Adds a tensor. {@code shape} is in ggml order (shape[0] = row length); {@code data} holds the
     * encoded bytes for {@code type} and must have exactly the size the shape and type imply.
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] data) {
        long elements = 1;
        for (long d : shape) elements *= d;
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + shape[0] + " is not a multiple of " + type + " block size " + type.blockSize());
        }
        if (type.byteSize(elements) != data.length) {
            throw new IllegalArgumentException(name + ": " + type + " " + java.util.Arrays.toString(shape) + " needs "
                    + type.byteSize(elements) + " bytes, got " + data.length);
        }
        tensors.add(new Entry(name, shape.clone(), type, data));
        return this;
    }

    /** Adds an F32 tensor from floats. */
    public GgufWriter addF32(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return addTensor(name, GgmlType.F32, shape, b.array());
    }

    private int alignment() {
        GgufValue a = metadata.get("general.alignment");
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : ((Number) a.value()).intValue();
    }

    public byte[] toBytes() {
        var out = new ByteArrayOutputStream();
        try {
            write(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    public void write(Path path) throws IOException {
        try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(path), 1 << 16)) {
            write(os);
        }
    }

    /** Writes the file and parses it back from memory (for tests). */
    public GgufFile toGguf(String name) {
        byte[] bytes = toBytes();
        MemorySegment seg = Arena.ofAuto().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return GgufFile.read(seg, name);
    }

    public void write(OutputStream os) throws IOException {
        var w = new Out(os);
        int align = alignment();
        w.i32(GgufFile.MAGIC);
        w.i32(3);
        w.i64(tensors.size());
        w.i64(metadata.size());
        for (var e : metadata.entrySet()) {
            w.string(e.getKey());
            w.i32(e.getValue().type().id());
            w.value(e.getValue());
        }
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            offsets[i] = offset;
            w.string(t.name);
            w.i32(t.shape.length);
            for (long d : t.shape) w.i64(d);
            w.i32(t.type.id());
            w.i64(offset);
            offset = GgufFile.alignUp(offset + t.data.length, align);
        }
        w.pad(GgufFile.alignUp(w.written, align) - w.written);
        long dataStart = w.written;
        for (int i = 0; i < tensors.size(); i++) {
            Entry t = tensors.get(i);
            w.pad(dataStart + offsets[i] - w.written);
            w.bytes(t.data);
        }
        w.pad(GgufFile.alignUp(w.written - dataStart, align) + dataStart - w.written);
    }

    private static final class Out {
        final OutputStream os;
        final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long written;

        Out(OutputStream os) { this.os = os; }

        void bytes(byte[] b) throws IOException { os.write(b); written += b.length; }
        void pad(long n) throws IOException { for (long i = 0; i < n; i++) os.write(0); written += n; }
        void i8(int v) throws IOException { os.write(v); written++; }
        void i16(int v) throws IOException { scratch.clear(); scratch.putShort((short) v); os.write(scratch.array(), 0, 2); written += 2; }
        void i32(int v) throws IOException { scratch.clear(); scratch.putInt(v); os.write(scratch.array(), 0, 4); written += 4; }
        void i64(long v) throws IOException { scratch.clear(); scratch.putLong(v); os.write(scratch.array(), 0, 8); written += 8; }
        void string(String s) throws IOException { byte[] b = s.getBytes(StandardCharsets.UTF_8); i64(b.length); bytes(b); }

        void value(GgufValue v) throws IOException {
            Object x = v.value();
            switch (v.type()) {
                case UINT8, INT8, BOOL -> i8(x instanceof Boolean b ? (b ? 1 : 0) : ((Number) x).intValue());
                case UINT16, INT16 -> i16(((Number) x).intValue());
                case UINT32, INT32 -> i32(((Number) x).intValue());
                case FLOAT32 -> i32(Float.floatToRawIntBits(((Number) x).floatValue()));
                case UINT64, INT64 -> i64(((Number) x).longValue());
                case FLOAT64 -> i64(Double.doubleToRawLongBits(((Number) x).doubleValue()));
                case STRING -> string((String) x);
                case ARRAY -> array(v);
            }
        }

        void array(GgufValue v) throws IOException {
            i32(v.elementType().id());
            Object a = v.value();
            int n = java.lang.reflect.Array.getLength(a);
            i64(n);
            switch (a) {
                case byte[] b -> bytes(b);
                case boolean[] b -> { for (boolean x : b) i8(x ? 1 : 0); }
                case short[] s -> { for (short x : s) i16(x); }
                case int[] s -> { for (int x : s) i32(x); }
                case long[] s -> { for (long x : s) i64(x); }
                case float[] s -> { for (float x : s) i32(Float.floatToRawIntBits(x)); }
                case double[] s -> { for (double x : s) i64(Double.doubleToRawLongBits(x)); }
                case String[] s -> { for (String x : s) string(x); }
                case GgufValue[] s -> { for (GgufValue x : s) array(x); }
                default -> throw new IllegalArgumentException("unsupported array " + a.getClass());
            }
        }
    }
}
