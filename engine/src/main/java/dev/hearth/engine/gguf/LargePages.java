package dev.hearth.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Off-heap memory that Linux may back with 2 MiB pages (transparent huge pages, asked for with
 * {@code madvise(MADV_HUGEPAGE)}), for the weights the engine lays out anew ({@link GgufFile#allocate}).
 *
 * <p>Why: decode reads every weight once per token. In 4 KiB pages a 600 MB model is 150,000 pages, far more than
 * the TLB covers, so the stream of weights is also a stream of page-table walks; in 2 MiB pages it is 300. Most Linux
 * systems run transparent huge pages in {@code madvise} mode (this machine does), where memory gets them only if it
 * asks, and the JDK's {@code Arena.allocate} does not ask. The 1.1B Q4_0 file's decode, two threads, was faster in
 * huge pages in eight of eight alternated rounds: 65.0-78.2 -> 69.0-85.4 t/s (docs/perf.md, fifteenth block).
 *
 * <p>The mapping is placed on a 2 MiB boundary and ends at the allocation's last 4 KiB page, so no huge page
 * reaches past the bytes asked for: the resident set is what it was. Where this is not Linux on x86-64 or
 * AArch64, where transparent huge pages are off ({@code [never]}), where native access is not enabled for Hearth's
 * module ({@code --enable-native-access}; without it each call would print a warning), or where {@code mmap} fails,
 * {@link #allocate} returns null and the caller takes ordinary memory: huge pages are an optimisation, never a
 * requirement.
 */
final class LargePages {
    private LargePages() {}

    /** The huge page size of x86-64 and AArch64 Linux (4 KiB base pages). */
    static final long HUGE_PAGE = 2L << 20;

    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MADV_HUGEPAGE = 14;
    private static final long PAGE = 4096;

    /** {@code mmap}, {@code munmap}, {@code madvise} from the C library; null where unavailable. */
    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT), arch = System.getProperty("os.arch", "");
        boolean linux = os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"));
        if (linux && transparentHugePages() && LargePages.class.getModule().isNativeAccessEnabled()) {
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                var address = ValueLayout.ADDRESS;
                var size = ValueLayout.JAVA_LONG;
                var integer = ValueLayout.JAVA_INT;
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                        FunctionDescriptor.of(address, address, size, integer, integer, integer, size));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(), FunctionDescriptor.of(integer, address, size));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(), FunctionDescriptor.of(integer, address, size, integer));
            } catch (RuntimeException e) {   // no such symbol, or a linker that refuses: ordinary memory then
                mmap = munmap = madvise = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    /**
     * Whether the kernel hands out transparent huge pages to memory that asks: its mode is {@code [always]} or
     * {@code [madvise]}, not {@code [never]} or absent (a kernel built without them).
     */
    private static boolean transparentHugePages() {
        try {
            String mode = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
            return mode.contains("[always]") || mode.contains("[madvise]");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@link #allocate} can map memory in huge pages here. */
    static boolean available() {
        return MMAP != null;
    }

    /**
     * {@code bytes} of zeroed memory starting on a 2 MiB boundary, marked for huge pages, unmapped when {@code arena}
     * closes; null where that is not available (see the class comment).
     */
    static MemorySegment allocate(long bytes, Arena arena) {
        if (MMAP == null || bytes <= 0) return null;
        final long length = (bytes + PAGE - 1) / PAGE * PAGE, reserved = length + HUGE_PAGE;
        try {
            // map a huge page more than needed, then unmap the ends around the 2 MiB-aligned part
            long raw = ((MemorySegment) MMAP.invokeExact(MemorySegment.NULL, reserved, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L)).address();
            if (raw == -1L || raw == 0L) return null;   // MAP_FAILED
            final long start = (raw + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
            if (start > raw) unmap(raw, start - raw);
            if (raw + reserved > start + length) unmap(start + length, raw + reserved - (start + length));
            // a refusal (huge pages disabled) leaves ordinary pages: still correct memory
            int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), length, MADV_HUGEPAGE);
            return MemorySegment.ofAddress(start).reinterpret(bytes, arena, s -> unmap(start, length));
        } catch (Throwable t) {
            return null;
        }
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
    }
}
