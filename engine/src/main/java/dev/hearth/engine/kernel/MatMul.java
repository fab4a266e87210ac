package dev.hearth.engine.kernel;

/**
 * {@code out[b][r] = sum_c W[r][c] * x[b][c]} for a batch of activation rows. Work is split over
 * output rows, so each weight row is read from memory once and used for every activation row of the batch.
 */
public final class MatMul {
    private MatMul() {}

    /**
     * @param w     weights, rows x cols
     * @param x     activations, batch rows of {@code w.cols()} floats, row-major
     * @param out   result, batch rows of {@code w.rows()} floats, row-major
     * @param batch number of activation rows
     */
    public static void matmul(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        final int cols = w.cols(), rows = w.rows();
        pool.run(rows, (from, to) -> {
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                w.row(r, row, 0);
                for (int b = 0; b < batch; b++) {
                    float sum = 0f;
                    int xo = b * cols;
                    for (int c = 0; c < cols; c++) sum += row[c] * x[xo + c];
                    out[b * rows + r] = sum;
                }
            }
        });
    }
}
