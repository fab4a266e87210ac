package dev.hearth.cli;

import dev.hearth.engine.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a tiny random-weight Llama GGUF (F32, dim 64, 2 layers, 300-token SentencePiece-style
 * vocabulary with byte fallback) for commands that load a model.
 */
final class TinyModelFile {
    private TinyModelFile() {}

    static final int DIM = 64, LAYERS = 2, HEADS = 4, KV_HEADS = 2, FFN = 128, VOCAB = 300;

    static Path write(Path file) throws java.io.IOException {
        var rnd = new SplittableRandom(11);
        var w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.name", "tiny-cli");
        w.putU32("general.file_type", 0);
        w.putU32("llama.context_length", 512);
        w.putU32("llama.embedding_length", DIM);
        w.putU32("llama.block_count", LAYERS);
        w.putU32("llama.feed_forward_length", FFN);
        w.putU32("llama.attention.head_count", HEADS);
        w.putU32("llama.attention.head_count_kv", KV_HEADS);
        w.putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        String[] tokens = new String[VOCAB];
        float[] scores = new float[VOCAB];
        int[] types = new int[VOCAB];
        tokens[0] = "<unk>";
        types[0] = 2;
        tokens[1] = "<s>";
        types[1] = 3;
        tokens[2] = "</s>";
        types[2] = 3;
        for (int b = 0; b < 256; b++) {
            tokens[3 + b] = String.format("<0x%02X>", b);
            types[3 + b] = 6;
        }
        String[] pieces = {"▁", "e", "t", "a", "o", "n", "h", "s", "r", "d", "l", "i", "▁t", "he", "▁the", "▁a", "in", "er", "an", "▁s"};
        int i = 259;
        for (int j = 0; i < VOCAB; j++, i++) {
            tokens[i] = j < pieces.length ? pieces[j] : "▁w" + j;
            scores[i] = -j;
            types[i] = 1;
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putFloats("tokenizer.ggml.scores", scores);
        w.putInts("tokenizer.ggml.token_type", types);
        w.putU32("tokenizer.ggml.bos_token_id", 1);
        w.putU32("tokenizer.ggml.eos_token_id", 2);
        w.putU32("tokenizer.ggml.unknown_token_id", 0);

        int kvDim = KV_HEADS * (DIM / HEADS);
        w.addF32("token_embd.weight", new long[] {DIM, VOCAB}, random(DIM * VOCAB, 0.5, rnd));
        w.addF32("output_norm.weight", new long[] {DIM}, ones(DIM));
        w.addF32("output.weight", new long[] {DIM, VOCAB}, random(DIM * VOCAB, 0.1, rnd));
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            w.addF32(p + "attn_norm.weight", new long[] {DIM}, ones(DIM));
            w.addF32(p + "attn_q.weight", new long[] {DIM, DIM}, random(DIM * DIM, 0.1, rnd));
            w.addF32(p + "attn_k.weight", new long[] {DIM, kvDim}, random(DIM * kvDim, 0.1, rnd));
            w.addF32(p + "attn_v.weight", new long[] {DIM, kvDim}, random(DIM * kvDim, 0.1, rnd));
            w.addF32(p + "attn_output.weight", new long[] {DIM, DIM}, random(DIM * DIM, 0.1, rnd));
            w.addF32(p + "ffn_norm.weight", new long[] {DIM}, ones(DIM));
            w.addF32(p + "ffn_gate.weight", new long[] {DIM, FFN}, random(DIM * FFN, 0.1, rnd));
            w.addF32(p + "ffn_up.weight", new long[] {DIM, FFN}, random(DIM * FFN, 0.1, rnd));
            w.addF32(p + "ffn_down.weight", new long[] {FFN, DIM}, random(DIM * FFN, 0.1, rnd));
        }
        w.write(file);
        return file;
    }

    private static float[] random(int n, double scale, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rnd.nextGaussian() * scale);
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }
}
