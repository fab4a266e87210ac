package dev.hearth.planner.hardware;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * A device in the hardware catalogue. Memory is in GiB per unit ({@code count} units, e.g. 2 GPUs),
 * bandwidth in 10^9 bytes/s per unit. Nullable fields are unknown.
 */
public record Device(String id, String name, String kind, int count, double memoryGb, double usableMemoryFraction,
                     Double bandwidthGbs, Double fp16Tflops, Double priceUsd, Double hourlyUsd, Double powerW, String source,
                     String notes, List<Reported> reported) {

    /** Somebody else's measurement, quoted with its source; never one of our estimates. */
    public record Reported(String model, String quant, @JsonProperty("tok_s_range") String tokSRange, String source) {}

    public Device {
        if (count <= 0) count = 1;
        if (reported == null) reported = List.of();
    }

    /** Bytes a model may occupy across all units. */
    public double usableBytes() {
        return count * memoryGb * usableMemoryFraction * (1L << 30);
    }

    /** Total memory across units, in bytes. */
    public double totalBytes() {
        return count * memoryGb * (1L << 30);
    }
}
