package dev.hearth.planner.hardware;

import dev.hearth.planner.PlannerInputException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a GGUF file (versions 2 and 3): metadata and tensor infos, read sequentially without
 * touching the tensor data, so planning a 40 GB model reads only its first megabytes. Every problem
 * (not GGUF, truncated, an unknown type) is a {@link PlannerInputException} naming the file.
 */
public final class GgufHeader {
    /** A tensor as the header describes it; {@code bytes} is computed from its type and shape. */
    public record TensorInfo(String name, long[] dims, GgmlTypes.Type type, long offset, long elements, long bytes) {}

    /** An array value that was skipped rather than kept: its element type and length. */
    public record ArrayInfo(int elementType, long length) {}

    private static final int MAX_KEPT_ARRAY = 1 << 16;

    private final Path file;
    private final int version;
    private final Map<String, Object> metadata;
    private final List<TensorInfo> tensors;
    private final long dataOffset;
    private final long fileSize;

    private GgufHeader(Path file, int version, Map<String, Object> metadata, List<TensorInfo> tensors, long dataOffset, long fileSize) {
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.dataOffset = dataOffset;
        this.fileSize = fileSize;
    }

    public Path file() { return file; }
    public int version() { return version; }
    /** Scalars as Long/Double/Boolean/String; integer arrays up to 65,536 long as long[]; other arrays as {@link ArrayInfo}. */
    public Map<String, Object> metadata() { return metadata; }
    public List<TensorInfo> tensors() { return tensors; }
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return fileSize; }

    /** Sum of all tensors' bytes: exactly what the weights occupy. */
    public long weightBytes() {
        long s = 0;
        for (var t : tensors) s += t.bytes();
        return s;
    }

    public String string(String key) {
        return metadata.get(key) instanceof String s ? s : null;
    }

    /** An integer value, or null when absent or not an integer. */
    public Long integer(String key) {
        return metadata.get(key) instanceof Long l ? l : null;
    }

    public static GgufHeader read(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new PlannerInputException("GGUF file " + file + " does not exist");
        } catch (IOException e) {
            throw new PlannerInputException("cannot read GGUF file " + file + ": " + e.getMessage(), e);
        }
        if (Files.isDirectory(file)) throw new PlannerInputException(file + " is a directory, not a GGUF file");
        try (var in = new Reader(new BufferedInputStream(Files.newInputStream(file), 1 << 16), size, file)) {
            return parse(in, file, size);
        } catch (EOFException e) {
            throw new PlannerInputException("GGUF file " + file + " is truncated: it ends inside its header");
        } catch (IOException e) {
            throw new PlannerInputException("cannot read GGUF file " + file + ": " + e.getMessage(), e);
        }
    }

    private static GgufHeader parse(Reader in, Path file, long size) throws IOException {
        byte[] magic = in.bytes(4);
        if (!(magic[0] == 'G' && magic[1] == 'G' && magic[2] == 'U' && magic[3] == 'F')) {
            throw new PlannerInputException(file + " is not a GGUF file (it does not start with the bytes \"GGUF\")");
        }
        int version = in.i32();
        if (version == 1) throw new PlannerInputException("GGUF file " + file + " is version 1, which is obsolete; convert it with a current llama.cpp");
        if (version < 2 || version > 3) throw new PlannerInputException("GGUF file " + file + " has version " + version + "; only versions 2 and 3 are known");
        long nTensors = in.i64();
        long nKv = in.i64();
        // Each key-value pair takes at least 13 bytes and each tensor info at least 24: bound the counts by the size.
        if (nKv < 0 || nKv > size / 13) throw in.bad("metadata count " + Long.toUnsignedString(nKv) + " is impossible for a file of " + size + " bytes");
        if (nTensors < 0 || nTensors > size / 24) throw in.bad("tensor count " + Long.toUnsignedString(nTensors) + " is impossible for a file of " + size + " bytes");
        var meta = new LinkedHashMap<String, Object>();
        for (long i = 0; i < nKv; i++) {
            String key = in.string();
            int type = in.i32();
            meta.put(key, in.value(type, key));
        }
        var tensors = new ArrayList<TensorInfo>((int) nTensors);
        for (long i = 0; i < nTensors; i++) {
            String name = in.string();
            int nDims = in.i32();
            if (nDims < 1 || nDims > 4) throw in.bad("tensor '" + name + "' has " + nDims + " dimensions (1 to 4 allowed)");
            long[] dims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                dims[d] = in.i64();
                if (dims[d] < 0) throw in.bad("tensor '" + name + "' has a negative dimension");
                elements = Math.multiplyExact(elements, dims[d]);
            }
            int typeId = in.i32();
            var type = GgmlTypes.byId(typeId);
            if (type == null) throw in.bad("tensor '" + name + "' has ggml type id " + typeId + ", which the planner does not know");
            if (dims[0] % type.blockSize() != 0) {
                throw in.bad("tensor '" + name + "' of type " + type.name() + " has a row of " + dims[0]
                        + " elements, not a multiple of its block size " + type.blockSize());
            }
            long offset = in.i64();
            tensors.add(new TensorInfo(name, dims, type, offset, elements, elements / type.blockSize() * type.blockBytes()));
        }
        long align = meta.get("general.alignment") instanceof Long a && a > 0 ? a : 32;
        long dataOffset = (in.position() + align - 1) / align * align;
        for (var t : tensors) {
            if (t.offset() < 0 || dataOffset + t.offset() + t.bytes() > size) {
                throw new PlannerInputException("GGUF file " + file + " is truncated or corrupt: tensor '" + t.name() + "' ("
                        + t.bytes() + " bytes at data offset " + t.offset() + ") extends past the end of the file (" + size + " bytes)");
            }
        }
        return new GgufHeader(file, version, meta, List.copyOf(tensors), dataOffset, size);
    }

    /** A little-endian reader that knows the file size, so corrupt lengths fail before allocating. */
    private static final class Reader implements AutoCloseable {
        private final InputStream in;
        private final long size;
        private final Path file;
        private long pos;
        private final byte[] buf = new byte[8];

        Reader(InputStream in, long size, Path file) {
            this.in = in;
            this.size = size;
            this.file = file;
        }

        long position() {
            return pos;
        }

        PlannerInputException bad(String what) {
            return new PlannerInputException("GGUF file " + file + " is truncated or corrupt at byte " + pos + ": " + what);
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = new byte[n];
            // readNBytes returns fewer bytes only at the end of the stream.
            if (in.readNBytes(b, 0, n) != n) throw new EOFException();
            pos += n;
            return b;
        }

        private void fill(int n) throws IOException {
            if (in.readNBytes(buf, 0, n) != n) throw new EOFException();
            pos += n;
        }

        int u8() throws IOException {
            fill(1);
            return buf[0] & 0xff;
        }

        int i16() throws IOException {
            fill(2);
            return (short) ((buf[0] & 0xff) | (buf[1] & 0xff) << 8);
        }

        int i32() throws IOException {
            fill(4);
            return (buf[0] & 0xff) | (buf[1] & 0xff) << 8 | (buf[2] & 0xff) << 16 | (buf[3] & 0xff) << 24;
        }

        long i64() throws IOException {
            fill(8);
            long v = 0;
            for (int i = 7; i >= 0; i--) v = v << 8 | (buf[i] & 0xff);
            return v;
        }

        String string() throws IOException {
            long n = i64();
            if (n < 0 || n > size - pos) throw bad("a string of " + Long.toUnsignedString(n) + " bytes runs past the end of the file");
            if (n > Integer.MAX_VALUE - 8) throw bad("a string of " + n + " bytes is too long");
            byte[] b = new byte[(int) n];
            if (in.readNBytes(b, 0, (int) n) != n) throw new EOFException();
            pos += n;
            return new String(b, StandardCharsets.UTF_8);
        }

        void skip(long n) throws IOException {
            if (n > size - pos) throw new EOFException();
            in.skipNBytes(n);
            pos += n;
        }

        Object value(int type, String key) throws IOException {
            return switch (type) {
                case 0 -> (long) u8();
                case 1 -> (long) (byte) u8();
                case 2 -> (long) (i16() & 0xffff);
                case 3 -> (long) i16();
                case 4 -> i32() & 0xffffffffL;
                case 5 -> (long) i32();
                case 6 -> (double) Float.intBitsToFloat(i32());
                case 7 -> u8() != 0;
                case 8 -> string();
                case 9 -> array(key);
                case 10, 11 -> i64();
                case 12 -> Double.longBitsToDouble(i64());
                default -> throw bad("metadata key '" + key + "' has value type " + type + " (0 to 12 allowed)");
            };
        }

        private Object array(String key) throws IOException {
            int et = i32();
            long n = i64();
            if (n < 0 || n > size - pos) throw bad("array '" + key + "' claims " + Long.toUnsignedString(n) + " elements, more than the file holds");
            int width = switch (et) {
                case 0, 1, 7 -> 1;
                case 2, 3 -> 2;
                case 4, 5, 6 -> 4;
                case 10, 11, 12 -> 8;
                case 8 -> -1;
                default -> throw bad("array '" + key + "' has element type " + et + ", which cannot be an array element");
            };
            boolean integer = et != 6 && et != 7 && et != 8 && et != 12;
            if (integer && n <= MAX_KEPT_ARRAY) {
                long[] out = new long[(int) n];
                for (int i = 0; i < n; i++) out[i] = (Long) value(et, key);
                return out;
            }
            if (width > 0) {
                if (n > (size - pos) / width) throw new EOFException();
                skip(n * width);
            } else {
                for (long i = 0; i < n; i++) skip(checkedLength());
            }
            return new ArrayInfo(et, n);
        }

        private long checkedLength() throws IOException {
            long n = i64();
            if (n < 0 || n > size - pos) throw bad("a string of " + Long.toUnsignedString(n) + " bytes runs past the end of the file");
            return n;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
