package dev.hearth.engine.model;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Builds tiny random-weight models in memory (through {@link GgufWriter}) for tests: any supported
 * architecture, any tensor type for the matrices, with a small SentencePiece-style vocabulary so the
 * tokenizer loads too.
 */
public final class TinyModels {
    private TinyModels() {}

    /** Shape and features of a generated model. */
    public record Spec(String arch, GgmlType matrixType, int dim, int layers, int heads, int kvHeads, int ffn,
                       int vocab, int context, boolean tiedEmbeddings, boolean ropeFreqs, long seed) {
        public static Spec of(String arch, GgmlType type) {
            return new Spec(arch, type, 256, 2, 4, 2, 512, 320, 256, arch.equals("qwen2"), false, 42);
        }

        public Spec withTied(boolean tied) { return new Spec(arch, matrixType, dim, layers, heads, kvHeads, ffn, vocab, context, tied, ropeFreqs, seed); }
        public Spec withRopeFreqs(boolean rf) { return new Spec(arch, matrixType, dim, layers, heads, kvHeads, ffn, vocab, context, tiedEmbeddings, rf, seed); }
        public Spec withVocab(int v) { return new Spec(arch, matrixType, dim, layers, heads, kvHeads, ffn, v, context, tiedEmbeddings, ropeFreqs, seed); }
        public Spec withContext(int ctx) { return new Spec(arch, matrixType, dim, layers, heads, kvHeads, ffn, vocab, ctx, tiedEmbeddings, ropeFreqs, seed); }
    }

    public static GgufFile build(Spec s) {
        return writer(s).toGguf("tiny-" + s.arch() + "-" + s.matrixType());
    }

    public static GgufWriter writer(Spec s) {
        var rnd = new SplittableRandom(s.seed());
        int headDim = s.dim() / s.heads();
        var w = new GgufWriter();
        String a = s.arch();
        w.putString("general.architecture", a);
        w.putString("general.name", "tiny-" + a);
        w.putU32(a + ".context_length", s.context());
        w.putU32(a + ".embedding_length", s.dim());
        w.putU32(a + ".block_count", s.layers());
        w.putU32(a + ".feed_forward_length", s.ffn());
        w.putU32(a + ".attention.head_count", s.heads());
        w.putU32(a + ".attention.head_count_kv", s.kvHeads());
        w.putF32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
        w.putF32(a + ".rope.freq_base", a.equals("llama") ? 10000f : 1000000f);
        addVocab(w, s.vocab());

        w.addTensor("token_embd.weight", s.matrixType(), new long[] {s.dim(), s.vocab()}, encode(s.matrixType(), s.vocab(), s.dim(), rnd));
        w.addF32("output_norm.weight", new long[] {s.dim()}, norm(s.dim(), rnd));
        if (!s.tiedEmbeddings()) {
            w.addTensor("output.weight", s.matrixType(), new long[] {s.dim(), s.vocab()}, encode(s.matrixType(), s.vocab(), s.dim(), rnd));
        }
        if (s.ropeFreqs()) {
            float[] f = new float[headDim / 2];
            for (int i = 0; i < f.length; i++) f[i] = 1f + (float) rnd.nextDouble() * 7f;
            w.addF32("rope_freqs.weight", new long[] {f.length}, f);
        }
        int qDim = s.heads() * headDim, kvDim = s.kvHeads() * headDim;
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addF32(p + "attn_norm.weight", new long[] {s.dim()}, norm(s.dim(), rnd));
            w.addTensor(p + "attn_q.weight", s.matrixType(), new long[] {s.dim(), qDim}, encode(s.matrixType(), qDim, s.dim(), rnd));
            w.addTensor(p + "attn_k.weight", s.matrixType(), new long[] {s.dim(), kvDim}, encode(s.matrixType(), kvDim, s.dim(), rnd));
            w.addTensor(p + "attn_v.weight", s.matrixType(), new long[] {s.dim(), kvDim}, encode(s.matrixType(), kvDim, s.dim(), rnd));
            w.addTensor(p + "attn_output.weight", s.matrixType(), new long[] {qDim, s.dim()}, encode(s.matrixType(), s.dim(), qDim, rnd));
            if (a.equals("qwen2")) {
                w.addF32(p + "attn_q.bias", new long[] {qDim}, small(qDim, rnd));
                w.addF32(p + "attn_k.bias", new long[] {kvDim}, small(kvDim, rnd));
                w.addF32(p + "attn_v.bias", new long[] {kvDim}, small(kvDim, rnd));
            }
            if (a.equals("qwen3")) {
                w.addF32(p + "attn_q_norm.weight", new long[] {headDim}, norm(headDim, rnd));
                w.addF32(p + "attn_k_norm.weight", new long[] {headDim}, norm(headDim, rnd));
            }
            w.addF32(p + "ffn_norm.weight", new long[] {s.dim()}, norm(s.dim(), rnd));
            w.addTensor(p + "ffn_gate.weight", s.matrixType(), new long[] {s.dim(), s.ffn()}, encode(s.matrixType(), s.ffn(), s.dim(), rnd));
            w.addTensor(p + "ffn_up.weight", s.matrixType(), new long[] {s.dim(), s.ffn()}, encode(s.matrixType(), s.ffn(), s.dim(), rnd));
            w.addTensor(p + "ffn_down.weight", s.matrixType(), new long[] {s.ffn(), s.dim()}, encode(s.matrixType(), s.dim(), s.ffn(), rnd));
        }
        return w;
    }

    /**
     * A SentencePiece-style vocabulary: 0 unk, 1 BOS, 2 EOS, 256 byte tokens, then '▁' + letters and
     * a few merged pieces, padded with filler words to the requested size.
     */
    static void addVocab(GgufWriter w, int vocab) {
        String[] tokens = new String[vocab];
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        tokens[0] = "<unk>"; types[0] = 2;
        tokens[1] = "<s>"; types[1] = 3;
        tokens[2] = "</s>"; types[2] = 3;
        int i = 3;
        for (int b = 0; b < 256 && i < vocab; b++, i++) {
            tokens[i] = String.format("<0x%02X>", b);
            types[i] = 6;
        }
        String[] pieces = {"▁", "e", "t", "a", "o", "n", "h", "s", "r", "d", "l", "▁t", "he", "▁the", "▁a", "in", "er", "an", "▁h", "▁s"};
        for (int j = 0; j < pieces.length && i < vocab; j++, i++) {
            tokens[i] = pieces[j];
            scores[i] = -j;
            types[i] = 1;
        }
        for (int j = 0; i < vocab; j++, i++) {
            tokens[i] = "▁w" + j;
            scores[i] = -100 - j;
            types[i] = 1;
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putFloats("tokenizer.ggml.scores", scores);
        w.putInts("tokenizer.ggml.token_type", types);
        w.putU32("tokenizer.ggml.bos_token_id", 1);
        w.putU32("tokenizer.ggml.eos_token_id", 2);
        w.putU32("tokenizer.ggml.unknown_token_id", 0);
    }

    static float[] norm(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.8f + 0.4f * (float) rnd.nextDouble();
        return v;
    }

    static float[] small(int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 0.1f * (float) (rnd.nextDouble() - 0.5);
        return v;
    }

    /** Random encoded data for a rows x cols matrix of the given type. */
    static byte[] encode(GgmlType type, int rows, int cols, SplittableRandom rnd) {
        return switch (type) {
            case F32, F16 -> {
                ByteBuffer b = ByteBuffer.allocate(rows * cols * (type == GgmlType.F32 ? 4 : 2)).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < rows * cols; i++) {
                    float v = (float) (rnd.nextGaussian() * 0.08);
                    if (type == GgmlType.F32) b.putFloat(v); else b.putShort(Float.floatToFloat16(v));
                }
                yield b.array();
            }
            default -> dev.hearth.engine.kernel.RandomBlocks.generate(type, rows, cols, rnd.nextLong());
        };
    }
}
