package dev.hearth.engine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The size of this machine's largest CPU cache, as Linux lists CPU 0's caches in sysfs. The decode roofline
 * ({@link MemoryBandwidth}) assumes every weight byte comes from memory; a model whose bytes per token fit in this
 * cache may partly stay there between tokens, and then decode faster than that bound (docs/perf.md, seventeenth
 * block: 20-30 MB models at up to 114 % of it on a machine with a 32 MiB L3).
 */
public final class CacheSize {
    private CacheSize() {}

    private static final Path SYSFS = Path.of("/sys/devices/system/cpu/cpu0/cache");

    /** The largest data or unified cache of CPU 0, or empty where the system does not say (not Linux, no sysfs). */
    public static OptionalLong lastLevelBytes() {
        return lastLevelBytes(SYSFS);
    }

    /** {@link #lastLevelBytes()} from a directory laid out as sysfs's {@code cpu0/cache}: {@code index*} with {@code size} and {@code type}. */
    static OptionalLong lastLevelBytes(Path cacheDir) {
        long best = -1;
        try (var entries = Files.newDirectoryStream(cacheDir, "index*")) {
            for (Path index : entries) {
                Path size = index.resolve("size"), type = index.resolve("type");
                if (!Files.isReadable(size)) continue;
                if (Files.isReadable(type) && Files.readString(type).strip().equals("Instruction")) continue;
                OptionalLong bytes = parseSize(Files.readString(size));
                if (bytes.isPresent()) best = Math.max(best, bytes.getAsLong());
            }
        } catch (IOException | SecurityException e) {
            return OptionalLong.empty();
        }
        return best > 0 ? OptionalLong.of(best) : OptionalLong.empty();
    }

    /** A sysfs cache size: a number of bytes with an optional K, M or G suffix (binary units), e.g. {@code 32768K}. */
    static OptionalLong parseSize(String text) {
        String s = text.strip();
        if (s.isEmpty()) return OptionalLong.empty();
        long unit = switch (Character.toUpperCase(s.charAt(s.length() - 1))) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            default -> 1;
        };
        String digits = unit == 1 ? s : s.substring(0, s.length() - 1);
        try {
            long n = Long.parseLong(digits);
            return n > 0 ? OptionalLong.of(n * unit) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
