package dev.hearth.engine.bench;

/**
 * The timed repetitions of one test: wall time of each in nanoseconds, and as llama-bench reports
 * them, tokens per second per repetition with their mean and sample standard deviation.
 *
 * @param warmupNs       the first untimed warm-up run's duration (0 when there was none): against the timed
 *                       runs, it shows what JIT compilation costs a cold start
 * @param allocatedBytes heap bytes allocated by the whole JVM during the timed runs, -1 where not counted
 */
public record BenchResult(BenchTest test, int threads, long[] samplesNs, long warmupNs, long allocatedBytes) {

    /** A result whose allocations were not counted. */
    public BenchResult(BenchTest test, int threads, long[] samplesNs, long warmupNs) {
        this(test, threads, samplesNs, warmupNs, -1);
    }

    /** Heap bytes allocated per token of the timed runs, NaN where not counted. */
    public double allocatedBytesPerToken() {
        return allocatedBytes < 0 ? Double.NaN : (double) allocatedBytes / ((long) test.tokens() * samplesNs.length);
    }

    public double[] samplesTs() {
        double[] ts = new double[samplesNs.length];
        for (int i = 0; i < ts.length; i++) ts[i] = test.tokens() * 1e9 / samplesNs[i];
        return ts;
    }

    /** Mean tokens per second over the repetitions (llama-bench's {@code avg_ts}). */
    public double avgTs() {
        return mean(samplesTs());
    }

    public double stddevTs() {
        return stddev(samplesTs());
    }

    public double avgNs() {
        double[] ns = new double[samplesNs.length];
        for (int i = 0; i < ns.length; i++) ns[i] = samplesNs[i];
        return mean(ns);
    }

    public double stddevNs() {
        double[] ns = new double[samplesNs.length];
        for (int i = 0; i < ns.length; i++) ns[i] = samplesNs[i];
        return stddev(ns);
    }

    /** Tokens per second of the first warm-up run, NaN when there was none. */
    public double warmupTs() {
        return warmupNs > 0 ? test.tokens() * 1e9 / warmupNs : Double.NaN;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    /** Sample standard deviation (n - 1), 0 for a single sample, as llama-bench computes it. */
    static double stddev(double[] v) {
        if (v.length <= 1) return 0;
        double m = mean(v), ss = 0;
        for (double x : v) ss += (x - m) * (x - m);
        return Math.sqrt(ss / (v.length - 1));
    }
}
