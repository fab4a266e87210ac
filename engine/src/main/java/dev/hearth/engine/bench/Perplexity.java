package dev.hearth.engine.bench;

import dev.hearth.engine.model.Batch;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.model.Transformer;

/**
 * Perplexity computed the way llama.cpp's {@code llama-perplexity} computes it (without
 * {@code --ppl-stride}), so the two figures can be compared:
 * <ul>
 * <li>the text is tokenized once, with BOS first when the vocabulary adds one;</li>
 * <li>it is cut into {@code floor(tokens / ctx)} non-overlapping chunks of {@code ctx} tokens (the
 *     rest is dropped), each evaluated from an empty cache at positions {@code 0..ctx-1};</li>
 * <li>the first token of every chunk is replaced by BOS (when the vocabulary adds one);</li>
 * <li>only the second half is scored: the logits at positions {@code ctx/2 .. ctx-2} predict the
 *     tokens at {@code ctx/2+1 .. ctx-1}, {@code ctx - ctx/2 - 1} predictions per chunk;</li>
 * <li>{@code PPL = exp(mean NLL)}, and its error estimate is {@code PPL x sqrt(var(NLL) / (count - 1))}
 *     with the population variance of the per-token NLL, as llama.cpp prints after "+/-".</li>
 * </ul>
 */
public final class Perplexity {
    private Perplexity() {}

    /**
     * @param runningPpl perplexity over all chunks so far, after each chunk (llama.cpp's {@code [1]x,[2]y,...})
     */
    public record Result(double ppl, double error, int chunks, int contextLength, long scoredTokens, double meanNll,
                         double[] runningPpl) {}

    /** Called after each chunk with the perplexity so far. */
    @FunctionalInterface
    public interface Progress {
        void chunkDone(int chunk, int chunks, double runningPpl);
    }

    /**
     * @param tokens    the whole text's tokens, BOS first when the vocabulary adds one
     * @param ctx       chunk length ({@code -c}); at least 4 and even numbers behave as in llama.cpp
     * @param bos       BOS id to put first in every chunk, or -1 for none
     * @param maxChunks evaluate at most this many chunks; 0 or less = all
     */
    public static Result compute(Transformer model, int[] tokens, int ctx, int bos, int maxChunks, Progress progress) {
        if (ctx < 4) throw new IllegalArgumentException("context must be at least 4 tokens, got " + ctx);
        if (tokens.length < 2 * ctx) {
            throw new IllegalArgumentException("the text has " + tokens.length + " tokens; perplexity with a context of " + ctx
                    + " needs at least " + 2 * ctx + " (as llama-perplexity): give a longer text or a smaller -c");
        }
        int chunks = tokens.length / ctx;
        if (maxChunks > 0) chunks = Math.min(chunks, maxChunks);
        final int first = ctx / 2;
        final int vocab = model.config().vocabSize();
        var cache = new KvCache(model.config(), ctx);
        var batch = new Batch();
        double nll = 0, nll2 = 0;
        long count = 0;
        double[] running = new double[chunks];

        for (int c = 0; c < chunks; c++) {
            int start = c * ctx;
            // Feed the chunk in pieces of at most Session.CHUNK rows (bounded activation memory),
            // asking for logits only where they are scored.
            for (int from = 0; from < ctx; from += Session.CHUNK) {
                int to = Math.min(ctx, from + Session.CHUNK);
                batch.clear();
                for (int p = from; p < to; p++) {
                    int token = p == 0 && bos >= 0 ? bos : tokens[start + p];
                    batch.addPrompt(token, p, cache, p >= first && p < ctx - 1);
                }
                float[][] logits = model.forward(batch);
                for (int p = Math.max(from, first); p < Math.min(to, ctx - 1); p++) {
                    double lp = logSoftmax(logits[p - from], vocab, tokens[start + p + 1]);
                    nll -= lp;
                    nll2 += lp * lp;
                    count++;
                }
            }
            running[c] = Math.exp(nll / count);
            if (progress != null) progress.chunkDone(c + 1, chunks, running[c]);
        }
        double mean = nll / count;
        double var = nll2 / count - mean * mean;
        double ppl = Math.exp(mean);
        double err = var > 0 && count > 1 ? Math.sqrt(var / (count - 1)) * ppl : Double.NaN;
        return new Result(ppl, err, chunks, ctx, count, mean, running);
    }

    /** {@code log p(token)} under the softmax of {@code logits[0..n)}, with the sum in double precision. */
    static double logSoftmax(float[] logits, int n, int token) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(logits[i] - max);
        return logits[token] - max - Math.log(sum);
    }
}
