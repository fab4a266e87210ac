package dev.hearth.planner.hardware;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The result of {@link HardwarePlanner#plan}; field names become snake_case in {@code --json} output. */
public record PlanReport(Model model, long context, int parallel, String kvType, Memory memory, double efficiency,
                         double computeEfficiency, List<DevicePlan> devices, CalibrationReport calibration, List<String> notes) {

    /** The model as planned. */
    public record Model(String name, String source, String architecture, double params, int layers, int heads, int kvHeads,
                        int headDim, long trainedContext, double weightBytes, double bytesReadPerToken, String weightsBasis,
                        List<String> notes) {}

    /**
     * Memory need per component for one copy of the model: weights, KV cache
     * ({@code 2 x layers x kv_heads x head_dim x bytes per element x context x sequences}) and a stated
     * overhead per device for the runtime and compute buffers.
     */
    public record Memory(double weightsBytes, double kvCacheBytes, double overheadBytes, double totalBytes,
                         double kvBytesPerToken, String kvFormula, String overheadBasis) {}

    /**
     * One device: whether the model fits and by how much ({@code marginBytes} below zero is the
     * shortfall), the largest context that fits, and estimated speeds (null when unknown or when the
     * model does not fit).
     */
    public record DevicePlan(String id, String name, String kind, int count, double usableBytes, double needBytes, boolean fits,
                             double marginBytes, long maxContext, String maxContextLimit, Double decodeTokS,
                             @JsonProperty("decode_tok_s_full_context") Double decodeTokSFullContext, Double aggregateDecodeTokS, Double prefillTokS, double efficiency,
                             String efficiencyBasis, List<Device.Reported> reported, String source, String notes) {}

    /** Predicted against measured decode rate on this machine. */
    public record CalibrationReport(String benchModel, double measuredDecodeTokS, double bandwidthGbs, double bytesPerToken,
                                    String bytesBasis, double defaultEfficiency, double predictedTokS, double errorPercent,
                                    double calibratedEfficiency) {}
}
