package dev.hearth.engine.kernel;

/**
 * {@code out[b][r] = sum_c W[r][c] * x[b][c]} for a batch of activation rows. Work is split over
 * output rows, so each weight row is read from memory once and used for every activation row of the batch.
 */
public final class MatMul {
    private MatMul() {}

    /** Per-thread buffer for one dequantized weight row; grown on demand, never per row. */
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * @param w     weights, rows x cols
     * @param x     activations, batch rows of {@code w.cols()} floats, row-major
     * @param out   result, batch rows of {@code w.rows()} floats, row-major
     * @param batch number of activation rows
     */
    public static void matmul(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        final int cols = w.cols(), rows = w.rows();
        if (x.length < (long) batch * cols || out.length < (long) batch * rows) {
            throw new IllegalArgumentException("matmul " + w.name() + " (" + rows + "x" + cols + ", batch " + batch
                    + "): x has " + x.length + " floats (needs " + (long) batch * cols + "), out has " + out.length
                    + " (needs " + (long) batch * rows + ")");
        }
        if (batch == 1) {
            matmulFloat1(pool, w, x, out);
        } else {
            matmulFloatBatch(pool, w, x, out, batch);
        }
    }

    /** Float path, one activation row: one {@link Dot#dot} per weight row. */
    static void matmulFloat1(Parallel pool, Matrix w, float[] x, float[] out) {
        final int cols = w.cols();
        final long rowBytes = w.rowBytes();
        pool.run(w.rows(), (from, to) -> {
            for (int r = from; r < to; r++) out[r] = Dot.dot(w.type(), w.data(), r * rowBytes, x, 0, cols);
        });
    }

    /** Float path, several activation rows: each weight row is dequantized once, then dotted with every row. */
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
