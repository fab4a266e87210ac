package dev.hearth.engine.bench;

/**
 * One llama-bench test: {@code pp<N>} prefills N prompt tokens in one batch, {@code tg<N>} generates N
 * tokens one forward pass at a time.
 */
public record BenchTest(int nPrompt, int nGen) {
    public BenchTest {
        if (nPrompt < 0 || nGen < 0 || nPrompt + nGen == 0) {
            throw new IllegalArgumentException("a test needs prompt or generated tokens (got prompt " + nPrompt + ", gen " + nGen + ")");
        }
    }

    public static BenchTest prompt(int n) {
        return new BenchTest(n, 0);
    }

    public static BenchTest gen(int n) {
        return new BenchTest(0, n);
    }

    /** Tokens the test processes, the numerator of its tokens per second. */
    public int tokens() {
        return nPrompt + nGen;
    }

    /** llama-bench's name: {@code pp512}, {@code tg128}, or {@code pp512+tg128}. */
    public String name() {
        if (nGen == 0) return "pp" + nPrompt;
        if (nPrompt == 0) return "tg" + nGen;
        return "pp" + nPrompt + "+tg" + nGen;
    }

    public boolean isGeneration() {
        return nGen > 0 && nPrompt == 0;
    }
}
