package dev.hearth.engine.bench;

/**
 * One llama-bench test: {@code pp<N>} prefills N prompt tokens in one batch, {@code tg<N>} generates N
 * tokens one forward pass at a time; with a depth D, either runs after D tokens already in the context
 * (llama-bench's {@code -d}: {@code tg128 @ d2048}), which is what attention over a long chat costs.
 */
public record BenchTest(int nPrompt, int nGen, int nDepth) {
    public BenchTest {
        if (nPrompt < 0 || nGen < 0 || nPrompt + nGen == 0) {
            throw new IllegalArgumentException("a test needs prompt or generated tokens (got prompt " + nPrompt + ", gen " + nGen + ")");
        }
        if (nDepth < 0) throw new IllegalArgumentException("depth must not be negative, got " + nDepth);
    }

    /** A test from an empty context. */
    public BenchTest(int nPrompt, int nGen) {
        this(nPrompt, nGen, 0);
    }

    public static BenchTest prompt(int n) {
        return new BenchTest(n, 0);
    }

    public static BenchTest gen(int n) {
        return new BenchTest(0, n);
    }

    /** This test after {@code depth} tokens of context. */
    public BenchTest atDepth(int depth) {
        return new BenchTest(nPrompt, nGen, depth);
    }

    /** Tokens the test processes, the numerator of its tokens per second (the depth is not timed). */
    public int tokens() {
        return nPrompt + nGen;
    }

    /** llama-bench's name: {@code pp512}, {@code tg128}, {@code pp512+tg128}, with {@code " @ d<D>"} at a depth. */
    public String name() {
        String base = nGen == 0 ? "pp" + nPrompt : nPrompt == 0 ? "tg" + nGen : "pp" + nPrompt + "+tg" + nGen;
        return nDepth == 0 ? base : base + " @ d" + nDepth;
    }

    public boolean isGeneration() {
        return nGen > 0 && nPrompt == 0;
    }
}
