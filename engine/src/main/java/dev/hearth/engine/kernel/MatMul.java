package dev.hearth.engine.kernel;

/**
 * {@code out[b][r] = sum_c W[r][c] * x[b][c]} for a batch of activation rows. Work is split over
 * output rows, so each weight row is read from memory once and used for every activation row of the batch.
 *
 * <p>One path per weight type, never per batch size, chosen by {@link #matmul(Parallel, Matrix, float[], float[], int)}:
 * <ul>
 *   <li>types with an integer kernel (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K): the integer path, as in
 *       llama.cpp: activations quantized to 8 bits once per call ({@link Q8Activations}), 16-bit integer
 *       multiplies in {@link Q8Kernels}, one float scale per block. Its error is that of 8-bit
 *       activations: per output at most {@code sum_i |w_i| * d_x(i) / 2}, {@code d_x = max|x| / 127}
 *       of the activation block.
 *   <li>other types: weight rows decoded to float once ({@link RowDecoder}) and multiplied with the
 *       activation rows in register tiles of 2 x 4 ({@link Tiles}), float FMAs.
 * </ul>
 *
 * <p><b>Batch invariance</b>: {@code out[b * rows + r]} is bit-identical whatever the batch size and
 * whatever position {@code b} the activation row has in it (a request's greedy output must not depend
 * on which other requests share its batch). Both paths compute every output with the same sequence
 * of float operations in every tile and remainder: activations are quantized per row, integer sums
 * are exact, and float accumulators are per (weight row, activation row) and reduced in a fixed order.
 * For quantized weight types the float paths are given the activations quantized to 8 bits and
 * dequantized ({@link Q8Activations#dequantize}), as llama.cpp quantizes them for every quantized
 * matmul: results then differ from the integer path only by float rounding.
 * {@link #matmulFloat} is the float path for every type (the reference the integer path is tested against).
 */
public final class MatMul {
    private MatMul() {}

    /** Per-thread buffer for one dequantized weight row; grown on demand, never per row. */
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);
    /** The calling thread's dequantized 8-bit activations for the float path; grown on demand. */
    private static final ThreadLocal<float[][]> DEQ = ThreadLocal.withInitial(() -> new float[1][0]);
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
        Q8Activations.Kind kind = Q8Activations.kindFor(w.type());
        if (kind == null) {
            matmulFloat(pool, w, x, out, batch);
            return;
        }
        // llama.cpp multiplies quantized weights with 8-bit activations at every batch size; the float
        // path gets the same activations, dequantized, so that both paths agree with it (and each other).
        Q8Activations a = ACT.get()[kind.ordinal()].quantize(x, batch, w.cols());
        if (usesIntegerPath(w, batch)) {
            matmul(pool, w, a, out);
        } else {
            float[][] holder = DEQ.get();
            holder[0] = a.dequantize(holder[0]);
            matmulFloat(pool, w, holder[0], out, batch);
        }
    }

    /** Whether these weights have an integer kernel (usable through {@link #matmul(Parallel, Matrix, Q8Activations, float[])}). */
    public static boolean hasIntegerPath(Matrix w) {
        return Q8Kernels.supports(w.type());
    }

    /**
     * Whether {@link #matmul(Parallel, Matrix, float[], float[], int)} takes the integer path; the same
     * for every batch size (batch invariance), the argument is kept for callers that ask per batch.
     */
    public static boolean usesIntegerPath(Matrix w, int batch) {
        return hasIntegerPath(w);
    }

    /**
     * The integer path with activations already quantized (e.g. once for several matrices that share
     * an input); {@code a.kind()} must be {@code Q8Activations.kindFor(w.type())}. One integer dot per
     * (weight row, activation row), each independent of the others.
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
        pool.run(rows, (from, to) -> integerRows(w, a, out, from, to));
    }

    /** Integer path, weight rows {@code [from, to)} times every activation row of {@code a}. */
    private static void integerRows(Matrix w, Q8Activations a, float[] out, int from, int to) {
        final int rows = w.rows(), batch = a.batch();
        final long rowBytes = w.rowBytes();
        final boolean tile = Q8Kernels.hasTile(w.type());
        for (int r = from; r < to; r++) {
            int b = 0;
            // two activation rows per pass over the weight row where a tile exists; bit-identical to single rows
            if (tile) for (; b + 2 <= batch; b += 2) Q8Kernels.dot2(w.type(), w.data(), r * rowBytes, a, b, out, b * rows + r, rows);
            for (; b < batch; b++) out[b * rows + r] = Q8Kernels.dot(w.type(), w.data(), r * rowBytes, a, b);
        }
    }

    /**
     * Several matrices that share one input (q, k, v; gate, up): {@code outs[m] = ws[m] . x}, as
     * {@link #matmul(Parallel, Matrix, float[], float[], int)} does for each, but with one parallel
     * run over the rows of all of them (one synchronisation instead of one per matrix) and the
     * activations quantized once per activation format. Results are bit-identical to separate calls.
     */
    public static void matmul(Parallel pool, Matrix[] ws, float[] x, float[][] outs, int batch) {
        if (ws.length != outs.length) throw new IllegalArgumentException("matmul: " + ws.length + " matrices but " + outs.length + " outputs");
        final int m = ws.length;
        final int[] start = new int[m + 1];
        final Q8Activations[] acts = new Q8Activations[m];
        final float[][] inputs = new float[m][];   // float-path input per matrix
        Q8Activations[] perKind = ACT.get();
        boolean[] quantized = new boolean[perKind.length];
        float[][] dequantized = new float[perKind.length][];
        for (int i = 0; i < m; i++) {
            Matrix w = ws[i];
            checkSizes(w, x, outs[i], batch);
            if (w.cols() != ws[0].cols()) {
                throw new IllegalArgumentException("matmul: " + w.name() + " has " + w.cols() + " columns, " + ws[0].name() + " " + ws[0].cols() + "; a shared input needs equal row lengths");
            }
            Q8Activations.Kind kind = Q8Activations.kindFor(w.type());
            inputs[i] = x;
            if (kind != null) {
                int k = kind.ordinal();
                if (!quantized[k]) {
                    perKind[k].quantize(x, batch, w.cols());
                    quantized[k] = true;
                }
                if (hasIntegerPath(w)) {
                    acts[i] = perKind[k];
                } else {
                    // quantized weights without an integer kernel: 8-bit activations, dequantized (as the single-matrix call)
                    if (dequantized[k] == null) dequantized[k] = perKind[k].dequantize(new float[0]);
                    inputs[i] = dequantized[k];
                }
            }
            start[i + 1] = start[i] + w.rows();
        }
        pool.run(start[m], (from, to) -> {
            for (int i = 0; i < m; i++) {
                int lo = Math.max(from, start[i]), hi = Math.min(to, start[i + 1]);
                if (lo >= hi) continue;
                if (acts[i] != null) integerRows(ws[i], acts[i], outs[i], lo - start[i], hi - start[i]);
                else floatRows(ws[i], inputs[i], outs[i], batch, lo - start[i], hi - start[i]);
            }
        });
    }

    /**
     * The float path: weights decoded to float ({@link RowDecoder}), float activations, {@link Tiles}.
     * The same code for every batch size (batch 1 is a tile remainder), so it is batch-invariant too.
     */
    public static void matmulFloat(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        checkSizes(w, x, out, batch);
        matmulFloatBatch(pool, w, x, out, batch);
    }

    private static void checkSizes(Matrix w, float[] x, float[] out, int batch) {
        final int cols = w.cols(), rows = w.rows();
        if (batch < 1 || x.length < (long) batch * cols || out.length < (long) batch * rows) {
            throw new IllegalArgumentException("matmul " + w.name() + " (" + rows + "x" + cols + ", batch " + batch
                    + "): x has " + x.length + " floats (needs " + (long) batch * cols + "), out has " + out.length
                    + " (needs " + (long) batch * rows + ")");
        }
    }

    /**
     * Weight rows are decoded to float once, two at a time, and multiplied with the activation rows in
     * tiles of 2 weight rows x 4 activation rows ({@link Tiles}).
     */
    static void matmulFloatBatch(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        pool.run(w.rows(), (from, to) -> floatRows(w, x, out, batch, from, to));
    }

    /** Float path, weight rows {@code [from, to)}. */
    private static void floatRows(Matrix w, float[] x, float[] out, int batch, int from, int to) {
        final int cols = w.cols(), rows = w.rows();
        final long rowBytes = w.rowBytes();
        float[] buf = rowBuffer(2 * cols);
        int r = from;
        for (; r + 2 <= to; r += 2) {
            RowDecoder.decode(w.type(), w.data(), r * rowBytes, buf, 2 * cols);
            Tiles.rows2(buf, cols, x, batch, out, rows, r);
        }
        if (r < to) {
            RowDecoder.decode(w.type(), w.data(), r * rowBytes, buf, cols);
            Tiles.rows1(buf, cols, x, batch, out, rows, r);
        }
    }

    static float[] rowBuffer(int n) {
        float[][] holder = ROW.get();
        if (holder[0].length < n) holder[0] = new float[n];
        return holder[0];
    }
}
