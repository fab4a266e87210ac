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
 * One matmul {@code out = W x} as the forward pass calls it. Time per call; convert with
 * GFLOP/s = 2 * rows * cols * batch / time and weight GB/s = weight bytes / time (docs/kernels.md).
 * {@code path=auto} is {@link MatMul#matmul} with decode rows (integer path where the type has one),
 * {@code prompt} the same with prompt rows (float tiles), {@code float} is {@link MatMul#matmulFloat}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class MatMulBench {
    @Param({"Q4_0", "Q8_0"})
    public String type;

    /** rows x cols of W. */
    @Param({"2048x2048", "8192x2048"})
    public String shape;

    @Param({"1", "32"})
    public int batch;

    @Param({"2"})
    public int threads;

    /** {@code auto}: decode rows (integer path where the type has one); {@code prompt}: prompt rows; {@code float}: unquantized activations. */
    @Param({"auto", "prompt", "float"})
    public String path;

    /** {@code file}: the matrix as a GGUF file stores it; {@code decode}: in its decode kernel's layout, as a model copies it ({@link Matrix#interleave}). */
    @Param({"file"})
    public String layout;

    private Arena arena;
    private Parallel pool;
    private Matrix w;
    private float[] x, out;

    @Setup(Level.Trial)
    public void setup() {
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
        arena = Arena.ofShared();
        w = BenchData.matrix(arena, GgmlType.valueOf(type), rows, cols, 42);
        if (layout.equals("decode")) w = w.interleave(bytes -> arena.allocate(bytes, 64));
        x = BenchData.activations(batch * cols, 7);
        out = new float[batch * rows];
        pool = new Parallel(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }

    @Benchmark
    public float[] matmul() {
        switch (path) {
            case "float" -> MatMul.matmulFloat(pool, w, x, out, batch);
            case "prompt" -> MatMul.matmul(pool, w, x, out, batch, 0);
            default -> MatMul.matmul(pool, w, x, out, batch);
        }
        return out;
    }
}
