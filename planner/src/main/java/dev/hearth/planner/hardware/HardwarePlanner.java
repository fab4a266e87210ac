package dev.hearth.planner.hardware;

import dev.hearth.planner.Fmt;
import dev.hearth.planner.PlannerInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which hardware runs a model, and how fast: memory need against each device's memory, the largest
 * context that fits, decode speed from memory bandwidth and prefill speed from compute.
 *
 * <p>Decode reads every weight once per token (plus the KV cache so far), so its rate is
 * {@code efficiency x bandwidth / bytes per token}; the efficiency (default 0.7) is the share of the
 * spec-sheet bandwidth an engine reaches, which {@link Calibration} measures. Prefill processes many
 * tokens per weight read and is compute-bound: {@code computeEfficiency x FP16 FLOP/s / (2 x matmul
 * parameters)}, a rougher estimate (attention FLOPs and kernel quality are left out).
 */
public final class HardwarePlanner {
    public static final double DEFAULT_EFFICIENCY = 0.7;
    public static final double DEFAULT_COMPUTE_EFFICIENCY = 0.5;
    public static final double DEFAULT_OVERHEAD_GIB = 1.0;

    private HardwarePlanner() {}

    /** What to plan: the model, context per sequence, parallel sequences, KV cache type and factors. */
    public record Request(ModelSpec model, long context, int parallel, String kvType, double overheadGib, double efficiency,
                         double computeEfficiency) {
        public Request {
            if (model == null) throw new PlannerInputException("no model: give a GGUF file, --model NAME or --params with --quant");
            if (context <= 0) throw new PlannerInputException("context length must be a positive number of tokens, got " + context);
            if (parallel <= 0) throw new PlannerInputException("parallel sequences must be 1 or more, got " + parallel);
            if (kvType == null) kvType = "f16";
            Quantization.kvBytesPerElement(kvType);
            PlannerInputException.requireNonNegative(overheadGib, "overhead (GiB)");
            PlannerInputException.requirePositive(efficiency, "bandwidth efficiency");
            PlannerInputException.requirePositive(computeEfficiency, "compute efficiency");
            if (efficiency > 1 || computeEfficiency > 1) {
                throw new PlannerInputException("efficiency factors are shares of the peak, between 0 and 1");
            }
        }
    }

    /**
     * Plans the model on each device. {@code calibration}, when given, is a measurement on this
     * machine: its efficiency replaces the default for the "this machine" entry, and the report shows
     * predicted against measured.
     */
    public static PlanReport plan(Request req, List<Device> devices, Calibration calibration, String calibrationModel,
                                  String calibrationBytesBasis) {
        var m = req.model();
        double kvElem = Quantization.kvBytesPerElement(req.kvType());
        double kvPerTok = m.kvBytesPerToken(kvElem);
        double kv = kvPerTok * req.context() * req.parallel();
        double overhead = req.overheadGib() * (1L << 30);
        var kvFormula = m.kvElementsPerToken() == 2L * m.layers() * m.kvHeads() * m.headDim()
                ? "2 x " + m.layers() + " layers x " + m.kvHeads() + " KV heads x " + m.headDim() + " head dim x "
                        + Fmt.sig(kvElem, 4) + " bytes (" + req.kvType() + ") x " + Fmt.count(req.context()) + " tokens x "
                        + req.parallel() + (req.parallel() == 1 ? " sequence" : " sequences")
                : Fmt.count(m.kvElementsPerToken()) + " K/V values per token (per-layer shapes) x " + Fmt.sig(kvElem, 4)
                        + " bytes x " + Fmt.count(req.context()) + " tokens x " + req.parallel() + " sequences";
        var memory = new PlanReport.Memory(m.weightBytes(), kv, overhead, m.weightBytes() + kv + overhead, kvPerTok, kvFormula,
                Fmt.plain(req.overheadGib()) + " GiB per device for the runtime, compute buffers and logits (a stated allowance; --overhead-gib)");

        var plans = new ArrayList<PlanReport.DevicePlan>();
        for (var d : devices) plans.add(planDevice(req, m, d, kvPerTok, overhead, calibration));

        PlanReport.CalibrationReport cal = null;
        if (calibration != null) {
            double predicted = calibration.predictedTokS(req.efficiency());
            cal = new PlanReport.CalibrationReport(calibrationModel, calibration.measuredDecodeTokS(), calibration.bandwidthGBs(),
                    calibration.bytesPerToken(), calibrationBytesBasis, req.efficiency(), predicted,
                    (predicted - calibration.measuredDecodeTokS()) / calibration.measuredDecodeTokS() * 100, calibration.efficiency());
        }
        var notes = new ArrayList<String>();
        if (m.trainedContext() > 0 && req.context() > m.trainedContext()) {
            notes.add("the context asked for (" + Fmt.count(req.context()) + ") is longer than the model was trained for ("
                    + Fmt.count(m.trainedContext()) + ")");
        }
        if (m.bytesReadPerToken() < 2e9) {
            notes.add("a small model: on GPUs, decode of models under ~2 GB is often bound by per-token overheads (kernel launches, "
                    + "synchronisation) rather than bandwidth, so GPU decode estimates are optimistic (one H100 measured 554 tok/s on a "
                    + "0.6 GB model whose bandwidth roofline is ~4,800)");
        }
        var model = new PlanReport.Model(m.name(), m.source(), m.architecture(), m.params(), m.layers(), m.heads(), m.kvHeads(),
                m.headDim(), m.trainedContext(), m.weightBytes(), m.bytesReadPerToken(), m.weightsBasis(), m.notes());
        return new PlanReport(model, req.context(), req.parallel(), req.kvType(), memory, req.efficiency(), req.computeEfficiency(),
                List.copyOf(plans), cal, List.copyOf(notes));
    }

    private static PlanReport.DevicePlan planDevice(Request req, ModelSpec m, Device d, double kvPerTok, double overhead,
                                                    Calibration calibration) {
        double usable = d.usableBytes();
        double overheadAll = overhead * d.count();
        double need = m.weightBytes() + kvPerTok * req.context() * req.parallel() + overheadAll;
        boolean fits = need <= usable;
        double forKv = usable - m.weightBytes() - overheadAll;
        long maxCtx = forKv <= 0 ? 0 : (long) Math.floor(forKv / (kvPerTok * req.parallel()));
        String limit = forKv <= 0 ? "weights and overhead alone do not fit" : "memory";
        if (m.trainedContext() > 0 && maxCtx > m.trainedContext()) {
            maxCtx = m.trainedContext();
            limit = "the model's trained context";
        }
        boolean thisMachine = ThisMachine.ID.equals(d.id());
        double eff = req.efficiency();
        String effBasis = "default " + Fmt.plain(eff);
        if (thisMachine && calibration != null) {
            eff = Math.min(1, calibration.efficiency());
            effBasis = "calibrated on this machine: " + Fmt.num(calibration.efficiency(), 3);
        }
        Double decode = null, decodeFull = null, aggregate = null, prefill = null;
        if (d.fp16Tflops() != null && d.fp16Tflops() > 0) {
            // Layer-split units run one after another, so a token sees one unit's compute and bandwidth.
            prefill = req.computeEfficiency() * d.fp16Tflops() * 1e12 / (2 * m.matmulParams());
        }
        if (fits && d.bandwidthGbs() != null) {
            double bw = eff * d.bandwidthGbs() * 1e9;
            decode = bw / m.bytesReadPerToken();
            double stepBytes = m.bytesReadPerToken() + req.parallel() * kvPerTok * req.context();
            decodeFull = bw / stepBytes;
            aggregate = decodeFull * req.parallel();
            // Many sequences at once turn decode compute-bound: it cannot beat the prefill rate.
            if (prefill != null && aggregate > prefill) {
                aggregate = prefill;
                decodeFull = prefill / req.parallel();
            }
        }
        if (!fits) prefill = null;
        return new PlanReport.DevicePlan(d.id(), d.name(), d.kind(), d.count(), usable, need, fits, usable - need, maxCtx, limit,
                decode, decodeFull, aggregate, prefill, eff, effBasis, d.reported(), d.source(), d.notes());
    }
}
