package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-thread kernels over a matrix of 2M weights, 512 x 4096 or, with {@code cols = 256} (the rows of a
 * 20M-parameter model, where per-row costs show), 8192 x 256 (at most 8 MB; mostly measures compute): dequantize
 * every row with the scalar reference ({@code dequantize}) and the vector decoder of the batched path
 * ({@code decodeRow}), the float dot per row, the integer dot per row (types with an integer kernel;
 * others return at once, ignore them), and activation quantization of one row.
 * Time per whole matrix (2 * 2M flops for the dots). {@code weights} sets the matrix size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class KernelBench {
    /** Weights in the matrix: 2M (in cache); {@code -p weights=134217728} (128M: 72 MB of Q4_K) streams from memory. */
    @Param({"2097152"})
    public int weights;

    @Param({"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    @Param({"4096"})
    public int cols;

    private int rows;

    private Arena arena;
    private Matrix w;
    private float[] x, row, out;
    private Q8Activations q8;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        var t = GgmlType.valueOf(type);
        rows = weights / cols;
        w = BenchData.matrix(arena, t, rows, cols, 42);
        x = BenchData.activations(cols, 7);
        row = new float[cols];
        out = new float[rows];
        var kind = Q8Activations.kindFor(t);
        q8 = kind == null ? null : new Q8Activations(kind).quantize(x, 1, cols);
        if (q8 != null) Q8Kernels.prepare(t, q8, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] dequantize() {
        for (int r = 0; r < rows; r++) w.row(r, row, 0);
        return row;
    }

    @Benchmark
    public float[] decodeRow() {
        long rb = w.rowBytes();
        for (int r = 0; r < rows; r++) RowDecoder.decode(w.type(), w.data(), r * rb, row, cols);
        return row;
    }

    @Benchmark
    public float[] floatDot() {
        long rb = w.rowBytes();
        for (int r = 0; r < rows; r++) out[r] = Dot.dot(w.type(), w.data(), r * rb, x, 0, cols);
        return out;
    }

    @Benchmark
    public float[] intDot() {
        if (!Q8Kernels.supports(w.type())) return out; // no integer kernel: reported near zero, ignore
        long rb = w.rowBytes();
        Q8Kernels.dots(w.type(), w.data(), 0, rb, rows, q8, 0, out, 0);
        return out;
    }

    @Benchmark
    public Object quantizeActivations() {
        return q8 == null ? null : q8.quantize(x, 1, cols);
    }
}
