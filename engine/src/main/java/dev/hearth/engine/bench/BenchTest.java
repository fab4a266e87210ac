package dev.hearth.engine.bench;

/**
 * One llama-bench test: {@code pp<N>} prefills N prompt tokens in one batch, {@code tg<N>} generates N
 * tokens one forward pass at a time; with a depth D, either runs after D tokens already in the context
 * (llama-bench's {@code -d}: {@code tg128 @ d2048}), which is what attention over a long chat costs. A
 * generation test may run B sequences together ({@code tg128 x4}, llama-batched-bench's {@code -npl B}):
 * each forward pass then takes one decode row of each, as a server's continuous batching does, and the test's
 * tokens, and so its t/s, are the aggregate of the B sequences (llama-batched-bench's S_TG).
 */
public record BenchTest(int nPrompt, int nGen, int nDepth, int nParallel) {
    public BenchTest {
        if (nPrompt < 0 || nGen < 0 || nPrompt + nGen == 0) {
            throw new IllegalArgumentException("a test needs prompt or generated tokens (got prompt " + nPrompt + ", gen " + nGen + ")");
        }
        if (nDepth < 0) throw new IllegalArgumentException("depth must not be negative, got " + nDepth);
        if (nParallel < 1) throw new IllegalArgumentException("parallel sequences must be at least 1, got " + nParallel);
        if (nParallel > 1 && nPrompt > 0) {
            throw new IllegalArgumentException("parallel sequences apply to generation tests only (tg<N>), not to a test with "
                    + nPrompt + " prompt tokens");
        }
    }

    /** A test of one sequence. */
    public BenchTest(int nPrompt, int nGen, int nDepth) {
        this(nPrompt, nGen, nDepth, 1);
    }

    /** A test of one sequence from an empty context. */
    public BenchTest(int nPrompt, int nGen) {
        this(nPrompt, nGen, 0, 1);
    }

    public static BenchTest prompt(int n) {
        return new BenchTest(n, 0);
    }

    public static BenchTest gen(int n) {
        return new BenchTest(0, n);
    }

    /** This test after {@code depth} tokens of context (in each sequence). */
    public BenchTest atDepth(int depth) {
        return new BenchTest(nPrompt, nGen, depth, nParallel);
    }

    /** This generation test with {@code sequences} sequences decoding together. */
    public BenchTest inParallel(int sequences) {
        return new BenchTest(nPrompt, nGen, nDepth, sequences);
    }

    /** Tokens the test processes, the numerator of its tokens per second: all sequences' (the depth is not timed). */
    public int tokens() {
        return (nPrompt + nGen) * nParallel;
    }

    /**
     * llama-bench's name: {@code pp512}, {@code tg128}, {@code pp512+tg128}; {@code " x<B>"} for B sequences together
     * and {@code " @ d<D>"} at a depth: {@code tg128 x4 @ d128}.
     */
    public String name() {
        String base = nGen == 0 ? "pp" + nPrompt : nPrompt == 0 ? "tg" + nGen : "pp" + nPrompt + "+tg" + nGen;
        if (nParallel > 1) base += " x" + nParallel;
        return nDepth == 0 ? base : base + " @ d" + nDepth;
    }

    public boolean isGeneration() {
        return nGen > 0 && nPrompt == 0;
    }
}
