package dev.hearth.engine.kernel;

/**
 * {@code out[b][r] = sum_c W[r][c] * x[b][c]} for a batch of activation rows. Work is split over
 * output rows, so each weight row is read from memory once and used for every activation row of the batch.
 *
 * <p>Two paths: the integer path (llama.cpp's approach) quantizes the activations to 8 bits once per
 * call ({@link Q8Activations}) and runs integer kernels ({@link Q8Kernels}) for the weight types that
 * have one; the float path ({@link #matmulFloat}) decodes weights to float and is the reference, and
 * the path for all other types. The integer path's error is that of 8-bit activations: per output at
 * most {@code sum_i |w_i| * d_x(i) / 2}, where {@code d_x = max|x| / 127} of the activation block.
 */
public final class MatMul {
    private MatMul() {}

    /** Per-thread buffer for one dequantized weight row; grown on demand, never per row. */
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);
    /** The calling thread's quantized activations, one per kind; reused across calls. */
    private static final ThreadLocal<Q8Activations[]> ACT = ThreadLocal.withInitial(() -> new Q8Activations[] {
            new Q8Activations(Q8Activations.Kind.Q8_0), new Q8Activations(Q8Activations.Kind.Q8_K)});

    /**
     * @param w     weights, rows x cols
     * @param x     activations, batch rows of {@code w.cols()} floats, row-major
     * @param out   result, batch rows of {@code w.rows()} floats, row-major
     * @param batch number of activation rows
     */
    public static void matmul(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        checkSizes(w, x, out, batch);
        if (hasIntegerPath(w)) {
            Q8Activations a = ACT.get()[Q8Activations.kindFor(w.type()).ordinal()];
            matmul(pool, w, a.quantize(x, batch, w.cols()), out);
        } else {
            matmulFloat(pool, w, x, out, batch);
        }
    }

    /** Whether {@link #matmul} takes the integer path for these weights. */
    public static boolean hasIntegerPath(Matrix w) {
        return Q8Kernels.supports(w.type());
    }

    /**
     * The integer path with activations already quantized (e.g. once for several matrices that share
     * an input); {@code a.kind()} must be {@code Q8Activations.kindFor(w.type())}.
     */
    public static void matmul(Parallel pool, Matrix w, Q8Activations a, float[] out) {
        final int rows = w.rows(), batch = a.batch();
        if (!hasIntegerPath(w)) throw new IllegalArgumentException("matmul " + w.name() + ": no integer kernel for " + w.type() + "; use the float path");
        if (a.kind() != Q8Activations.kindFor(w.type()) || a.cols() != w.cols()) {
            throw new IllegalArgumentException("matmul " + w.name() + " (" + w.type() + ", " + rows + "x" + w.cols() + "): activations are "
                    + a.kind() + " with " + a.cols() + " columns, need " + Q8Activations.kindFor(w.type()) + " with " + w.cols());
        }
        if (out.length < (long) batch * rows) {
            throw new IllegalArgumentException("matmul " + w.name() + ": out has " + out.length + " floats, needs " + (long) batch * rows);
        }
        final long rowBytes = w.rowBytes();
        pool.run(rows, (from, to) -> {
            for (int r = from; r < to; r++) {
                for (int b = 0; b < batch; b++) out[b * rows + r] = Q8Kernels.dot(w.type(), w.data(), r * rowBytes, a, b);
            }
        });
    }

    /** The float path: weights decoded to float, float activations. Reference, and fallback for all types. */
    public static void matmulFloat(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        checkSizes(w, x, out, batch);
        if (batch == 1) {
            matmulFloat1(pool, w, x, out);
        } else {
            matmulFloatBatch(pool, w, x, out, batch);
        }
    }

    private static void checkSizes(Matrix w, float[] x, float[] out, int batch) {
        final int cols = w.cols(), rows = w.rows();
        if (batch < 1 || x.length < (long) batch * cols || out.length < (long) batch * rows) {
            throw new IllegalArgumentException("matmul " + w.name() + " (" + rows + "x" + cols + ", batch " + batch
                    + "): x has " + x.length + " floats (needs " + (long) batch * cols + "), out has " + out.length
                    + " (needs " + (long) batch * rows + ")");
        }
    }

    /** One activation row: one {@link Dot#dot} per weight row. */
    static void matmulFloat1(Parallel pool, Matrix w, float[] x, float[] out) {
        final int cols = w.cols();
        final long rowBytes = w.rowBytes();
        pool.run(w.rows(), (from, to) -> {
            for (int r = from; r < to; r++) out[r] = Dot.dot(w.type(), w.data(), r * rowBytes, x, 0, cols);
        });
    }

    /** Several activation rows: each weight row is dequantized once, then dotted with every row. */
    static void matmulFloatBatch(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        final int cols = w.cols(), rows = w.rows();
        pool.run(rows, (from, to) -> {
            float[] row = rowBuffer(cols);
            for (int r = from; r < to; r++) {
                w.row(r, row, 0);
                for (int b = 0; b < batch; b++) out[b * rows + r] = Dot.dot(row, 0, x, b * cols, cols);
            }
        });
    }

    static float[] rowBuffer(int n) {
        float[][] holder = ROW.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }
}
