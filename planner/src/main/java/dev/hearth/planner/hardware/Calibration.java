package dev.hearth.planner.hardware;

import static dev.hearth.planner.PlannerInputException.requirePositive;

/**
 * A measured decode rate on a machine with a known memory bandwidth, for a model that reads
 * {@code bytesPerToken} bytes a token. Decode is bandwidth-bound, so
 * {@code measured = efficiency x bandwidth / bytesPerToken}: the measurement fixes the efficiency.
 * A bench command can build one from its own run and hand it to {@link HardwarePlanner}.
 */
public record Calibration(double measuredDecodeTokS, double bandwidthGBs, double bytesPerToken) {
    public Calibration {
        requirePositive(measuredDecodeTokS, "measured decode rate (tok/s)");
        requirePositive(bandwidthGBs, "memory bandwidth (GB/s)");
        requirePositive(bytesPerToken, "bytes read per token");
    }

    /** The share of the bandwidth roofline the measurement reached. */
    public double efficiency() {
        return measuredDecodeTokS * bytesPerToken / (bandwidthGBs * 1e9);
    }

    /** The decode rate the planner predicts at a given efficiency. */
    public double predictedTokS(double efficiency) {
        return efficiency * bandwidthGBs * 1e9 / bytesPerToken;
    }
}
