package dev.hearth.planner;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes small GGUF v3 files for tests: chosen metadata, tensors of chosen types, zero data. */
public final class TinyGguf {
    private final List<byte[]> kvs = new ArrayList<>();
    private final List<Object[]> tensors = new ArrayList<>();
    private int version = 3;
    private String magic = "GGUF";

    public TinyGguf version(int v) {
        version = v;
        return this;
    }

    public TinyGguf magic(String m) {
        magic = m;
        return this;
    }

    public TinyGguf str(String key, String value) {
        var b = new Buf();
        b.str(key).u32(8).str(value);
        kvs.add(b.bytes());
        return this;
    }

    public TinyGguf u32(String key, long value) {
        var b = new Buf();
        b.str(key).u32(4).u32(value);
        kvs.add(b.bytes());
        return this;
    }

    public TinyGguf i32Array(String key, int... values) {
        var b = new Buf();
        b.str(key).u32(9).u32(5).u64(values.length);
        for (int v : values) b.u32(v);
        kvs.add(b.bytes());
        return this;
    }

    public TinyGguf strArray(String key, String... values) {
        var b = new Buf();
        b.str(key).u32(9).u32(8).u64(values.length);
        for (var v : values) b.str(v);
        kvs.add(b.bytes());
        return this;
    }

    /** A tensor; {@code bytes} is the size its data takes (the caller computes it from the type). */
    public TinyGguf tensor(String name, int typeId, long bytes, long... dims) {
        tensors.add(new Object[] {name, typeId, bytes, dims});
        return this;
    }

    /** Writes the file; {@code truncateTo} > 0 cuts it to that many bytes. */
    public Path write(Path file, long truncateTo) throws IOException {
        var b = new Buf();
        b.raw(magic.getBytes(StandardCharsets.US_ASCII)).u32(version).u64(tensors.size()).u64(kvs.size());
        for (var kv : kvs) b.raw(kv);
        long offset = 0;
        for (var t : tensors) {
            var dims = (long[]) t[3];
            b.str((String) t[0]).u32(dims.length);
            for (long d : dims) b.u64(d);
            b.u32((Integer) t[1]).u64(offset);
            offset += ((Long) t[2] + 31) / 32 * 32;
        }
        while (b.size() % 32 != 0) b.raw(new byte[] {0});
        b.raw(new byte[(int) offset]);
        byte[] all = b.bytes();
        if (truncateTo > 0 && truncateTo < all.length) all = java.util.Arrays.copyOf(all, (int) truncateTo);
        Files.write(file, all);
        return file;
    }

    public Path write(Path file) throws IOException {
        return write(file, 0);
    }

    private static final class Buf {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Buf raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Buf u32(long v) {
            return raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        Buf u64(long v) {
            return raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        Buf str(String s) {
            var b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).raw(b);
        }

        int size() {
            return out.size();
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
