package dev.hearth.planner.hardware;

import dev.hearth.planner.Fmt;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * "This machine" as a catalogue entry: its RAM (total and available now, from /proc/meminfo, else the
 * JVM's view of the OS) and a memory bandwidth that must be measured ({@code hearth bench}) or typed in.
 */
public final class ThisMachine {
    public static final String ID = "this-machine";

    private ThisMachine() {}

    /** RAM in bytes: total and available. */
    public record Ram(long totalBytes, long availableBytes, String source) {}

    public static Ram ram() {
        var p = Path.of("/proc/meminfo");
        if (Files.isReadable(p)) {
            try {
                long total = -1, avail = -1;
                for (var line : Files.readAllLines(p)) {
                    if (line.startsWith("MemTotal:")) total = kib(line);
                    else if (line.startsWith("MemAvailable:")) avail = kib(line);
                }
                if (total > 0) return new Ram(total, avail > 0 ? avail : total, "/proc/meminfo (MemTotal, MemAvailable)");
            } catch (IOException | RuntimeException e) {
                // fall through to the JVM's view
            }
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return new Ram(os.getTotalMemorySize(), os.getFreeMemorySize(), "the JVM's OperatingSystemMXBean");
        }
        return new Ram(0, 0, "unknown");
    }

    private static long kib(String line) {
        var parts = line.trim().split("\\s+");
        return Long.parseLong(parts[1]) * 1024;
    }

    /**
     * This machine as a device: usable memory is what is available now. {@code bandwidthGbs} and
     * {@code fp16Tflops} may be null (unknown), in which case no speed is estimated.
     */
    public static Device device(Double bandwidthGbs, String bandwidthSource, Double fp16Tflops) {
        var ram = ram();
        double totalGiB = ram.totalBytes() / (double) (1L << 30);
        double fraction = ram.totalBytes() > 0 ? (double) ram.availableBytes() / ram.totalBytes() : 0;
        int cores = Runtime.getRuntime().availableProcessors();
        var src = cores + " cores; RAM from " + ram.source() + "; bandwidth "
                + (bandwidthGbs == null ? "unknown (give --bandwidth-gbs or --bench-json)" : Fmt.num(bandwidthGbs, 1) + " GB/s " + bandwidthSource);
        return new Device(ID, "this machine (" + Fmt.num(totalGiB, 1) + " GiB RAM)", "cpu", 1,
                Math.max(totalGiB, 1e-9), Math.max(Math.min(fraction, 1), 1e-9), bandwidthGbs, fp16Tflops, null, null, null, src,
                "usable memory is what the OS reports available now", List.of());
    }
}
