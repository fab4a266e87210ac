package dev.hearth.planner.hardware;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import dev.hearth.planner.cost.ThroughputResults;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A {@link Calibration} from a {@code hearth bench} JSON result: the measured tg rate, the measured
 * {@code memory_bandwidth_gbs} (or one typed in), and the bytes the benchmarked model reads per token
 * (exact from its GGUF when the file is still there, else the result's {@code model_size}).
 */
public record BenchCalibration(Calibration calibration, String model, String bytesBasis, double promptTokS) {

    public static BenchCalibration read(Path benchJson, Double bandwidthOverrideGbs) {
        JsonNode root;
        try {
            root = Json.READER.readTree(Files.readString(benchJson));
        } catch (NoSuchFileException e) {
            throw new PlannerInputException("bench result " + benchJson + " does not exist");
        } catch (IOException e) {
            throw new PlannerInputException("bench result " + benchJson + " is not readable JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new PlannerInputException("bench result " + benchJson + " must be a JSON array of tests (hearth bench --json output)");
        }
        var r = ThroughputResults.benchRates(root, benchJson);
        if (Double.isNaN(r.genTokS())) {
            throw new PlannerInputException("bench result " + benchJson + " has no token-generation test (\"test\": \"tg128\"); "
                    + "calibration needs a measured decode rate");
        }
        double bw;
        if (bandwidthOverrideGbs != null) bw = bandwidthOverrideGbs;
        else if (!Double.isNaN(r.bandwidthGBs())) bw = r.bandwidthGBs();
        else throw new PlannerInputException("bench result " + benchJson + " has no memory_bandwidth_gbs; give --bandwidth-gbs");

        double bytes = Double.NaN;
        String basis = null;
        String model = r.modelFilename() == null ? "unnamed model" : Path.of(r.modelFilename()).getFileName().toString();
        if (r.modelFilename() != null) {
            var p = Path.of(r.modelFilename());
            var dir = benchJson.toAbsolutePath().getParent();
            if (!Files.isRegularFile(p) && !p.isAbsolute() && dir != null) p = dir.resolve(p);
            if (Files.isRegularFile(p)) {
                var spec = ModelSpec.fromGguf(GgufHeader.read(p));
                bytes = spec.bytesReadPerToken();
                basis = "exact, from " + p.getFileName() + "'s tensors";
            }
        }
        if (Double.isNaN(bytes)) {
            if (Double.isNaN(r.modelSizeBytes()) || !(r.modelSizeBytes() > 0)) {
                throw new PlannerInputException("bench result " + benchJson + " has no model_size and its model file is not readable here; "
                        + "cannot tell how many bytes a token reads");
            }
            bytes = r.modelSizeBytes();
            basis = "model_size from the bench result: all weights, including the embedding table";
        }
        return new BenchCalibration(new Calibration(r.genTokS(), bw, bytes), model + " " + r.genTest(), basis, r.promptTokS());
    }
}
