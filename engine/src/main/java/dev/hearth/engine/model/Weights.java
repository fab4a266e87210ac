package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufException;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.kernel.Matrix;
import dev.hearth.engine.kernel.Quant;
import java.lang.foreign.MemorySegment;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * Typed views of a model's tensors. Matrices stay in the mapped file in their GGUF type, but for Q4_0, Q8_0 and
 * K-quant (Q4_K, Q5_K, Q6_K) ones on 512-bit vectors, copied at load into the layout their decode kernel reads
 * fastest ({@link Matrix#interleave}: same type and values; Q4_0 rows four at a time, Q8_0 scales in groups, the
 * K-quants' quants regrouped by sub-block), and other matrices copied as they are into huge pages where Linux
 * offers them ({@link GgufFile#largePages}); the small vectors (norm weights, biases, RoPE frequency factors) are
 * decoded to float arrays once.
 * Names follow the GGUF/llama.cpp tensor names ({@code blk.N.attn_q.weight} -> {@code wq}).
 */
public final class Weights {
    public final Matrix tokenEmbd;
    public final Matrix output;          // == tokenEmbd when the embeddings are tied
    public final float[] outputNorm;
    public final float[] ropeFreqs;      // Llama 3 frequency divisors, or null
    public final Layer[] layers;

    public record Layer(
            float[] attnNorm,
            Matrix wq, Matrix wk, Matrix wv, Matrix wo,
            float[] bq, float[] bk, float[] bv,       // null without QKV biases
            float[] qNorm, float[] kNorm,             // null without Q/K RMSNorm
            float[] ffnNorm,
            Matrix ffnGate, Matrix ffnUp, Matrix ffnDown) {

        /** This layer with {@code f} applied to each of its matrices. */
        Layer withMatrices(UnaryOperator<Matrix> f) {
            return new Layer(attnNorm, f.apply(wq), f.apply(wk), f.apply(wv), f.apply(wo), bq, bk, bv, qNorm, kNorm, ffnNorm,
                    f.apply(ffnGate), f.apply(ffnUp), f.apply(ffnDown));
        }

        /** The layer's seven matrices, in the order of the record. */
        public Matrix[] matrices() {
            return new Matrix[] {wq, wk, wv, wo, ffnGate, ffnUp, ffnDown};
        }
    }

    public Weights(GgufFile f, ModelConfig c) {
        this(f, c, true);
    }

    /**
     * @param interleave lay out the matrices for their decode kernels where that applies ({@link Matrix#interleave}),
     *                   and copy the others of a huge page or more into huge pages where the file offers them
     *                   ({@link GgufFile#largePages}); false keeps every matrix a view of the file (results are the
     *                   same bit for bit, but for decode rows times Q4_K matrices: their kernel's sums differ by float
     *                   rounding)
     */
    public Weights(GgufFile f, ModelConfig c, boolean interleave) {
        Matrix embd = matrix(f, "token_embd.weight", c.vocabSize(), c.dim());
        GgufTensor out = f.tensor("output.weight");
        Matrix output = out == null ? embd : matrix(f, "output.weight", c.vocabSize(), c.dim());
        outputNorm = vector(f, "output_norm.weight", c.dim());
        ropeFreqs = f.tensor("rope_freqs.weight") == null ? null : vector(f, "rope_freqs.weight", c.headDim() / 2);
        layers = new Layer[c.layers()];
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            layers[i] = new Layer(
                    vector(f, p + "attn_norm.weight", c.dim()),
                    matrix(f, p + "attn_q.weight", c.qDim(), c.dim()),
                    matrix(f, p + "attn_k.weight", c.kvDim(), c.dim()),
                    matrix(f, p + "attn_v.weight", c.kvDim(), c.dim()),
                    matrix(f, p + "attn_output.weight", c.dim(), c.qDim()),
                    c.qkvBias() ? vector(f, p + "attn_q.bias", c.qDim()) : null,
                    c.qkvBias() ? vector(f, p + "attn_k.bias", c.kvDim()) : null,
                    c.qkvBias() ? vector(f, p + "attn_v.bias", c.kvDim()) : null,
                    c.qkNorm() ? vector(f, p + "attn_q_norm.weight", c.headDim()) : null,
                    c.qkNorm() ? vector(f, p + "attn_k_norm.weight", c.headDim()) : null,
                    vector(f, p + "ffn_norm.weight", c.dim()),
                    matrix(f, p + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    matrix(f, p + "ffn_up.weight", c.ffnDim(), c.dim()),
                    matrix(f, p + "ffn_down.weight", c.dim(), c.ffnDim()));
        }
        if (interleave) {
            // the matrices' copies in the decode kernels' layout or in huge pages, made over the cores (page faults and
            // copying: ~0.4 s for 600 MB on one core); the embeddings are only looked up by row, kept as they are unless tied
            IntStream.range(0, layers.length).parallel().forEach(i -> layers[i] = layers[i].withMatrices(m -> laidOut(f, m)));
            output = laidOut(f, output);
        }
        this.output = output;
        this.tokenEmbd = out == null ? output : embd;
    }

    private static Matrix matrix(GgufFile f, String name, int rows, int cols) {
        GgufTensor t = f.requireTensor(name);
        if (t.shape().length > 2 || t.cols() != cols || t.rows() != rows) {
            throw new GgufException(f.source() + ": tensor '" + name + "' has shape " + t.shapeString()
                    + ", expected [" + cols + ", " + rows + "] from the model's metadata");
        }
        return Matrix.of(t);
    }

    /**
     * {@code m} in memory of its own that lives as long as the file: interleaved ({@link Matrix#interleave}) where that
     * layout applies (Q4_0, Q8_0, Q4_K, Q5_K and Q6_K on 512-bit vectors), or else, where the file's allocations are in
     * huge pages ({@link GgufFile#largePages}), copied as it is: decode streams every weight once per token, and the
     * mapped file's 4 KiB pages cost it a page-table walk every 4 KiB. The 1.1B F16 file's decode, two threads,
     * alternated four times: 17.7-23.4 t/s read from the mapping, 25.3-26.8 copied (llama.cpp 26.0-27.1), while the
     * machine read ~75 GB/s; at ~50 GB/s no gain (docs/perf.md, fifteenth block). A copy in 4 KiB pages was no faster
     * (docs/kernels.md). Smaller matrices than a huge page stay in the mapping. The file's
     * pages of a copied matrix are not read again, so they leave the process's resident set: the model still takes
     * about its file's size in memory.
     */
    private static Matrix laidOut(GgufFile f, Matrix m) {
        Matrix x = m.interleave(bytes -> f.allocate(bytes, 64));
        if (x == m && f.largePages() && m.data().byteSize() >= GgufFile.LARGE_PAGE_BYTES) {
            MemorySegment copy = f.allocate(m.data().byteSize(), 64);
            copy.copyFrom(m.data());
            x = new Matrix(m.name(), m.type(), copy, m.rows(), m.cols());
        }
        if (x != m) f.release(m.data());
        return x;
    }

    private static float[] vector(GgufFile f, String name, int n) {
        GgufTensor t = f.requireTensor(name);
        if (t.elements() != n) {
            throw new GgufException(f.source() + ": tensor '" + name + "' has " + t.elements() + " elements, expected " + n);
        }
        if (!t.type().supported() || t.type().quantized() && n % t.type().blockSize() != 0) {
            throw new GgufException(f.source() + ": tensor '" + name + "' has unsupported type " + t.type());
        }
        float[] v = new float[n];
        Quant.dequantize(t.type(), t.data(), 0, v, 0, n);
        return v;
    }

    /**
     * The type of most of the layers' weights: the model's main quantization (Q4_K for a Q4_K_M file, whose Q6_K matrices
     * are a minority of the layers'; the output matrix, Q6_K there and in a 20M model most of the weights, is not counted:
     * a prompt multiplies it for its last token only). The first of equal counts in the layers' order.
     */
    public GgmlType mainType() {
        long[] weights = new long[GgmlType.values().length];
        GgmlType main = layers[0].wq().type();
        for (Layer l : layers) {
            for (Matrix m : l.matrices()) {
                int t = m.type().ordinal();
                weights[t] += (long) m.rows() * m.cols();
                if (weights[t] > weights[main.ordinal()]) main = m.type();
            }
        }
        return main;
    }

    /** Bytes of weights read for one token: the output matrix and every layer's (the embedding row is negligible). */
    public long bytesPerToken() {
        long sum = output.type().byteSize((long) output.rows() * output.cols());
        for (Layer l : layers) {
            for (Matrix m : l.matrices()) sum += m.type().byteSize((long) m.rows() * m.cols());
        }
        return sum;
    }

}
