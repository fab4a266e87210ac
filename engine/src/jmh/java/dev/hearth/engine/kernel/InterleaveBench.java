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
 * Q4_0, Q8_0, Q4_K, Q5_K and Q6_K decode rows, one thread: the kernel for the file's layout ({@code rowMajor})
 * against the same matrix in its decode kernel's layout ({@code interleaved}: Q4_0 four rows at a time, Q8_0 scales
 * in groups, the K-quants by sub-block).
 * {@code rows = 1024} (1.2 MB at 2048 columns) stays in L2/L3; {@code 65536} (75 MB) streams from memory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class InterleaveBench {
    @Param({"1024", "65536"})
    public int rows;

    @Param({"2048"})
    public int cols;

    @Param({"Q4_0", "Q8_0", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    private Arena arena;
    private Matrix w, x4;
    private float[] out;
    private Q8Activations q8;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        var t = GgmlType.valueOf(type);
        w = BenchData.matrix(arena, t, rows, cols, 42);
        x4 = w.interleave(bytes -> arena.allocate(bytes, 64));
        out = new float[rows];
        q8 = new Q8Activations(Q8Activations.kindFor(t)).quantize(BenchData.activations(cols, 7), 1, cols);
        Q8Kernels.prepare(t, q8, 1);
        Q8Kernels.prepare(x4, q8, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] rowMajor() {
        Q8Kernels.dots(w.type(), w.data(), 0, w.rowBytes(), rows, q8, 0, out, 0);
        return out;
    }

    @Benchmark
    public float[] interleaved() {
        Q8Kernels.layoutDots(x4, 0, rows, q8, 0, out, 0);
        return out;
    }
}
