package dev.hearth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hearth.engine.Model;
import dev.hearth.engine.bench.Bench;
import dev.hearth.engine.bench.BenchResult;
import dev.hearth.engine.bench.BenchTest;
import dev.hearth.engine.bench.MemoryBandwidth;
import dev.hearth.engine.bench.ModelSummary;
import dev.hearth.engine.kernel.JitWatch;
import dev.hearth.engine.kernel.Parallel;
import dev.hearth.planner.hardware.BenchCalibration;
import dev.hearth.planner.hardware.Calibration;
import dev.hearth.planner.hardware.GgufHeader;
import dev.hearth.planner.hardware.ModelSpec;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hearth bench}: llama-bench compatible speed figures. {@code pp<N>} prefills N random tokens as
 * one batch, {@code tg<N>} generates N tokens one at a time; each is run untimed for a while (JIT
 * warm-up, at least once, longer while the JIT is still compiling), then {@code -r} times, and reported as mean ± sample standard deviation of tokens per second. A
 * memory-bandwidth probe gives the decode roofline ({@code bandwidth / weight bytes read per token})
 * and each tg figure as a fraction of it.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Measure prompt processing (pp) and generation (tg) speed as llama-bench does, with the memory",
                "bandwidth of this machine and decode as a fraction of its roofline. Lists: -p 32,512 -t 1,2."},
        footer = {"", "Examples:", "  hearth bench -m model.gguf", "  hearth bench -m model.gguf -p 512 -n 128 -t 2 -r 3 -o json > bench.json",
                "  hearth plan model.gguf --bench-json bench.json"})
public final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", split = ",", description = "GGUF model file(s) (default: $HEARTH_MODEL)")
    List<Path> models = new ArrayList<>();
    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", split = ",", description = "Prompt tokens of the pp tests; 0 = none (default: 512)")
    List<Integer> prompts = new ArrayList<>();
    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", split = ",", description = "Generated tokens of the tg tests; 0 = none (default: 128)")
    List<Integer> gens = new ArrayList<>();
    @Option(names = {"-d", "--n-depth"}, paramLabel = "N", split = ",", description = "Tokens already in the context when each test starts, untimed (default: 0)")
    List<Integer> depths = new ArrayList<>();
    @Option(names = {"-np", "--parallel"}, paramLabel = "B", split = ",", description = "Sequences decoding together in the tg tests, "
            + "one decode row each per forward pass (llama-batched-bench's -npl); their t/s is the aggregate (default: 1)")
    List<Integer> parallel = new ArrayList<>();
    @Option(names = {"-t", "--threads"}, paramLabel = "N", split = ",", description = "Worker threads (default: all available processors)")
    List<Integer> threads = new ArrayList<>();
    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", description = "Timed repetitions of each test (default: ${DEFAULT-VALUE})", defaultValue = "5")
    int repetitions;
    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "md, json, jsonl or csv (default: ${DEFAULT-VALUE})", defaultValue = "md")
    String output;
    @Option(names = "--no-warmup", description = "Skip the untimed warm-up runs (the first timed run then includes JIT compilation)")
    boolean noWarmup;
    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Repeat untimed warm-up runs of each test for this long, at least once (default: ${DEFAULT-VALUE})", defaultValue = "2")
    double warmupSeconds;
    @Option(names = "--warmup-max-seconds", paramLabel = "S", description = "Then go on while the JIT is still compiling (until it has finished nothing for 0.5 s), up to this long in all (default: ${DEFAULT-VALUE})", defaultValue = "30")
    double warmupMaxSeconds;
    @Option(names = "--no-bandwidth", description = "Skip the memory bandwidth probe (no roofline figures)")
    boolean noBandwidth;
    @Option(names = "--bandwidth-mib", paramLabel = "MIB", description = "Buffer the bandwidth probe reads, in MiB (default: ${DEFAULT-VALUE})", defaultValue = "1024")
    int bandwidthMib;
    @Option(names = "--progress", description = "Print each run as it starts, and the warm-up speed, on stderr")
    boolean progress;

    /**
     * A note for the roofline line of a model whose bytes per token fit in the CPU's largest cache: the bound counts
     * every byte from memory, but such a model may partly stay in the cache between tokens and go past it. Empty
     * where it does not fit or the cache size is unknown.
     */
    static String cacheNote(long bytesPerToken, java.util.OptionalLong cacheBytes) {
        if (cacheBytes.isEmpty() || bytesPerToken <= 0 || bytesPerToken > cacheBytes.getAsLong()) return "";
        return "; " + Format.bytes(bytesPerToken) + " fit in this CPU's " + Format.bytes(cacheBytes.getAsLong())
                + " cache, so the weights may partly come from it and the fraction pass 100%";
    }

    /** A warning for {@code r} when its timed runs allocated like boxed kernels ({@link JitWatch#boxing}), else null. */
    static String boxingWarning(BenchResult r, long weightBytesPerToken) {
        double perToken = r.allocatedBytesPerToken();
        if (!JitWatch.boxing(perToken, weightBytesPerToken)) return null;
        return String.format(Locale.ROOT, "hearth bench: warning: %s allocated %s of heap per token (%.0f%% of the weight bytes a token reads): "
                        + "the JIT's code for a kernel boxes its vectors in this process, so its figures are not representative; run it again "
                        + "(docs/kernels.md, \"Slow decode after a prefill is boxing\")",
                r.test().name(), Format.bytes((long) perToken), 100 * perToken / weightBytesPerToken);
    }

    /** One output row: a test on a model at a thread count, with what it is measured against. */
    record Row(String file, ModelSummary model, BenchResult result, double bandwidthGBs, long bytesPerToken) {
        /** Decode bound on this machine, tokens/s; NaN without a bandwidth figure. */
        double rooflineTs() {
            return bandwidthGBs > 0 ? bandwidthGBs * 1e9 / bytesPerToken : Double.NaN;
        }

        double rooflineFraction() {
            // the bound counts weight bytes only: at a depth, reading the KV cache adds to them; and it is one
            // sequence's (several together read the weights once for all of them)
            var test = result.test();
            return test.isGeneration() && test.nDepth() == 0 && test.nParallel() == 1 ? result.avgTs() / rooflineTs() : Double.NaN;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String format = output.toLowerCase(Locale.ROOT);
        if (!List.of("md", "json", "jsonl", "csv").contains(format)) {
            throw new IllegalArgumentException("-o must be md, json, jsonl or csv, got '" + output + "'");
        }
        if (repetitions < 1) throw new IllegalArgumentException("-r must be at least 1, got " + repetitions);
        if (!(warmupSeconds >= 0)) throw new IllegalArgumentException("--warmup-seconds must not be negative, got " + warmupSeconds);
        if (!(warmupMaxSeconds >= 0)) throw new IllegalArgumentException("--warmup-max-seconds must not be negative, got " + warmupMaxSeconds);
        if (bandwidthMib < 1) throw new IllegalArgumentException("--bandwidth-mib must be positive, got " + bandwidthMib);
        List<Path> files = new ArrayList<>();
        if (models.isEmpty()) files.add(new ModelOptions().resolve());
        for (Path p : models) {
            var o = new ModelOptions();
            o.model = p;
            files.add(o.resolve());
        }
        List<BenchTest> tests = tests(prompts.isEmpty() ? List.of(512) : prompts, gens.isEmpty() ? List.of(128) : gens,
                depths.isEmpty() ? List.of(0) : depths, parallel.isEmpty() ? List.of(1) : parallel);
        List<Integer> threadCounts = threads.isEmpty() ? List.of(Parallel.defaultThreads()) : threads;
        for (int t : threadCounts) if (t < 1) throw new IllegalArgumentException("-t must be at least 1, got " + t);

        var printer = new Printer(format, out);
        printer.begin();
        Map<Integer, MemoryBandwidth.Result> bandwidth = new TreeMap<>();
        for (int t : threadCounts) {
            if (!noBandwidth) {
                try (var pool = new Parallel(t)) {
                    bandwidth.put(t, MemoryBandwidth.measure(pool, (long) bandwidthMib << 20, MemoryBandwidth.DEFAULT_PASSES));
                }
            }
            for (Path file : files) {
                try (Model m = Model.load(file, new Model.Options(0, t, null))) {
                    var summary = ModelSummary.of(m.file());
                    int bos = m.tokenizer().addBos() ? m.tokenizer().bos() : -1;
                    double bw = bandwidth.containsKey(t) ? bandwidth.get(t).gbPerSecond() : Double.NaN;
                    long weightBytes = m.weights().bytesPerToken();
                    for (BenchTest test : tests) {
                        var r = Bench.run(m.transformer(), bos, test, repetitions, noWarmup ? -1 : (long) (warmupSeconds * 1e9), (long) (warmupMaxSeconds * 1e9), 42,
                                !progress ? null : (tt, rep, reps) -> {
                                    err.printf("hearth bench: %s, %s, %d threads: %s%n", file.getFileName(), tt.name(), t,
                                            rep < 0 ? "warm-up" : "run " + (rep + 1) + "/" + reps);
                                    err.flush();
                                });
                        if (progress && r.warmupNs() > 0) {
                            err.printf(Locale.ROOT, "hearth bench: %s first warm-up run %.2f t/s, timed runs %.2f t/s%n", test.name(), r.warmupTs(), r.avgTs());
                            err.flush();
                        }
                        String boxing = boxingWarning(r, weightBytes);
                        if (boxing != null) {
                            err.println(boxing);
                            err.flush();
                        }
                        printer.row(new Row(file.toString(), summary, r, bw, weightBytes));
                    }
                }
            }
            if (!noBandwidth) {
                // the probe again after the tests: one that met a busy minute read slower than the decode after it
                // (roofline fractions over 100 %, docs/perf.md ninth block); the best of both is what the machine can
                // do. Rows printed as they come (csv, jsonl) keep the first probe's figure.
                try (var pool = new Parallel(t)) {
                    var both = bandwidth.get(t).and(MemoryBandwidth.measure(pool, (long) bandwidthMib << 20, MemoryBandwidth.DEFAULT_PASSES));
                    bandwidth.put(t, both);
                    printer.bandwidth(t, both.gbPerSecond());
                }
            }
        }
        printer.end(bandwidth);
        out.flush();
        return 0;
    }

    /** {@link #tests(List, List, List, List)} of one sequence. */
    static List<BenchTest> tests(List<Integer> prompts, List<Integer> gens, List<Integer> depths) {
        return tests(prompts, gens, depths, List.of(1));
    }

    /**
     * llama-bench's test list: every pp size, then every tg size, each at every depth (tg also with every number of
     * sequences together); zeros are left out.
     */
    static List<BenchTest> tests(List<Integer> prompts, List<Integer> gens, List<Integer> depths, List<Integer> parallel) {
        for (int d : depths) if (d < 0) throw new IllegalArgumentException("-d must not be negative, got " + d);
        for (int b : parallel) if (b < 1) throw new IllegalArgumentException("-np must be at least 1, got " + b);
        List<BenchTest> tests = new ArrayList<>();
        for (int p : prompts) {
            if (p < 0) throw new IllegalArgumentException("-p must not be negative, got " + p);
            if (p > 0) for (int d : depths) tests.add(BenchTest.prompt(p).atDepth(d));
        }
        for (int n : gens) {
            if (n < 0) throw new IllegalArgumentException("-n must not be negative, got " + n);
            if (n > 0) for (int d : depths) for (int b : parallel) tests.add(BenchTest.gen(n).atDepth(d).inParallel(b));
        }
        if (tests.isEmpty()) throw new IllegalArgumentException("nothing to run: -p and -n are all 0");
        return tests;
    }

    /** Writes rows as they come in the chosen format. */
    static final class Printer {
        private static final String[] HEAD = {"model", "size", "params", "backend", "threads", "test", "t/s"};
        private static final int[] WIDTH = {30, 10, 10, 10, 7, 15, 20};
        private static final boolean[] RIGHT = {false, true, true, false, true, true, true};
        private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        private static final ObjectMapper JSONL = new ObjectMapper();

        private final String format;
        private final PrintWriter out;
        private final List<Row> rows = new ArrayList<>();

        Printer(String format, PrintWriter out) {
            this.format = format;
            this.out = out;
        }

        void begin() {
            switch (format) {
                case "md" -> {
                    var sb = new StringBuilder("|");
                    for (int i = 0; i < HEAD.length; i++) sb.append(' ').append(pad(HEAD[i], WIDTH[i], RIGHT[i])).append(" |");
                    sb.append("\n|");
                    for (int i = 0; i < HEAD.length; i++) {
                        sb.append(' ').append("-".repeat(WIDTH[i] - (RIGHT[i] ? 1 : 0))).append(RIGHT[i] ? ":" : "").append(" |");
                    }
                    out.println(sb);
                }
                case "csv" -> out.println(String.join(",", fields(null).keySet()));
                default -> { }
            }
            out.flush();
        }

        void row(Row r) {
            rows.add(r);
            switch (format) {
                case "md" -> {
                    String[] cells = {r.model().type(), r.model().sizeText(), r.model().paramsText(), "CPU",
                            Integer.toString(r.result().threads()), r.result().test().name(),
                            String.format(Locale.ROOT, "%.2f ± %.2f", r.result().avgTs(), r.result().stddevTs())};
                    var sb = new StringBuilder("|");
                    for (int i = 0; i < cells.length; i++) sb.append(' ').append(pad(cells[i], WIDTH[i], RIGHT[i])).append(" |");
                    out.println(sb);
                }
                case "jsonl" -> out.println(write(JSONL, fields(r)));
                case "csv" -> {
                    var sb = new StringBuilder();
                    for (Object v : fields(r).values()) {
                        if (!sb.isEmpty()) sb.append(',');
                        sb.append(csv(v));
                    }
                    out.println(sb);
                }
                default -> { }
            }
            out.flush();
        }

        /** The bandwidth of the rows at {@code threads} threads, for the figures printed at the end (md, json). */
        void bandwidth(int threads, double gbs) {
            rows.replaceAll(r -> r.result().threads() == threads ? new Row(r.file(), r.model(), r.result(), gbs, r.bytesPerToken()) : r);
        }

        void end(Map<Integer, MemoryBandwidth.Result> bandwidth) {
            if (format.equals("json")) {
                List<Map<String, Object>> all = new ArrayList<>();
                for (Row r : rows) all.add(fields(r));
                out.println(write(JSON, all));
            } else if (format.equals("md")) {
                out.println();
                out.println("build: hearth 0.1.0 (Java " + Runtime.version().feature() + ", Vector API "
                        + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit)");
                for (var e : bandwidth.entrySet()) {
                    var b = e.getValue();
                    out.printf(Locale.ROOT, "memory bandwidth: %.1f GB/s (%d threads, best of %d passes over %s, before and after the tests)%n",
                            b.gbPerSecond(), e.getKey(), b.passes().length, Format.bytes(b.bufferBytes()));
                }
                var cache = dev.hearth.engine.bench.CacheSize.lastLevelBytes();
                for (Row r : rows) {
                    if (Double.isNaN(r.rooflineFraction())) continue;
                    out.printf(Locale.ROOT, "roofline: %s reads %s per token -> at most %.1f t/s at %.1f GB/s; %s %.2f t/s = %.1f%% of it (%d threads)%s%n",
                            Path.of(r.file()).getFileName(), Format.bytes(r.bytesPerToken()), r.rooflineTs(), r.bandwidthGBs(),
                            r.result().test().name(), r.result().avgTs(), 100 * r.rooflineFraction(), r.result().threads(),
                            cacheNote(r.bytesPerToken(), cache));
                }
            }
            out.flush();
        }

        /** One result in llama-bench's JSON keys, plus Hearth's bandwidth and roofline figures; r == null gives the keys. */
        static Map<String, Object> fields(Row r) {
            Map<String, Object> m = new LinkedHashMap<>();
            boolean k = r == null;
            var res = k ? null : r.result();
            m.put("build_commit", "hearth-0.1.0");
            m.put("cpu_info", k ? null : cpuInfo());
            m.put("backends", "CPU");
            m.put("model_filename", k ? null : r.file());
            m.put("model_type", k ? null : r.model().type());
            m.put("model_size", k ? null : r.model().sizeBytes());
            m.put("model_n_params", k ? null : r.model().params());
            m.put("n_batch", dev.hearth.engine.model.Session.CHUNK);
            m.put("n_threads", k ? null : res.threads());
            m.put("n_prompt", k ? null : res.test().nPrompt());
            m.put("n_gen", k ? null : res.test().nGen());
            m.put("n_depth", k ? null : res.test().nDepth());
            m.put("n_parallel", k ? null : res.test().nParallel());
            m.put("test", k ? null : res.test().name());
            m.put("test_time", k ? null : Instant.now().toString());
            m.put("avg_ns", k ? null : Math.round(res.avgNs()));
            m.put("stddev_ns", k ? null : Math.round(res.stddevNs()));
            m.put("avg_ts", k ? null : round(res.avgTs()));
            m.put("stddev_ts", k ? null : round(res.stddevTs()));
            m.put("samples_ns", k ? null : res.samplesNs());
            m.put("samples_ts", k ? null : roundAll(res.samplesTs()));
            m.put("warmup_ts", k ? null : finite(round(res.warmupTs())));
            m.put("memory_bandwidth_gbs", k ? null : finite(round(r.bandwidthGBs())));
            m.put("bytes_per_token", k ? null : r.bytesPerToken());
            m.put("roofline_ts", k ? null : finite(round(r.rooflineTs())));
            m.put("roofline_fraction", k ? null : finite(Double.isFinite(r.rooflineFraction()) ? Math.round(r.rooflineFraction() * 10000) / 10000.0 : Double.NaN));
            m.put("alloc_bytes_per_token", k ? null : finite(Math.round(res.allocatedBytesPerToken() * 10) / 10.0));
            return m;
        }

        private static Object finite(double v) {
            return Double.isFinite(v) ? v : null;
        }

        private static double round(double v) {
            return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v;
        }

        private static double[] roundAll(double[] v) {
            double[] r = new double[v.length];
            for (int i = 0; i < v.length; i++) r[i] = round(v[i]);
            return r;
        }

        private static String write(ObjectMapper mapper, Object value) {
            try {
                return mapper.writeValueAsString(value);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        private static String csv(Object v) {
            if (v == null) return "";
            String s;
            if (v instanceof long[] a) s = joinLongs(a);
            else if (v instanceof double[] a) s = joinDoubles(a);
            else s = v.toString();
            return s.contains(",") || s.contains(" ") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
        }

        private static String joinLongs(long[] a) {
            var sb = new StringBuilder();
            for (long x : a) sb.append(sb.isEmpty() ? "" : " ").append(x);
            return sb.toString();
        }

        private static String joinDoubles(double[] a) {
            var sb = new StringBuilder();
            for (double x : a) sb.append(sb.isEmpty() ? "" : " ").append(x);
            return sb.toString();
        }

        private static String pad(String s, int width, boolean right) {
            if (s.length() >= width) return s;
            String fill = " ".repeat(width - s.length());
            return right ? fill + s : s + fill;
        }
    }

    private static String cpuInfo;

    /** The CPU's model name from /proc/cpuinfo, else the OS architecture. */
    static synchronized String cpuInfo() {
        if (cpuInfo == null) {
            cpuInfo = System.getProperty("os.arch");
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("model name")) {
                        cpuInfo = line.substring(line.indexOf(':') + 1).trim();
                        break;
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux: keep the architecture
            }
        }
        return cpuInfo;
    }

    /**
     * {@code hearth plan --calibrate}: a short benchmark of {@code file} here (bandwidth probe over
     * 512 MiB, pp64 and tg32 with 1 s of warm-up runs, up to 10 s while the JIT compiles, and one timed run each, all processors) turned into
     * the planner's calibration. Bytes per token come from the planner's reading of the same file, as
     * for {@code --bench-json}.
     */
    static BenchCalibration calibrate(Path file, PrintWriter err) {
        int threads = Parallel.defaultThreads();
        MemoryBandwidth.Result bw;
        try (var pool = new Parallel(threads)) {
            bw = MemoryBandwidth.measure(pool, 512L << 20, 3);
        }
        BenchResult pp, tg;
        try (Model m = Model.load(file, new Model.Options(0, threads, null))) {
            int bos = m.tokenizer().addBos() ? m.tokenizer().bos() : -1;
            pp = Bench.run(m.transformer(), bos, BenchTest.prompt(64), 1, 1_000_000_000L, 10_000_000_000L, 42, null);
            tg = Bench.run(m.transformer(), bos, BenchTest.gen(32), 1, 1_000_000_000L, 10_000_000_000L, 42, null);
        }
        if (err != null) {
            err.printf(Locale.ROOT, "hearth plan --calibrate: %s here with %d threads: memory bandwidth %.1f GB/s, pp64 %.1f tok/s, tg32 %.1f tok/s%n",
                    file.getFileName(), threads, bw.gbPerSecond(), pp.avgTs(), tg.avgTs());
            err.flush();
        }
        var spec = ModelSpec.fromGguf(GgufHeader.read(file));
        return new BenchCalibration(new Calibration(tg.avgTs(), bw.gbPerSecond(), spec.bytesReadPerToken()),
                file.getFileName() + " tg32 (hearth bench --calibrate)", "exact, from " + file.getFileName() + "'s tensors", pp.avgTs());
    }
}
