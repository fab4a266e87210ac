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
 * A decode layout's kernel on the same bytes placed {@code past} bytes after a multiple of 256, one thread: the
 * interleaved Q4_0 kernel by default (docs/kernels.md "Where a Q4_0 matrix starts", "Q4_0 groups in pairs"),
 * the other layouts with {@code -p type=Q8_0,Q4_K,Q5_K,Q6_K}. {@code rows = 1024} (1.2 MB of Q4_0 at 2048
 * columns) stays in cache; {@code 65536} (75 MB) streams from memory.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class PlacementBench {
    @Param({"1024", "65536"})
    public int rows;

    @Param({"1024", "2048"})
    public int cols;

    @Param({"0", "32", "64", "128", "192"})
    public int past;

    @Param({"Q4_0"})
    public String type;

    private Arena arena;
    private Matrix placed;
    private float[] out;
    private Q8Activations q8;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        var t = GgmlType.valueOf(type);
        var laid = BenchData.matrix(arena, t, rows, cols, 42).interleave(bytes -> arena.allocate(bytes, 64));
        long bytes = laid.data().byteSize();
        MemorySegment x4 = arena.allocate(bytes + 256 + past, 256).asSlice(past, bytes);
        x4.copyFrom(laid.data());
        placed = new Matrix(laid.name(), t, x4, rows, cols, true);
        out = new float[rows];
        q8 = new Q8Activations(Q8Activations.kindFor(t)).quantize(BenchData.activations(cols, 7), 1, cols);
        Q8Kernels.prepare(laid, q8, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[] placed() {
        Q8Kernels.layoutDots(placed, 0, rows, q8, 0, out, 0);
        return out;
    }
}
