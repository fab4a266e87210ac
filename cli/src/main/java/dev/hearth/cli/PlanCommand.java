package dev.hearth.cli;

import dev.hearth.planner.Fmt;
import dev.hearth.planner.Json;
import dev.hearth.planner.PlannerInputException;
import dev.hearth.planner.hardware.BenchCalibration;
import dev.hearth.planner.hardware.Device;
import dev.hearth.planner.hardware.GgufHeader;
import dev.hearth.planner.hardware.HardwareCatalog;
import dev.hearth.planner.hardware.HardwarePlanner;
import dev.hearth.planner.hardware.KnownModels;
import dev.hearth.planner.hardware.ModelSpec;
import dev.hearth.planner.hardware.PlanText;
import dev.hearth.planner.hardware.Quantization;
import dev.hearth.planner.hardware.ThisMachine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code hearth plan}: which hardware runs a model and how fast. Memory need per component (weights,
 * KV cache, overhead) against each catalogue device, the largest context that fits, and estimated
 * decode and prefill rates; {@code --bench-json}/{@code --calibrate} compare the estimate with a
 * measurement on this machine.
 */
@Command(name = "plan", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Plan hardware for a model: memory need (weights + KV cache + overhead), fit on each device,",
                "largest context, and estimated decode/prefill speed. Give a GGUF file, --model NAME, or --params with a shape."},
        footer = {"", "Examples:", "  hearth plan model.gguf --context 8192", "  hearth plan --model llama-3-70b --quant Q4_K_M --device rtx-4090 --device 2x-a100-80gb",
                "  hearth plan --model llama-3.1-8b --bench-json bench.json"})
public final class PlanCommand implements Callable<Integer> {

    /**
     * Runs a short benchmark on this machine for {@code --calibrate}. By default that is
     * {@link BenchCommand#calibrate} (pp64/tg32 and the bandwidth probe); a test or an embedding
     * application can put another one in place with {@link #setCalibrationProvider}.
     */
    @FunctionalInterface
    public interface CalibrationProvider {
        /** Benchmarks {@code model} here (decode rate and memory bandwidth) and returns the calibration. */
        BenchCalibration measure(Path model) throws Exception;
    }

    private static volatile CalibrationProvider calibrationProvider;

    public static void setCalibrationProvider(CalibrationProvider provider) {
        calibrationProvider = provider;
    }

    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "MODEL.gguf", description = "GGUF file: exact weight bytes and shape from its header.")
    Path gguf;
    @Option(names = "--model", paramLabel = "NAME", description = "A built-in model shape (see --list-models).")
    String model;
    @Option(names = "--params", paramLabel = "N", converter = ParamCount.class,
            description = "Parameter count: 8B, 70b, 1.1B, 350M or a number.")
    Double params;
    @Option(names = "--quant", paramLabel = "TYPE", description = "Quantisation for --model/--params (default Q4_K_M).")
    String quant;
    @Option(names = "--layers", paramLabel = "N", description = "Layers (with --params).")
    Integer layers;
    @Option(names = "--heads", paramLabel = "N", description = "Attention heads (with --params; display only).")
    Integer heads;
    @Option(names = "--kv-heads", paramLabel = "N", description = "KV heads (with --params).")
    Integer kvHeads;
    @Option(names = "--head-dim", paramLabel = "N", description = "Head dimension (with --params).")
    Integer headDim;

    @Option(names = {"--context", "-c"}, paramLabel = "TOKENS", description = "Context length per sequence (default 4096).")
    long context = 4096;
    @Option(names = {"--parallel", "-np"}, paramLabel = "N", description = "Parallel sequences (default 1).")
    int parallel = 1;
    @Option(names = "--kv-type", paramLabel = "TYPE", description = "KV cache element type: f16 (default), q8_0, q4_0, f32, ...")
    String kvType = "f16";
    @Option(names = "--overhead-gib", paramLabel = "GIB", description = "Runtime and compute-buffer allowance per device (default 1.0).")
    double overheadGib = HardwarePlanner.DEFAULT_OVERHEAD_GIB;
    @Option(names = "--efficiency", paramLabel = "F", description = "Share of memory bandwidth decode reaches (default 0.7).")
    double efficiency = HardwarePlanner.DEFAULT_EFFICIENCY;
    @Option(names = "--compute-efficiency", paramLabel = "F", description = "Share of FP16 FLOP/s prefill reaches (default 0.5).")
    double computeEfficiency = HardwarePlanner.DEFAULT_COMPUTE_EFFICIENCY;

    @Option(names = "--device", paramLabel = "NAME", description = "Only these devices (repeatable; 'this-machine' for here).")
    List<String> devices = new ArrayList<>();
    @Option(names = "--catalogue", paramLabel = "FILE", description = "Hardware catalogue file instead of the built-in one.")
    Path catalogue;
    @Option(names = "--list-devices", description = "Print the hardware catalogue with sources, and exit.")
    boolean listDevices;
    @Option(names = "--list-models", description = "Print the built-in model shapes and quantisations, and exit.")
    boolean listModels;

    @Option(names = "--bandwidth-gbs", paramLabel = "GB/S", description = "This machine's memory bandwidth (else from --bench-json).")
    Double bandwidthGbs;
    @Option(names = "--tflops", paramLabel = "T", description = "This machine's FP16 TFLOPS, for its prefill estimate.")
    Double tflops;
    @Option(names = "--bench-json", paramLabel = "FILE", description = "A hearth bench result from this machine: predicted vs measured.")
    Path benchJson;
    @Option(names = "--calibrate", description = "Run a short hearth bench here and report predicted vs measured.")
    boolean calibrate;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        var cat = catalogue == null ? HardwareCatalog.builtIn() : HardwareCatalog.read(catalogue);
        if (listDevices) {
            out.print(listDevices(cat));
            out.flush();
            return 0;
        }
        if (listModels) {
            out.print(listModels());
            out.flush();
            return 0;
        }
        var m = modelSpec();
        BenchCalibration bench = null;
        if (calibrate && benchJson != null) throw new PlannerInputException("give --calibrate or --bench-json, not both");
        if (calibrate) bench = measureHere();
        else if (benchJson != null) bench = BenchCalibration.read(benchJson, bandwidthGbs);

        Double bw = bandwidthGbs;
        String bwSource = "(given with --bandwidth-gbs)";
        if (bw == null && bench != null) {
            bw = bench.calibration().bandwidthGBs();
            bwSource = "(measured by hearth bench)";
        }
        if (bw != null) PlannerInputException.requirePositive(bw, "--bandwidth-gbs");
        if (tflops != null) PlannerInputException.requirePositive(tflops, "--tflops");
        var here = ThisMachine.device(bw, bwSource, tflops);

        var chosen = new ArrayList<Device>();
        if (devices.isEmpty()) {
            chosen.addAll(cat.devices());
            chosen.add(here);
        } else {
            for (var name : devices) {
                var key = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
                chosen.add(key.equals("thismachine") || key.equals("here") ? here : cat.find(name));
            }
        }
        var req = new HardwarePlanner.Request(m, context, parallel, kvType, overheadGib, efficiency, computeEfficiency);
        var report = HardwarePlanner.plan(req, chosen, bench == null ? null : bench.calibration(),
                bench == null ? null : bench.model(), bench == null ? null : bench.bytesBasis());
        out.print(json ? Json.write(report) + "\n" : PlanText.render(report));
        out.flush();
        return 0;
    }

    private BenchCalibration measureHere() throws Exception {
        if (gguf == null) {
            throw new PlannerInputException("--calibrate benchmarks a model here: give its GGUF file (hearth plan MODEL.gguf --calibrate), "
                    + "or pass a hearth bench result from this machine with --bench-json FILE");
        }
        var provider = calibrationProvider;
        if (provider != null) return provider.measure(gguf);
        return BenchCommand.calibrate(gguf, spec.commandLine().getErr());
    }

    private ModelSpec modelSpec() {
        if (gguf != null) {
            if (model != null || params != null || quant != null || layers != null || kvHeads != null || headDim != null) {
                throw new PlannerInputException("a GGUF file gives the exact weights and shape: leave out --model, --params, --quant and the shape flags");
            }
            return ModelSpec.fromGguf(GgufHeader.read(gguf));
        }
        var q = Quantization.byName(quant == null ? "Q4_K_M" : quant);
        if (model != null) {
            var e = KnownModels.byId(model);
            if (params == null && layers == null && kvHeads == null && headDim == null) return KnownModels.spec(e, q);
            return ModelSpec.fromParams(e.name() + " (modified) " + q.name(), e.source() + ", with flags", params != null ? params : e.params(),
                    q, layers != null ? layers : e.layers(), heads != null ? heads : e.heads(), kvHeads != null ? kvHeads : e.kvHeads(),
                    headDim != null ? headDim : e.headDim(), e.contextLength(), e.vocab());
        }
        if (params != null) {
            if (layers == null || kvHeads == null || headDim == null) {
                throw new PlannerInputException("--params needs the attention shape for the KV cache: --layers, --kv-heads and --head-dim "
                        + "(or use --model NAME, see --list-models)");
            }
            return ModelSpec.fromParams("custom " + Fmt.params(params) + " " + q.name(), "given on the command line", params, q,
                    layers, heads != null ? heads : kvHeads, kvHeads, headDim, 0, 0);
        }
        throw new PlannerInputException("no model: give a GGUF file, --model NAME (see --list-models) or --params N with --layers, "
                + "--kv-heads and --head-dim");
    }

    static String listDevices(HardwareCatalog cat) {
        var sb = new StringBuilder(cat.description()).append("\n\n");
        for (var d : cat.devices()) {
            sb.append(d.id()).append(": ").append(d.name()).append('\n');
            sb.append("  ").append(d.count() > 1 ? d.count() + " x " : "").append(Fmt.plain(d.memoryGb())).append(" GiB (")
                    .append(Fmt.plain(d.usableMemoryFraction() * 100)).append("% usable), ")
                    .append(d.bandwidthGbs() == null ? "?" : Fmt.plain(d.bandwidthGbs())).append(" GB/s, ")
                    .append(d.fp16Tflops() == null ? "?" : Fmt.plain(d.fp16Tflops())).append(" FP16 TFLOPS, ")
                    .append(d.powerW() == null ? "?" : Fmt.plain(d.powerW())).append(" W");
            if (d.priceUsd() != null) sb.append(", ").append(Fmt.usd(d.priceUsd()));
            if (d.hourlyUsd() != null) sb.append(", ").append(Fmt.usd(d.hourlyUsd())).append("/hour");
            sb.append("\n  source: ").append(d.source()).append('\n');
            if (d.notes() != null) sb.append("  notes: ").append(d.notes()).append('\n');
            for (var r : d.reported()) {
                sb.append("  reported (not ours): ").append(r.model()).append(' ').append(r.quant()).append(": ").append(r.tokSRange())
                        .append(" tok/s; ").append(r.source()).append('\n');
            }
        }
        sb.append(ThisMachine.ID).append(": this machine: RAM from the OS, bandwidth from --bandwidth-gbs or --bench-json\n");
        return sb.toString();
    }

    static String listModels() {
        var sb = new StringBuilder("Built-in model shapes (for --model):\n");
        for (var e : KnownModels.all()) {
            sb.append(String.format(Locale.ROOT, "  %-14s %-16s %6sB params, %3d layers, %3d heads, %2d KV heads x %3d, context %,d (%s)%n",
                    e.id(), e.name(), Fmt.sig(e.params() / 1e9, 3), e.layers(), e.heads(), e.kvHeads(), e.headDim(),
                    e.contextLength(), e.source()));
        }
        sb.append("Quantisations (for --quant), effective bits per weight:\n");
        for (var q : Quantization.all()) {
            sb.append(String.format(Locale.ROOT, "  %-7s %5.2f  %s%n", q.name(), q.bitsPerWeight(), q.basis()));
        }
        return sb.toString();
    }

    /** Parses 8B, 70b, 1.1B, 350M, 8.03e9. */
    static final class ParamCount implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            var v = value.trim().toUpperCase(Locale.ROOT);
            double mult = 1;
            if (v.endsWith("B")) {
                mult = 1e9;
                v = v.substring(0, v.length() - 1);
            } else if (v.endsWith("M")) {
                mult = 1e6;
                v = v.substring(0, v.length() - 1);
            } else if (v.endsWith("T")) {
                mult = 1e12;
                v = v.substring(0, v.length() - 1);
            }
            double d;
            try {
                d = Double.parseDouble(v) * mult;
            } catch (NumberFormatException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not a parameter count (try 8B, 70B, 350M)");
            }
            if (!(d > 0) || Double.isInfinite(d)) {
                throw new picocli.CommandLine.TypeConversionException("parameter count must be positive, got '" + value + "'");
            }
            return d;
        }
    }
}
