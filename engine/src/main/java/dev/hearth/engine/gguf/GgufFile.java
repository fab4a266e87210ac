package dev.hearth.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed GGUF file (versions 2 and 3): metadata, tensor infos, and the tensor data as zero-copy
 * views of the memory-mapped file. Every read is bounds-checked, so a damaged file fails with a
 * {@link GgufException} that says what is wrong, never with an index or null error.
 *
 * <p>Layout (little-endian): magic "GGUF", u32 version, u64 tensor count, u64 metadata count,
 * metadata key/value pairs, tensor infos (name, n_dims, dims, type, offset), padding to
 * {@code general.alignment} (default 32), then the tensor data, each tensor at its offset
 * from the start of the data section.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final Arena arena;
    /** The file's bytes as the tensors' views see them: for a mapped file, a native segment over the mapping (see {@link #open}). */
    private final MemorySegment file;
    /** The mapping itself ({@code FileChannel.map}), or null for bytes given in memory: for {@link #release}. */
    private final MemorySegment mapped;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final Map<String, GgufTensor> tensors;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(String source, Arena arena, MemorySegment file, MemorySegment mapped) {
        this.source = source;
        this.arena = arena;
        this.file = file;
        this.mapped = mapped;
        var r = new Reader(file, source);
        int magic = r.i32();
        if (magic != MAGIC) {
            throw new GgufException(source + ": not a GGUF file (magic bytes are " + hexMagic(file)
                    + ", expected 47 47 55 46 \"GGUF\"). Is this a model file in another format (safetensors, "
                    + "PyTorch, an old GGML .bin)? Convert it with llama.cpp's convert_hf_to_gguf.py.");
        }
        version = r.i32();
        if (version != 2 && version != 3) {
            throw new GgufException(source + ": unsupported GGUF version " + Integer.toUnsignedString(version)
                    + " (Hearth reads versions 2 and 3). "
                    + (version == 1 ? "Version 1 files predate 2023-08; re-convert the model with a current llama.cpp."
                                    : "The file may be damaged or written by a newer tool."));
        }
        long tensorCount = r.u64("tensor count");
        long kvCount = r.u64("metadata count");
        // Each metadata entry needs at least 12 bytes and each tensor info at least 24: reject counts
        // the file cannot possibly hold before allocating anything for them.
        if (kvCount > file.byteSize() / 12 || tensorCount > file.byteSize() / 24) {
            throw new GgufException(source + ": header claims " + kvCount + " metadata entries and " + tensorCount
                    + " tensors, more than a file of " + file.byteSize() + " bytes can hold; the file is truncated or damaged");
        }
        var meta = new LinkedHashMap<String, GgufValue>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string("metadata key #" + i);
            int typeId = r.i32();
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) {
                throw new GgufException(source + ": metadata key '" + key + "' has unknown value type " + typeId
                        + " at offset " + (r.pos - 4) + "; the file is damaged or from an unsupported writer");
            }
            meta.put(key, r.value(type, key, 0));
        }
        metadata = Collections.unmodifiableMap(meta);

        GgufValue alignValue = meta.get("general.alignment");
        int align = DEFAULT_ALIGNMENT;
        if (alignValue != null) {
            if (!(alignValue.value() instanceof Number n) || n.longValue() <= 0 || Long.bitCount(n.longValue()) != 1
                    || n.longValue() > (1 << 20)) {
                throw new GgufException(source + ": general.alignment = " + alignValue
                        + " is not a power of two between 1 and 1 MiB");
            }
            align = n.intValue();
        }
        alignment = align;

        record Info(String name, long[] shape, GgmlType type, long offset) {}
        var infos = new ArrayList<Info>();
        for (long i = 0; i < tensorCount; i++) {
            String name = r.string("tensor name #" + i);
            int nDims = r.i32();
            if (nDims < 1 || nDims > 4) {
                throw new GgufException(source + ": tensor '" + name + "' has " + nDims + " dimensions (GGUF allows 1 to 4)");
            }
            long[] shape = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                shape[d] = r.u64("dimension of tensor '" + name + "'");
                if (shape[d] <= 0 || shape[d] > (1L << 40)) {
                    throw new GgufException(source + ": tensor '" + name + "' has invalid dimension " + shape[d]);
                }
            }
            int typeId = r.i32();
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) {
                throw new GgufException(source + ": tensor '" + name + "' has unknown tensor type id " + typeId
                        + "; this file needs a newer engine or is damaged");
            }
            long offset = r.u64("offset of tensor '" + name + "'");
            infos.add(new Info(name, shape, type, offset));
        }
        dataOffset = alignUp(r.pos, alignment);

        var map = new LinkedHashMap<String, GgufTensor>();
        for (Info info : infos) {
            long elements = 1;
            for (long d : info.shape) {
                elements = Math.multiplyExact(elements, d);
            }
            if (info.shape[0] % info.type.blockSize() != 0) {
                throw new GgufException(source + ": tensor '" + info.name + "' of type " + info.type + " has rows of "
                        + info.shape[0] + " elements, not a multiple of the type's block size " + info.type.blockSize());
            }
            long bytes = info.type.byteSize(elements);
            if (info.offset % alignment != 0) {
                throw new GgufException(source + ": tensor '" + info.name + "' starts at data offset " + info.offset
                        + ", which is not a multiple of the alignment " + alignment + "; the file is damaged");
            }
            long start = dataOffset + info.offset;
            if (info.offset < 0 || start < 0 || start + bytes > file.byteSize() || start + bytes < start) {
                throw new GgufException(source + ": tensor '" + info.name + "' (" + bytes + " bytes at file offset "
                        + start + ") lies outside the file of " + file.byteSize()
                        + " bytes; the file is truncated or damaged (re-download it and check its checksum)");
            }
            if (map.containsKey(info.name)) {
                throw new GgufException(source + ": tensor name '" + info.name + "' appears twice");
            }
            map.put(info.name, new GgufTensor(info.name, info.shape, info.type, info.offset, file.asSlice(start, bytes)));
        }
        // Tensors must not share bytes: sort by offset and compare neighbours.
        var sorted = new ArrayList<>(map.values());
        sorted.sort(Comparator.comparingLong(GgufTensor::offset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensor prev = sorted.get(i - 1), cur = sorted.get(i);
            if (prev.offset() + prev.byteSize() > cur.offset()) {
                throw new GgufException(source + ": tensors '" + prev.name() + "' and '" + cur.name()
                        + "' overlap in the data section; the file is damaged");
            }
        }
        tensors = Collections.unmodifiableMap(map);
    }

    /** Memory-maps and parses a GGUF file. The mapping stays valid until {@link #close()}. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 24) {
                throw new GgufException(path + ": file is only " + size + " bytes, too short for a GGUF header (24 bytes); it is truncated or not a model file");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            // The tensors see the mapping as a plain native segment (same memory, same lifetime), the class of the
            // segments the engine allocates for the weights it lays out anew (Matrix.interleave). The Vector API's
            // loads are shared JDK code whose type profile then sees one segment class: with two (mapped and
            // native), C2 compiled some decode kernels with class-check traps and boxed vectors in part of the JVM
            // runs (docs/kernels.md, "Boxing causes").
            MemorySegment view = MemorySegment.ofAddress(seg.address()).reinterpret(size, arena, null);
            return new GgufFile(path.toString(), arena, view, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new GgufException("model file not found: " + path);
        } catch (IOException e) {
            arena.close();
            throw new GgufException("cannot read " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses GGUF bytes already in memory (tests, and files produced by {@link GgufWriter}). */
    public static GgufFile read(MemorySegment bytes, String name) {
        if (bytes.byteSize() < 24) {
            throw new GgufException(name + ": only " + bytes.byteSize() + " bytes, too short for a GGUF header (24 bytes)");
        }
        return new GgufFile(name, null, bytes, null);
    }

    public String source() { return source; }
    public int version() { return version; }
    public int alignment() { return alignment; }
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return file.byteSize(); }
    public Map<String, GgufValue> metadata() { return metadata; }
    public Map<String, GgufTensor> tensors() { return tensors; }

    public GgufTensor tensor(String name) {
        return tensors.get(name);
    }

    /** The tensor, or an error naming it when the file lacks it. */
    public GgufTensor requireTensor(String name) {
        GgufTensor t = tensors.get(name);
        if (t == null) {
            throw new GgufException(source + ": required tensor '" + name + "' is missing; the file is incomplete or not a model of the architecture it declares");
        }
        return t;
    }

    public boolean has(String key) { return metadata.containsKey(key); }

    public GgufValue get(String key) { return metadata.get(key); }

    private GgufValue require(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw new GgufException(source + ": required metadata key '" + key + "' is missing");
        }
        return v;
    }

    public String getString(String key) {
        GgufValue v = require(key);
        if (v.value() instanceof String s) return s;
        throw typeError(key, v, "a string");
    }

    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    public long getLong(String key) {
        GgufValue v = require(key);
        if (!v.isArray() && v.value() instanceof Number n && !(n instanceof Float) && !(n instanceof Double)) {
            return n.longValue();
        }
        throw typeError(key, v, "an integer");
    }

    public int getInt(String key) {
        long v = getLong(key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new GgufException(source + ": metadata '" + key + "' = " + v + " is out of range");
        }
        return (int) v;
    }

    public int getInt(String key, int fallback) {
        return has(key) ? getInt(key) : fallback;
    }

    public float getFloat(String key) {
        GgufValue v = require(key);
        if (!v.isArray() && v.value() instanceof Number n) return n.floatValue();
        throw typeError(key, v, "a number");
    }

    public float getFloat(String key, float fallback) {
        return has(key) ? getFloat(key) : fallback;
    }

    public boolean getBool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        GgufValue v = metadata.get(key);
        if (v.value() instanceof Boolean b) return b;
        throw typeError(key, v, "a boolean");
    }

    public String[] getStringArray(String key) {
        GgufValue v = require(key);
        if (v.isArray() && v.value() instanceof String[] a) return a;
        throw typeError(key, v, "an array of strings");
    }

    public float[] getFloatArray(String key) {
        GgufValue v = require(key);
        if (v.isArray() && v.value() instanceof float[] a) return a;
        throw typeError(key, v, "an array of float32");
    }

    /** An integer array of any width, widened to int. */
    public int[] getIntArray(String key) {
        GgufValue v = require(key);
        if (v.isArray()) {
            Object a = v.value();
            if (a instanceof int[] ints) return ints;
            if (a instanceof byte[] bytes) {
                int[] out = new int[bytes.length];
                for (int i = 0; i < bytes.length; i++) out[i] = v.elementType() == GgufValueType.UINT8 ? bytes[i] & 0xFF : bytes[i];
                return out;
            }
            if (a instanceof short[] shorts) {
                int[] out = new int[shorts.length];
                for (int i = 0; i < shorts.length; i++) out[i] = v.elementType() == GgufValueType.UINT16 ? shorts[i] & 0xFFFF : shorts[i];
                return out;
            }
            if (a instanceof long[] longs) {
                int[] out = new int[longs.length];
                for (int i = 0; i < longs.length; i++) out[i] = Math.toIntExact(longs[i]);
                return out;
            }
        }
        throw typeError(key, v, "an array of integers");
    }

    private GgufException typeError(String key, GgufValue v, String expected) {
        return new GgufException(source + ": metadata '" + key + "' should be " + expected + " but is "
                + (v.isArray() ? "an array of " + v.elementType() : v.type().toString()));
    }

    /** Total bytes of tensor data by type, in type order. */
    public Map<GgmlType, Long> bytesByType() {
        var m = new java.util.EnumMap<GgmlType, Long>(GgmlType.class);
        for (GgufTensor t : tensors.values()) m.merge(t.type(), t.byteSize(), Long::sum);
        return m;
    }

    /**
     * Off-heap memory zeroed and aligned to {@code alignment}, freed with this file's mapping ({@link #close()}): for
     * weights the engine lays out anew ({@code Matrix.interleave}), which must not outlive the file's views either.
     * Allocations of 2 MiB and more (up to that alignment) are asked to be backed by huge pages where Linux offers
     * them ({@link LargePages}).
     */
    public MemorySegment allocate(long bytes, long alignment) {
        if (largePages() && bytes >= LARGE_PAGE_BYTES && alignment <= LARGE_PAGE_BYTES) {
            MemorySegment m = LargePages.allocate(bytes, arena);
            if (m != null) return m;
        }
        return (arena != null ? arena : Arena.ofAuto()).allocate(bytes, alignment);
    }

    /** The size of a huge page: {@link #allocate} asks for huge pages for allocations of at least this many bytes. */
    public static final long LARGE_PAGE_BYTES = LargePages.HUGE_PAGE;

    /**
     * Whether {@link #allocate} gives memory that Linux backs with huge pages ({@link LargePages}): a mapped file, on
     * Linux with transparent huge pages on and native access enabled. The file's own mapping is in 4 KiB pages.
     */
    public boolean largePages() {
        return mapped != null && LargePages.available();
    }

    /**
     * Gives the pages of a tensor's data back to the OS when the engine no longer reads them (it has copied the
     * tensor into a layout of its own): they leave the process's resident set. Nothing happens for bytes given in
     * memory ({@link #read}). {@code data} is a tensor's view from this file.
     */
    public void release(MemorySegment data) {
        if (mapped == null || data.byteSize() == 0) return;
        long at = data.address() - file.address();
        if (at < 0 || at + data.byteSize() > file.byteSize()) throw new IllegalArgumentException("release: not a view of " + source);
        mapped.asSlice(at, data.byteSize()).unload();
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private static String hexMagic(MemorySegment file) {
        var sb = new StringBuilder();
        for (int i = 0; i < 4 && i < file.byteSize(); i++) {
            if (i > 0) sb.append(' ');
            sb.append(String.format("%02x", file.get(ValueLayout.JAVA_BYTE, i)));
        }
        return sb.toString();
    }

    /** Bounds-checked little-endian cursor over the file. */
    private static final class Reader {
        final MemorySegment seg;
        final String source;
        long pos;

        Reader(MemorySegment seg, String source) {
            this.seg = seg;
            this.source = source;
        }

        void need(long n, String what) {
            if (n < 0 || pos + n > seg.byteSize() || pos + n < pos) {
                throw new GgufException(source + ": file truncated while reading " + what + " (needed " + n
                        + " bytes at offset " + pos + ", file has " + seg.byteSize() + "); re-download it");
            }
        }

        int i32() {
            need(4, "a 32-bit value");
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) {
            need(8, what);
            long v = seg.get(I64, pos);
            pos += 8;
            if (v < 0) {
                throw new GgufException(source + ": " + what + " is " + Long.toUnsignedString(v) + ", far beyond any real file; the file is damaged");
            }
            return v;
        }

        String string(String what) {
            long len = u64("length of " + what);
            need(len, what);
            if (len > Integer.MAX_VALUE) throw new GgufException(source + ": " + what + " is " + len + " bytes long; the file is damaged");
            return utf8(len);
        }

        /**
         * Element {@code i} of the string array {@code key}: {@link #string}'s checks, its error message built only
         * when one fails (a vocabulary has 32,000-150,000 of them, and building each message cost more than the read).
         */
        String element(String key, int i) {
            long len = pos + 8 <= seg.byteSize() ? seg.get(I64, pos) : -1;
            if (len < 0 || len > Integer.MAX_VALUE || len > seg.byteSize() - pos - 8) return string("element " + i + " of '" + key + "'");
            pos += 8;
            return utf8(len);
        }

        /**
         * The next {@code len} bytes as UTF-8. Some vocabularies carry invalid UTF-8 in token texts: those bytes
         * become U+FFFD, the file still loads.
         */
        private String utf8(long len) {
            byte[] b = new byte[(int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }

        GgufValue value(GgufValueType type, String key, int depth) {
            return switch (type) {
                case UINT8 -> { need(1, key); int v = seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF; yield GgufValue.of(type, v); }
                case INT8 -> { need(1, key); int v = seg.get(ValueLayout.JAVA_BYTE, pos++); yield GgufValue.of(type, v); }
                case UINT16 -> { need(2, key); int v = seg.get(I16, pos) & 0xFFFF; pos += 2; yield GgufValue.of(type, v); }
                case INT16 -> { need(2, key); int v = seg.get(I16, pos); pos += 2; yield GgufValue.of(type, v); }
                case UINT32 -> { need(4, key); long v = seg.get(I32, pos) & 0xFFFFFFFFL; pos += 4; yield GgufValue.of(type, v); }
                case INT32 -> { need(4, key); int v = seg.get(I32, pos); pos += 4; yield GgufValue.of(type, v); }
                case FLOAT32 -> { need(4, key); float v = seg.get(F32, pos); pos += 4; yield GgufValue.of(type, v); }
                case BOOL -> { need(1, key); boolean v = seg.get(ValueLayout.JAVA_BYTE, pos++) != 0; yield GgufValue.of(type, v); }
                case STRING -> GgufValue.of(type, string("value of '" + key + "'"));
                case UINT64, INT64 -> { need(8, key); long v = seg.get(I64, pos); pos += 8; yield GgufValue.of(type, v); }
                case FLOAT64 -> { need(8, key); double v = seg.get(F64, pos); pos += 8; yield GgufValue.of(type, v); }
                case ARRAY -> array(key, depth);
            };
        }

        GgufValue array(String key, int depth) {
            if (depth > 8) throw new GgufException(source + ": metadata '" + key + "' nests arrays more than 8 deep; the file is damaged");
            int typeId = i32();
            GgufValueType et = GgufValueType.byId(typeId);
            if (et == null) {
                throw new GgufException(source + ": metadata array '" + key + "' has unknown element type " + typeId);
            }
            long n = u64("length of array '" + key + "'");
            long minBytes = et.size() > 0 ? et.size() : 8;
            if (n > (seg.byteSize() - pos) / minBytes) {
                throw new GgufException(source + ": file truncated in metadata array '" + key + "' (" + n
                        + " elements of " + et + " cannot fit in the " + (seg.byteSize() - pos) + " bytes left)");
            }
            int len = (int) n;
            Object arr = switch (et) {
                case UINT8, INT8 -> { byte[] a = new byte[len]; MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, a, 0, len); pos += len; yield a; }
                case BOOL -> { boolean[] a = new boolean[len]; for (int i = 0; i < len; i++) a[i] = seg.get(ValueLayout.JAVA_BYTE, pos + i) != 0; pos += len; yield a; }
                case UINT16, INT16 -> { short[] a = new short[len]; MemorySegment.copy(seg, I16, pos, a, 0, len); pos += 2L * len; yield a; }
                case UINT32, INT32 -> { int[] a = new int[len]; MemorySegment.copy(seg, I32, pos, a, 0, len); pos += 4L * len; yield a; }
                case FLOAT32 -> { float[] a = new float[len]; MemorySegment.copy(seg, F32, pos, a, 0, len); pos += 4L * len; yield a; }
                case UINT64, INT64 -> { long[] a = new long[len]; MemorySegment.copy(seg, I64, pos, a, 0, len); pos += 8L * len; yield a; }
                case FLOAT64 -> { double[] a = new double[len]; MemorySegment.copy(seg, F64, pos, a, 0, len); pos += 8L * len; yield a; }
                case STRING -> { String[] a = new String[len]; for (int i = 0; i < len; i++) a[i] = element(key, i); yield a; }
                case ARRAY -> { GgufValue[] a = new GgufValue[len]; for (int i = 0; i < len; i++) a[i] = array(key, depth + 1); yield a; }
            };
            return GgufValue.array(et, arr);
        }
    }

    /** Names of tensors in file order (for display). */
    public List<String> tensorNames() {
        return List.copyOf(tensors.keySet());
    }
}
