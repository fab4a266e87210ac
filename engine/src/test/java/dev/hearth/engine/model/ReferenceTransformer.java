package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.kernel.Matrix;

/**
 * A slow, obviously-correct forward pass for differential tests: one sequence, no KV cache (every
 * position recomputes attention over the whole prefix), double precision, weights fully dequantized
 * up front, written straight from the Llama / Qwen papers with no shared code from the engine's
 * forward pass. Only the metadata parsing ({@link ModelConfig}) and dequantization are shared.
 */
final class ReferenceTransformer {
    final ModelConfig c;
    final double[][] embd, output;
    final double[] outNorm, ropeFreqs;
    final double[][] attnNorm, ffnNorm, bq, bk, bv, qNorm, kNorm;
    final double[][][] wq, wk, wv, wo, gate, up, down;
    /**
     * 0, or the block size (32 or 256) of an 8-bit activation quantization applied to every matmul
     * input, as the engine's integer path does: {@code d = max|x| / 127}, {@code x = d * rint(x / d)}
     * per block. Lets tests check the integer path tightly: its only intended error is that rounding.
     */
    final int activationBlock;

    ReferenceTransformer(GgufFile f) {
        this(f, 0);
    }

    ReferenceTransformer(GgufFile f, int activationBlock) {
        this.activationBlock = activationBlock;
        c = ModelConfig.from(f);
        embd = matrix(f, "token_embd.weight");
        output = f.tensor("output.weight") != null ? matrix(f, "output.weight") : embd;
        outNorm = vector(f, "output_norm.weight");
        ropeFreqs = f.tensor("rope_freqs.weight") != null ? vector(f, "rope_freqs.weight") : null;
        int L = c.layers();
        attnNorm = new double[L][]; ffnNorm = new double[L][];
        bq = new double[L][]; bk = new double[L][]; bv = new double[L][]; qNorm = new double[L][]; kNorm = new double[L][];
        wq = new double[L][][]; wk = new double[L][][]; wv = new double[L][][]; wo = new double[L][][];
        gate = new double[L][][]; up = new double[L][][]; down = new double[L][][];
        for (int l = 0; l < L; l++) {
            String p = "blk." + l + ".";
            attnNorm[l] = vector(f, p + "attn_norm.weight");
            ffnNorm[l] = vector(f, p + "ffn_norm.weight");
            wq[l] = matrix(f, p + "attn_q.weight"); wk[l] = matrix(f, p + "attn_k.weight");
            wv[l] = matrix(f, p + "attn_v.weight"); wo[l] = matrix(f, p + "attn_output.weight");
            gate[l] = matrix(f, p + "ffn_gate.weight"); up[l] = matrix(f, p + "ffn_up.weight"); down[l] = matrix(f, p + "ffn_down.weight");
            if (f.tensor(p + "attn_q.bias") != null) {
                bq[l] = vector(f, p + "attn_q.bias"); bk[l] = vector(f, p + "attn_k.bias"); bv[l] = vector(f, p + "attn_v.bias");
            }
            if (f.tensor(p + "attn_q_norm.weight") != null) {
                qNorm[l] = vector(f, p + "attn_q_norm.weight"); kNorm[l] = vector(f, p + "attn_k_norm.weight");
            }
        }
    }

    /** Logits after each of the tokens, as if fed one after the other from position 0. */
    double[][] logits(int[] tokens) {
        int n = tokens.length, hd = c.headDim();
        double[][] x = new double[n][];
        for (int t = 0; t < n; t++) x[t] = embd[tokens[t]].clone();
        for (int l = 0; l < c.layers(); l++) {
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], attnNorm[l]);
                q[t] = add(matVec(wq[l], h), bq[l]);
                k[t] = add(matVec(wk[l], h), bk[l]);
                v[t] = add(matVec(wv[l], h), bv[l]);
                for (int head = 0; head < c.heads(); head++) headNormAndRope(q[t], head * hd, qNorm[l], t);
                for (int head = 0; head < c.kvHeads(); head++) headNormAndRope(k[t], head * hd, kNorm[l], t);
                // attention at llama.cpp's precision: float16 keys, values and queries
                half(q[t]); half(k[t]); half(v[t]);
            }
            for (int t = 0; t < n; t++) {
                double[] out = new double[c.qDim()];
                for (int head = 0; head < c.heads(); head++) {
                    int kvHead = head / (c.heads() / c.kvHeads());
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int i = 0; i < hd; i++) dot += q[t][head * hd + i] * k[s][kvHead * hd + i];
                        scores[s] = dot / Math.sqrt(hd);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) sum += scores[s] = Math.exp(scores[s] - max);
                    for (int s = 0; s <= t; s++) {
                        double p = half(scores[s] / sum);   // float16 attention weights, as llama.cpp
                        for (int i = 0; i < hd; i++) out[head * hd + i] += p * v[s][kvHead * hd + i];
                    }
                }
                double[] o = matVec(wo[l], out);
                for (int i = 0; i < c.dim(); i++) x[t][i] += o[i];
            }
            for (int t = 0; t < n; t++) {
                double[] h = rmsNorm(x[t], ffnNorm[l]);
                double[] g = matVec(gate[l], h), u = matVec(up[l], h);
                for (int i = 0; i < g.length; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                double[] d = matVec(down[l], g);
                for (int i = 0; i < c.dim(); i++) x[t][i] += d[i];
            }
        }
        double[][] logits = new double[n][];
        for (int t = 0; t < n; t++) logits[t] = matVec(output, rmsNorm(x[t], outNorm));
        return logits;
    }

    /** Optional per-head RMSNorm (Qwen3), then RoPE at position pos. */
    private void headNormAndRope(double[] vec, int o, double[] norm, int pos) {
        int hd = c.headDim();
        if (norm != null) {
            double ss = 0;
            for (int i = 0; i < hd; i++) ss += vec[o + i] * vec[o + i];
            double scale = 1 / Math.sqrt(ss / hd + c.rmsEps());
            for (int i = 0; i < hd; i++) vec[o + i] = vec[o + i] * scale * norm[i];
        }
        for (int i = 0; i < hd / 2; i++) {
            double freq = Math.pow(c.ropeTheta(), -2.0 * i / hd) * c.ropeScale();
            if (ropeFreqs != null) freq /= ropeFreqs[i];
            double angle = pos * freq;
            int a = c.ropeNeox() ? o + i : o + 2 * i;
            int b = c.ropeNeox() ? o + i + hd / 2 : o + 2 * i + 1;
            double x0 = vec[a], x1 = vec[b];
            vec[a] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
            vec[b] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
        }
    }

    private double[] rmsNorm(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double scale = 1 / Math.sqrt(ss / x.length + c.rmsEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * scale * w[i];
        return out;
    }

    private double[] matVec(double[][] m, double[] x) {
        if (activationBlock > 0) x = quantize8(x, activationBlock);
        double[] out = new double[m.length];
        for (int r = 0; r < m.length; r++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) s += m[r][i] * x[i];
            out[r] = s;
        }
        return out;
    }

    private static double[] add(double[] a, double[] b) {
        if (b != null) for (int i = 0; i < a.length; i++) a[i] += b[i];
        return a;
    }

    private static double[][] matrix(GgufFile f, String name) {
        Matrix m = Matrix.of(f.requireTensor(name));
        double[][] out = new double[m.rows()][m.cols()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.row(r, row, 0);
            for (int i = 0; i < row.length; i++) out[r][i] = row[i];
        }
        return out;
    }

    private static double[] vector(GgufFile f, String name) {
        GgufTensor t = f.requireTensor(name);
        float[] v = new float[(int) t.elements()];
        dev.hearth.engine.kernel.Quant.dequantize(t.type(), t.data(), 0, v, 0, v.length);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    private static double[] quantize8(double[] x, int block) {
        double[] q = new double[x.length];
        for (int o = 0; o < x.length; o += block) {
            double amax = 0;
            for (int i = o; i < o + block; i++) amax = Math.max(amax, Math.abs(x[i]));
            // llama.cpp's rounding: q = rint(x * 127 / amax); a 32-value (Q8_0) block stores d as float16.
            double d = amax / 127, scale = block == 32 ? half(d) : d;
            for (int i = o; i < o + block; i++) q[i] = amax == 0 ? 0 : Math.rint(x[i] * 127 / amax) * scale;
        }
        return q;
    }

    static double half(double v) {
        return Float.float16ToFloat(Float.floatToFloat16((float) v));
    }

    static void half(double[] v) {
        for (int i = 0; i < v.length; i++) v[i] = half(v[i]);
    }
}
