package dev.hearth.engine.kernel;

/**
 * {@code out[b][r] = sum_c W[r][c] * x[b][c]} for a batch of activation rows. Work is split over
 * output rows, so each weight row is read from memory once and used for every activation row of the batch.
 *
 * <p>Two kinds of activation rows, three paths. The kind of a row and the weight type, never the batch
 * size or the other rows, decide its path:
 * <ul>
 *   <li><b>decode rows</b> (one generated token of a sequence; rows {@code [0, decodeRows)}): for
 *       types with an integer kernel (Q4_0, Q8_0, Q4_K, Q5_K, Q6_K; Q2_K and Q3_K with 512-bit vectors) the integer path, as in llama.cpp:
 *       activations quantized to 8 bits ({@link Q8Activations}), 16-bit integer multiplies in
 *       {@link Q8Kernels}, one float scale per block. It reads few instructions per weight, which is
 *       what decode (one activation row per weight read) needs. Matrices are read in their decode
 *       kernels' layouts where they have one ({@link Matrix#interleaved}: Q4_0 four rows at a time, Q8_0
 *       scales in groups, Q4_K, Q5_K and Q6_K by sub-block).
 *   <li><b>prompt rows</b> (tokens known before the pass; rows {@code [decodeRows, batch)}), with
 *       512-bit vectors: packed once per call into panels of one vector's worth of rows stored column
 *       by column ({@link Tiles#pack}); weight rows decoded to float a block at a time ({@link RowDecoder}) and
 *       multiplied with the panels in outer-product tiles ({@link Tiles#panelBlock}: 4 weight rows x 4 or 3
 *       panels, 16 or 12 accumulators; per column 4 vector loads and 4 broadcasts for 16 FMAs). With many rows
 *       the decode is amortised and each FMA does 8 or 16 multiply-adds. Q4_0 weights instead take integer
 *       panel tiles ({@link IntPanels}): the 8-bit activations and the 4-bit weights as shorts, exact 16-bit
 *       sums per 32-value block, 32 multiply-adds per vector multiply.
 *   <li>decode rows of types without an integer kernel (F32, F16, BF16, Q4_1, Q5_x, and Q2_K and Q3_K below
 *       AVX-512), and prompt rows with 256-bit vectors: the same decoded rows in dot-product tiles
 *       ({@link Tiles#block}), which waste nothing on one row (and on AVX2 were as fast as the panel tiles);
 *       with 512-bit vectors a single such row takes {@link Dot#matVec} (two rows decoded into L1 at a time,
 *       bit-identical to the tiles).
 * </ul>
 * For quantized weight types both paths take the activations quantized to 8 bits (the float path
 * gets them dequantized, {@link Q8Activations#dequantize}), as llama.cpp quantizes them for every
 * quantized matmul: the two paths then differ only by float rounding. The integer path's error against
 * exact float activations is at most {@code sum_i |w_i| * d_x(i) / 2} per output, {@code d_x = max|x| / 127}
 * of the activation block.
 *
 * <p><b>Batch invariance</b>: {@code out[b * rows + r]} is bit-identical whatever the batch size, the
 * other rows, and the position {@code b} of the row in the batch, given the row's kind (a request's
 * greedy output must not depend on which other requests share its batch). Every path computes every
 * output with the same sequence of float operations in every tile, block and remainder: activations
 * are quantized per row, integer sums are exact, and float accumulators are per (weight row, activation
 * row) and reduced in a fixed order. {@link #matmulFloat} is the float path with unquantized
 * activations for every type (the reference the other paths are tested against).
 */
public final class MatMul {
    private MatMul() {}

    /** Per-thread accumulators of the float tiles ({@link Tiles#block}); grown on demand. */
    private static final ThreadLocal<float[][]> ACC = ThreadLocal.withInitial(() -> new float[1][0]);
    /** Per-thread buffer for decoded weight rows; grown on demand, never per row. */
    private static final ThreadLocal<float[][]> ROW = ThreadLocal.withInitial(() -> new float[1][0]);
    /** The calling thread's dequantized 8-bit activations for the float path, one per kind; grown on demand. */
    private static final ThreadLocal<float[][]> DEQ = ThreadLocal.withInitial(() -> new float[2][0]);
    /** The calling thread's packed prompt rows ({@link Tiles#pack}): float input, and dequantized per kind; grown on demand. */
    private static final ThreadLocal<float[][]> PACK = ThreadLocal.withInitial(() -> new float[3][0]);
    /** The calling thread's prompt rows packed in integer panels ({@link IntPanels#pack}): quants and scales; grown on demand. */
    private static final class IntPackBuffers {
        short[] xs = new short[0];
        float[] dxs = new float[0];

        void ensure(int quants, int scales) {
            if (xs.length < quants) xs = new short[quants];
            if (dxs.length < scales) dxs = new float[scales];
        }
    }

    private static final ThreadLocal<IntPackBuffers> INT_PACK = ThreadLocal.withInitial(IntPackBuffers::new);
    /** Per-thread accumulator park of the panel tiles. */
    private static final ThreadLocal<float[][]> PARK = ThreadLocal.withInitial(() -> new float[1][0]);
    /** The calling thread's quantized activations, one per kind; reused across calls. */
    private static final ThreadLocal<Q8Activations[]> ACT = ThreadLocal.withInitial(() -> new Q8Activations[] {
            new Q8Activations(Q8Activations.Kind.Q8_0), new Q8Activations(Q8Activations.Kind.Q8_K)});

    /**
     * Float path: weight rows decoded at once, at most this many bytes of floats (32 rows of 2048 columns):
     * they stay in L2 while every activation row passes over them, so the activations (up to
     * 512 x 4 x cols bytes, from L3) are read once per block; a small block makes that the bottleneck.
     */
    private static final int WEIGHT_BLOCK_BYTES = 256 * 1024;
    /** Float path: activation rows per pass over a weight block, at most this many bytes (they stay in L2). */
    private static final int ACT_CHUNK_FLOAT_BYTES = 256 * 1024;

    /**
     * Integer path: activation rows per pass over the weight rows; their 16-bit quants ({@code 2 * cols}
     * bytes a row) stay in L2 while every weight row of a range is multiplied with them.
     */
    private static final int ACT_CHUNK_INT_BYTES = 192 * 1024;
    /**
     * Integer path with several activation rows (decode rows of several sequences): weight rows per kernel call, at
     * most this many bytes, read from memory for the first activation row and from L2 for the others. Longer runs
     * mean fewer calls per row (each call sets up its slices, accumulators and constants). {@code hearth bench -np 4,16
     * -d 128 -n 32}, two threads, 32 KB -> 128 KB: the 1.1B Q4_0 file 93.7 -> 109.3 and 110.3 -> 127.2 t/s, Q8_0
     * 51.5 -> 57.1 and 63.1 -> 67.9, Q4_K_M 69.7 -> 82.3 and 83.8 -> 92.9 (256 KB about the same, 512 KB slower for
     * Q4_0: 64.6 and 70.4; 8 KB 65.7 at 4 sequences). docs/perf.md, fourteenth block.
     */
    private static final int INT_ROW_RUN_BYTES = 128 * 1024;
    /**
     * Parallel runs: a chunk of rows reads at least this many weight bytes times activation rows (a few
     * microseconds of work), so that small matrices (a 20M-parameter model's 256 x 256) are not cut into
     * chunks whose claims cost as much as their rows.
     */
    private static final long MIN_CHUNK_WORK_BYTES = 64 * 1024;

    /** The shortest chunk of rows of {@code w} for a parallel run over {@code batch} activation rows. */
    private static int minChunkRows(Matrix w, int batch) {
        return (int) Math.max(1, MIN_CHUNK_WORK_BYTES / Math.max(1, w.rowBytes() * batch));
    }

    /** Every row a decode row: {@link #matmul(Parallel, Matrix, float[], float[], int, int)} with {@code decodeRows = batch}. */
    public static void matmul(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        matmul(pool, w, x, out, batch, batch);
    }

    /**
     * @param w          weights, rows x cols
     * @param x          activations, batch rows of {@code w.cols()} floats, row-major
     * @param out        result, batch rows of {@code w.rows()} floats, row-major
     * @param batch      number of activation rows
     * @param decodeRows rows {@code [0, decodeRows)} are decode rows, the rest prompt rows (see the class comment)
     */
    public static void matmul(Parallel pool, Matrix w, float[] x, float[] out, int batch, int decodeRows) {
        matmul(pool, new Matrix[] {w}, x, new float[][] {out}, batch, decodeRows);
    }

    /** Whether these weights have an integer kernel (usable through {@link #matmul(Parallel, Matrix, Q8Activations, float[])}). */
    public static boolean hasIntegerPath(Matrix w) {
        return Q8Kernels.supports(w.type());
    }

    /**
     * The integer path with activations already quantized; {@code a.kind()} must be
     * {@code Q8Activations.kindFor(w.type())}. One integer dot per (weight row, activation row).
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
        Q8Kernels.prepare(w, a, batch);
        pool.run(rows, minChunkRows(w, batch), (from, to) -> integerRows(w, a, out, batch, from, to));
    }

    /** Every row a decode row: {@link #matmul(Parallel, Matrix[], float[], float[][], int, int)} with {@code decodeRows = batch}. */
    public static void matmul(Parallel pool, Matrix[] ws, float[] x, float[][] outs, int batch) {
        matmul(pool, ws, x, outs, batch, batch);
    }

    /**
     * Several matrices that share one input (q, k, v; gate, up): {@code outs[m] = ws[m] . x}, with one
     * parallel run over the rows of all of them (one synchronisation instead of one per matrix) and
     * the activations quantized once per activation format. Results are bit-identical to separate calls.
     */
    public static void matmul(Parallel pool, Matrix[] ws, float[] x, float[][] outs, int batch, int decodeRows) {
        if (ws.length != outs.length) throw new IllegalArgumentException("matmul: " + ws.length + " matrices but " + outs.length + " outputs");
        if (decodeRows < 0 || decodeRows > batch) throw new IllegalArgumentException("matmul: decodeRows " + decodeRows + " is outside [0, " + batch + "]");
        final int m = ws.length;
        final int[] start = new int[m + 1];
        final Q8Activations[] acts = new Q8Activations[m];   // integer-path input per matrix, null: none
        final float[][] inputs = new float[m][];               // float-path input per matrix
        final float[][] packed = new float[m][];               // its prompt rows packed in panels, null: none
        Q8Activations[] perKind = ACT.get();
        float[][] deq = DEQ.get();
        float[][] packs = PACK.get();
        boolean[] quantized = new boolean[perKind.length];
        int[] dequantizedFrom = {batch, batch};                // per kind: rows [from, batch) are in deq[kind]
        // prompt rows in panel tiles with 512-bit vectors; with 256-bit ones (16 registers) the panel tile
        // measured no faster than the dot-product tiles, which prompt rows then keep
        final int promptRows = batch - decodeRows, panels = Tiles.WIDE ? (promptRows + Dot.L - 1) / Dot.L : 0;
        // prompt rows times Q4_0 weights: integer panel tiles (IntPanels) over their 8-bit activations (one kind)
        final boolean[] intPanels = new boolean[m];
        Q8Activations intActs = null;
        for (int i = 0; i < m; i++) {
            Matrix w = ws[i];
            checkSizes(w, x, outs[i], batch);
            if (w.cols() != ws[0].cols()) {
                throw new IllegalArgumentException("matmul: " + w.name() + " has " + w.cols() + " columns, " + ws[0].name() + " " + ws[0].cols() + "; a shared input needs equal row lengths");
            }
            start[i + 1] = start[i] + w.rows();
            Q8Activations.Kind kind = Q8Activations.kindFor(w.type());
            if (kind == null) {   // float weights: float activations
                inputs[i] = x;
                continue;
            }
            // llama.cpp multiplies quantized weights with 8-bit activations at every batch size; the float
            // path gets the same activations, dequantized, so that both paths agree with it (and each other)
            int k = kind.ordinal();
            if (!quantized[k]) {
                perKind[k].quantize(pool, x, batch, w.cols());
                quantized[k] = true;
            }
            int floatFrom = decodeRows;   // decode rows take the integer path where there is one
            if (hasIntegerPath(w)) {
                acts[i] = perKind[k];
                Q8Kernels.prepare(ws[i], acts[i], decodeRows);
            } else floatFrom = 0;
            if (panels > 0 && IntPanels.supports(w)) {
                intPanels[i] = true;
                intActs = acts[i];
                floatFrom = batch;
            }
            if (floatFrom < batch) {
                if (floatFrom < dequantizedFrom[k]) {
                    deq[k] = perKind[k].dequantize(pool, deq[k], floatFrom);
                    dequantizedFrom[k] = floatFrom;
                }
                inputs[i] = deq[k];
            }
        }
        // prompt rows: each distinct input packed once, in parallel (float weights use x, the others deq[kind];
        // Q4_0 weights the 8-bit activations in integer panels)
        final int intPanelCount = IntPanels.panels(promptRows);
        final IntPackBuffers ip = intActs != null ? INT_PACK.get() : null;
        if (ip != null) {
            final int cols = ws[0].cols();
            final Q8Activations a = intActs;
            ip.ensure(intPanelCount * cols * IntPanels.P, intPanelCount * (cols / 32) * IntPanels.P);
            pool.run(intPanelCount, (from, to) -> IntPanels.pack(a, decodeRows, batch, ip.xs, ip.dxs, from, to));
        }
        if (panels > 0) {
            final int cols = ws[0].cols();
            for (int i = 0; i < m; i++) {
                if (inputs[i] == null) continue;
                for (int j = 0; j < i && packed[i] == null; j++) if (inputs[j] == inputs[i]) packed[i] = packed[j];
                if (packed[i] != null) continue;
                int slot = inputs[i] == x ? 0 : (inputs[i] == deq[0] ? 1 : 2);
                if (packs[slot].length < panels * cols * Dot.L) packs[slot] = new float[panels * cols * Dot.L];
                final float[] in = inputs[i], xp = packs[slot];
                pool.run(panels, (from, to) -> Tiles.pack(in, cols, decodeRows, batch, xp, from, to));
                packed[i] = xp;
            }
        }
        pool.run(start[m], minChunkRows(ws[0], batch), (from, to) -> {
            for (int i = 0; i < m; i++) {
                int lo = Math.max(from, start[i]) - start[i], hi = Math.min(to, start[i + 1]) - start[i];
                if (lo >= hi) continue;
                if (decodeRows > 0) {
                    if (acts[i] != null) integerRows(ws[i], acts[i], outs[i], decodeRows, lo, hi);
                    else floatRows(ws[i], inputs[i], outs[i], 0, decodeRows, lo, hi);
                }
                if (intPanels[i]) IntPanels.rows(ws[i], ip.xs, ip.dxs, intPanelCount, decodeRows, batch, outs[i], lo, hi);
                else if (panels > 0) panelRows(ws[i], packed[i], panels, decodeRows, batch, outs[i], lo, hi);
                else if (decodeRows < batch) floatRows(ws[i], inputs[i], outs[i], decodeRows, batch, lo, hi);
            }
        });
    }

    /**
     * The float path with unquantized float activations, for every type and row: weights decoded to
     * float ({@link RowDecoder}), {@link Tiles}. The reference the other paths are tested against.
     */
    public static void matmulFloat(Parallel pool, Matrix w, float[] x, float[] out, int batch) {
        checkSizes(w, x, out, batch);
        pool.run(w.rows(), minChunkRows(w, batch), (from, to) -> floatRows(w, x, out, 0, batch, from, to));
    }

    private static void checkSizes(Matrix w, float[] x, float[] out, int batch) {
        final int cols = w.cols(), rows = w.rows();
        if (batch < 1 || x.length < (long) batch * cols || out.length < (long) batch * rows) {
            throw new IllegalArgumentException("matmul " + w.name() + " (" + rows + "x" + cols + ", batch " + batch
                    + "): x has " + x.length + " floats (needs " + (long) batch * cols + "), out has " + out.length
                    + " (needs " + (long) batch * rows + ")");
        }
    }

    /** Integer path: weight rows {@code [from, to)} times activation rows {@code [0, batch)} of {@code a}. */
    private static void integerRows(Matrix w, Q8Activations a, float[] out, int batch, int from, int to) {
        final int rows = w.rows();
        final long rowBytes = w.rowBytes();
        final boolean tile = Q8Kernels.hasTile(w.type());
        final int chunk = Math.max(2, ACT_CHUNK_INT_BYTES / (2 * a.cols()) & ~1);
        // one activation row: the whole range in one kernel call; several: runs of weight rows that stay
        // in L1/L2 while every activation row of the chunk passes over them (interleaved Q4_0: whole quads)
        final long perRun = INT_ROW_RUN_BYTES / rowBytes;
        final int run = batch == 1 ? to - from : (int) (w.quads() ? Math.max(4, perRun & ~3) : Math.max(1, perRun));
        for (int b0 = 0; b0 < batch; b0 += chunk) {
            int b1 = Math.min(batch, b0 + chunk);
            for (int r0 = from, r1; r0 < to; r0 = r1) {
                r1 = Math.min(to, w.quads() ? (r0 & ~3) + run : r0 + run);   // interleaved: runs end on a quad
                int b = b0;
                // two activation rows per pass over a weight row where a tile exists; bit-identical to single rows
                if (tile) {
                    for (; b + 2 <= b1; b += 2) {
                        for (int r = r0; r < r1; r++) Q8Kernels.dot2(w.type(), w.data(), r * rowBytes, a, b, out, b * rows + r, rows);
                    }
                }
                if (w.interleaved()) {
                    for (; b < b1; b++) Q8Kernels.layoutDots(w, r0, r1 - r0, a, b, out, b * rows + r0);
                } else {
                    for (; b < b1; b++) Q8Kernels.dots(w.type(), w.data(), r0 * rowBytes, rowBytes, r1 - r0, a, b, out, b * rows + r0);
                }
            }
        }
    }

    /**
     * Float path: weight rows {@code [from, to)} times activation rows {@code [bFrom, bTo)}. A block of
     * weight rows ({@link #WEIGHT_BLOCK_BYTES}) is decoded to float once, then multiplied with chunks of
     * activation rows ({@link Tiles#block}).
     */
    private static void floatRows(Matrix w, float[] x, float[] out, int bFrom, int bTo, int from, int to) {
        final int cols = w.cols(), rows = w.rows();
        final long rowBytes = w.rowBytes();
        // one activation row: rows decoded a pair at a time into L1 and multiplied, bit-identical to the tiles
        if (bTo - bFrom == 1 && Dot.MAT_VEC && !w.interleaved()) {
            Dot.matVec(w.type(), w.data(), from * rowBytes, rowBytes, to - from, cols, x, bFrom * cols, out, bFrom * rows + from);
            return;
        }
        final int chunk = Math.max(12, ACT_CHUNK_FLOAT_BYTES / (4 * cols) / 12 * 12);   // a multiple of both tile heights
        final int block = Math.max(4, WEIGHT_BLOCK_BYTES / (4 * cols) & ~3);
        float[] buf = buffer(ROW, block * cols);
        float[] acc = buffer(ACC, Tiles.accFloats());
        for (int r0 = from; r0 < to; r0 += block) {
            int r1 = Math.min(to, r0 + block);
            w.decodeRows(r0, r1, buf);
            for (int b0 = bFrom; b0 < bTo; b0 += chunk) Tiles.block(buf, r1 - r0, cols, r0, x, b0, Math.min(bTo, b0 + chunk), out, rows, acc);
        }
    }

    /**
     * Prompt rows {@code [bFrom, bTo)}, packed in {@code panels} panels ({@link Tiles#pack}), times weight
     * rows {@code [from, to)}: weight rows decoded to float a block at a time, then {@link Tiles#panelBlock}.
     */
    private static void panelRows(Matrix w, float[] xp, int panels, int bFrom, int bTo, float[] out, int from, int to) {
        final int cols = w.cols(), rows = w.rows();
        final int block = Math.max(4, WEIGHT_BLOCK_BYTES / (4 * cols) & ~3);
        float[] buf = buffer(ROW, block * cols);
        float[] park = buffer(PARK, Tiles.parkFloats(block));
        for (int r0 = from; r0 < to; r0 += block) {
            int r1 = Math.min(to, r0 + block);
            w.decodeRows(r0, r1, buf);
            Tiles.panelBlock(buf, r1 - r0, cols, r0, xp, panels, bFrom, bTo, out, rows, park);
        }
    }

    /** The calling thread's buffer in {@code holder}, grown to at least {@code n} floats. */
    private static float[] buffer(ThreadLocal<float[][]> holder, int n) {
        float[][] h = holder.get();
        if (h[0].length < n) h[0] = new float[n];
        return h[0];
    }
}
