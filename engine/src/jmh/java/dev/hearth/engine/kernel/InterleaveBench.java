package dev.hearth.engine.kernel;

import dev.hearth.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * Q4_0 decode rows, one thread: the row-major kernel ({@code rowMajor}) against the same matrix interleaved
 * four rows at a time ({@code interleaved}). {@code rows = 1024} (1.2 MB at 2048 columns) stays in L2/L3;
 * {@code 65536} (75 MB) streams from memory.
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

    private Arena arena;
    private Matrix w;
    private MemorySegment x4;
    private float[] out;
    private Q8Activations q8;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        w = BenchData.matrix(arena, GgmlType.Q4_0, rows, cols, 42);
        x4 = w.interleave(bytes -> arena.allocate(bytes, 64)).data();
        out = new float[rows];
        q8 = new Q8Activations(Q8Activations.Kind.Q8_0).quantize(BenchData.activations(cols, 7), 1, cols);
        Q8Kernels.prepare(GgmlType.Q4_0, q8, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] rowMajor() {
        Q8Kernels.dots(GgmlType.Q4_0, w.data(), 0, w.rowBytes(), rows, q8, 0, out, 0);
        return out;
    }

    @Benchmark
    public float[] interleaved() {
        Q8Kernels.q4_0x4(x4, 0, rows, cols, q8, 0, out, 0);
        return out;
    }
}
