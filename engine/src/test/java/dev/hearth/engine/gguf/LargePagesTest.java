package dev.hearth.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LargePagesTest {

    private static void requireLargePages() {
        if (!LargePages.available()) {
            String why = "SKIPPED: no huge pages to ask for here (not Linux on x86-64/AArch64, transparent huge pages "
                    + "off, or no native access)";
            System.out.println(why);
            assumeTrue(false, why);
        }
    }

    /**
     * The memory is what {@code Arena.allocate} gives (zeroed, writable to its last byte, gone with its arena) and
     * more: it starts on a 2 MiB boundary and its mapping is marked for huge pages ({@code hg} in the kernel's
     * {@code VmFlags}; whether the kernel then finds free huge pages is its business).
     */
    @Test
    void allocatesZeroedAlignedMemoryMarkedForHugePages() throws IOException {
        requireLargePages();
        long bytes = 3 * LargePages.HUGE_PAGE + 100;
        MemorySegment m;
        try (Arena arena = Arena.ofConfined()) {
            m = LargePages.allocate(bytes, arena);
            assertThat(m).isNotNull();
            assertThat(m.byteSize()).isEqualTo(bytes);
            assertThat(m.address() % LargePages.HUGE_PAGE).as("start on a huge page boundary").isZero();
            assertThat(m.mismatch(arena.allocate(bytes))).as("first byte that is not zero").isEqualTo(-1L);
            m.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7);
            m.set(ValueLayout.JAVA_LONG, 0, 42L);
            assertThat(m.get(ValueLayout.JAVA_BYTE, bytes - 1)).isEqualTo((byte) 7);
            assertThat(m.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(42L);
            assertThat(vmFlags(m.address())).as("VmFlags of the mapping").contains("hg");
            // the same segment class as Arena.allocate's and the file's views: C2 boxed decode kernels' vectors when
            // the weights were of two classes (docs/kernels.md, "Boxing causes")
            assertThat(m.getClass()).isEqualTo(arena.allocate(8).getClass());
        }
        MemorySegment closed = m;
        assertThatThrownBy(() -> closed.get(ValueLayout.JAVA_BYTE, 0)).as("unmapped with its arena").isInstanceOf(IllegalStateException.class);
    }

    /** A mapped file's allocations of a huge page or more come in huge pages; smaller ones and in-memory files' do not. */
    @Test
    void aMappedFileAllocatesLargeWeightsInHugePages(@TempDir Path dir) throws IOException {
        requireLargePages();
        Path p = dir.resolve("m.gguf");
        GgufFileTest.sample().write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertThat(f.largePages()).isTrue();
            MemorySegment large = f.allocate(GgufFile.LARGE_PAGE_BYTES + 64, 64), small = f.allocate(4096, 64);
            assertThat(large.address() % GgufFile.LARGE_PAGE_BYTES).isZero();
            assertThat(vmFlags(large.address())).contains("hg");
            assertThat(vmFlags(small.address())).doesNotContain("hg");
            assertThat(large.getClass()).isEqualTo(small.getClass());
        }
        assertThat(GgufFileTest.sample().toGguf("in memory").largePages()).as("a file read from memory").isFalse();
    }

    /** The {@code VmFlags} of the mapping holding {@code address}, from {@code /proc/self/smaps}. */
    private static String vmFlags(long address) throws IOException {
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-'), space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long from = Long.parseUnsignedLong(line.substring(0, dash), 16), to = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
                inside = address >= from && address < to;
            } else if (inside && line.startsWith("VmFlags:")) {
                return line;
            }
        }
        throw new AssertionError("no mapping holds address " + Long.toHexString(address));
    }
}
