package dev.hearth.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheSizeTest {

    @Test
    void sizesAreBytesWithBinaryUnits() {
        assertThat(CacheSize.parseSize("32768K\n")).isEqualTo(OptionalLong.of(32L << 20));
        assertThat(CacheSize.parseSize("48K")).isEqualTo(OptionalLong.of(48L << 10));
        assertThat(CacheSize.parseSize("2M")).isEqualTo(OptionalLong.of(2L << 20));
        assertThat(CacheSize.parseSize("1G")).isEqualTo(OptionalLong.of(1L << 30));
        assertThat(CacheSize.parseSize("65536")).isEqualTo(OptionalLong.of(65536));
        assertThat(CacheSize.parseSize("")).isEmpty();
        assertThat(CacheSize.parseSize("lots")).isEmpty();
        assertThat(CacheSize.parseSize("0K")).isEmpty();
    }

    /** The largest data or unified cache counts; an instruction cache, however large, does not. */
    @Test
    void theLargestDataCacheOfTheListIsTheLastLevel(@TempDir Path dir) throws IOException {
        index(dir, 0, "Data", "48K");
        index(dir, 1, "Instruction", "65536K");
        index(dir, 2, "Unified", "1024K");
        index(dir, 3, "Unified", "32768K");
        assertThat(CacheSize.lastLevelBytes(dir)).isEqualTo(OptionalLong.of(32L << 20));
    }

    @Test
    void noListOrNoSizesGiveNothing(@TempDir Path dir) throws IOException {
        assertThat(CacheSize.lastLevelBytes(dir.resolve("missing"))).isEmpty();
        Files.createDirectories(dir.resolve("index0"));
        assertThat(CacheSize.lastLevelBytes(dir)).isEmpty();
    }

    private static void index(Path dir, int i, String type, String size) throws IOException {
        Path d = Files.createDirectories(dir.resolve("index" + i));
        Files.writeString(d.resolve("type"), type + "\n");
        Files.writeString(d.resolve("size"), size + "\n");
    }
}
