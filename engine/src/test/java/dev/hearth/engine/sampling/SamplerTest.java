package dev.hearth.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final SamplerParams PLAIN = new SamplerParams(1f, 0, 1f, 0f, 1f, 64, 0f, 0f, 42L);

    private static float[] randomLogits(int n, long seed) {
        var r = new SplittableRandom(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * 3);
        return l;
    }

    private static double[] softmax(float[] logits, float temp) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temp);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    /** Draws many tokens from fresh copies of the logits and returns the frequencies. */
    private static double[] frequencies(Sampler s, float[] logits, int draws) {
        double[] f = new double[logits.length];
        for (int i = 0; i < draws; i++) f[s.sample(logits.clone())]++;
        for (int i = 0; i < f.length; i++) f[i] /= draws;
        return f;
    }

    @Test
    void greedyPicksArgmaxAndLowestIdOnTies() {
        var s = new Sampler(SamplerParams.greedy(), 6);
        assertThat(s.sample(new float[] {0.1f, 3f, -2f, 2.9f, Float.NaN, 1f})).isEqualTo(1);
        assertThat(s.sample(new float[] {1f, 5f, 2f, 5f, 5f, 0f})).isEqualTo(1);
        assertThat(s.sample(new float[] {Float.NaN, -1f, Float.NaN, -0.5f, -3f, -0.5f})).isEqualTo(3);
        float[] big = randomLogits(150_000, 7);
        big[123_456] = 100f;
        assertThat(new Sampler(SamplerParams.greedy(), big.length).sample(big)).isEqualTo(123_456);
    }

    @Test
    void sameSeedSameSequenceDifferentSeedsDiffer() {
        float[] logits = randomLogits(1000, 3);
        var params = SamplerParams.defaults().withSeed(1234).withTemperature(1.5f).withTopK(200).withMinP(0f).withTopP(1f);
        var a = new Sampler(params, logits.length);
        var b = new Sampler(params, logits.length);
        var c = new Sampler(params.withSeed(99), logits.length);
        int[] seqA = new int[200], seqB = new int[200], seqC = new int[200];
        for (int i = 0; i < 200; i++) {
            seqA[i] = a.sample(logits.clone());
            seqB[i] = b.sample(logits.clone());
            seqC[i] = c.sample(logits.clone());
        }
        assertThat(seqA).isEqualTo(seqB);
        assertThat(seqA).isNotEqualTo(seqC);
        assertThat(new HashSet<>(java.util.Arrays.stream(seqA).boxed().toList())).hasSizeGreaterThan(10); // really random
        // reset() restarts the sequence from the seed
        a.reset();
        for (int i = 0; i < 200; i++) assertThat(a.sample(logits.clone())).isEqualTo(seqA[i]);
    }

    @Test
    void topKOneEqualsGreedy() {
        var s = new Sampler(PLAIN.withTopK(1).withTemperature(5f), 50_000);
        for (long seed = 0; seed < 20; seed++) {
            float[] logits = randomLogits(50_000, seed);
            assertThat(s.sample(logits.clone())).isEqualTo(Sampler.argmax(logits));
        }
    }

    @Test
    void topKKeepsOnlyTheKBest() {
        float[] logits = {0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f};
        double[] f = frequencies(new Sampler(PLAIN.withTopK(3), 8), logits, 60_000);
        double[] p = softmax(new float[] {5f, 6f, 7f}, 1f);
        for (int i = 0; i < 5; i++) assertThat(f[i]).isZero();
        assertThat(f[5]).isCloseTo(p[0], within(0.01));
        assertThat(f[6]).isCloseTo(p[1], within(0.01));
        assertThat(f[7]).isCloseTo(p[2], within(0.01));
    }

    @Test
    void topKBreaksTiesByLowestId() {
        // Five tokens share the best logit; k=2 keeps ids 1 and 3, never 4, 6 or 7.
        float[] logits = {0f, 9f, 1f, 9f, 9f, 2f, 9f, 9f};
        double[] f = frequencies(new Sampler(PLAIN.withTopK(2), 8), logits, 20_000);
        assertThat(f[1] + f[3]).isEqualTo(1.0);
        assertThat(f[1]).isCloseTo(0.5, within(0.02));
    }

    @Test
    void topPKeepsSmallestPrefixReachingP() {
        // probabilities 0.5, 0.25, 0.125, 0.0625, 0.0625 (logits are their logs)
        float[] logits = {(float) Math.log(0.125), (float) Math.log(0.5), (float) Math.log(0.0625), (float) Math.log(0.25), (float) Math.log(0.0625)};
        // p = 0.7: 0.5 < 0.7, 0.75 >= 0.7 -> keep tokens 1 and 3 (renormalized 2/3, 1/3)
        double[] f = frequencies(new Sampler(PLAIN.withTopP(0.7f), 5), logits, 60_000);
        assertThat(f[0] + f[2] + f[4]).isZero();
        assertThat(f[1]).isCloseTo(2.0 / 3, within(0.01));
        assertThat(f[3]).isCloseTo(1.0 / 3, within(0.01));
        // p = 0.74: the second token (cumulative 0.75) still reaches it
        f = frequencies(new Sampler(PLAIN.withTopP(0.74f), 5), logits, 20_000);
        assertThat(f[0] + f[2] + f[4]).isZero();
        // p = 0.8 needs the third token (cumulative 0.875)
        f = frequencies(new Sampler(PLAIN.withTopP(0.8f), 5), logits, 60_000);
        assertThat(f[2] + f[4]).isZero();
        assertThat(f[0]).isCloseTo(0.125 / 0.875, within(0.01));
        // p = 0 keeps only the best token
        f = frequencies(new Sampler(PLAIN.withTopP(0f), 5), logits, 1000);
        assertThat(f[1]).isEqualTo(1.0);
    }

    @Test
    void topPOnLargeVocabularyDrawsOnlyFromTheNucleus() {
        // Peaked logits (nucleus of a few dozen tokens: the partial-selection path) and flat ones (thousands: full sort).
        for (double scale : new double[] {12, 1.5}) {
            var r = new SplittableRandom(17);
            float[] logits = new float[20_000];
            for (int i = 0; i < logits.length; i++) logits[i] = (float) (r.nextGaussian() * scale);
            float p = 0.9f;
            // brute force: sort all tokens by probability, take the smallest prefix reaching p
            double[] probs = softmax(logits, 1f);
            Integer[] order = new Integer[logits.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            java.util.Arrays.sort(order, (x, y) -> Double.compare(probs[y], probs[x]));
            var nucleus = new HashSet<Integer>();
            double cum = 0;
            for (Integer id : order) {
                nucleus.add(id);
                cum += probs[id];
                if (cum >= p) break;
            }
            var s = new Sampler(PLAIN.withTopP(p), logits.length);
            var seen = new HashSet<Integer>();
            for (int i = 0; i < 800; i++) {
                int t = s.sample(logits.clone());
                assertThat(nucleus).as("scale %s", scale).contains(t);
                seen.add(t);
            }
            assertThat(seen.size()).as("distinct tokens drawn at scale %s (nucleus %d)", scale, nucleus.size())
                    .isGreaterThan(Math.min(nucleus.size(), 800) / 4);
        }
    }

    @Test
    void topPAfterTopKUsesTheTopKDistribution() {
        // After top-k=2 the probabilities are 2/3 and 1/3, so top-p 0.6 keeps one token (on the full vocabulary
        // 0.5 < 0.6 would need two).
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.25)};
        double[] f = frequencies(new Sampler(PLAIN.withTopK(2).withTopP(0.6f), 3), logits, 2000);
        assertThat(f[0]).isEqualTo(1.0);
    }

    @Test
    void minPCutsTokensBelowFractionOfTheBest() {
        // probabilities 0.4, 0.3, 0.2, 0.1; min_p 0.3 -> threshold 0.12: token 3 goes
        float[] logits = {(float) Math.log(0.4), (float) Math.log(0.3), (float) Math.log(0.2), (float) Math.log(0.1)};
        double[] f = frequencies(new Sampler(PLAIN.withMinP(0.3f), 4), logits, 60_000);
        assertThat(f[3]).isZero();
        assertThat(f[0]).isCloseTo(0.4 / 0.9, within(0.01));
        assertThat(f[1]).isCloseTo(0.3 / 0.9, within(0.01));
        assertThat(f[2]).isCloseTo(0.2 / 0.9, within(0.01));
        // min_p 0.6 -> threshold 0.24: only 0.4 and 0.3 stay
        f = frequencies(new Sampler(PLAIN.withMinP(0.6f), 4), logits, 20_000);
        assertThat(f[2] + f[3]).isZero();
        // with top-p as well (top-p sorts only the tokens min-p keeps)
        f = frequencies(new Sampler(PLAIN.withMinP(0.3f).withTopP(0.95f), 4), logits, 20_000);
        assertThat(f[3]).isZero();
        assertThat(f[2]).isGreaterThan(0.15);
    }

    @Test
    void temperatureOneMatchesSoftmaxEmpirically() {
        float[] logits = randomLogits(12, 11);
        double[] p = softmax(logits, 1f);
        double[] f = frequencies(new Sampler(PLAIN, logits.length), logits, 400_000);
        for (int i = 0; i < logits.length; i++) {
            // 5 standard deviations of a binomial frequency
            double tol = 5 * Math.sqrt(p[i] * (1 - p[i]) / 400_000) + 1e-4;
            assertThat(f[i]).as("token %d", i).isCloseTo(p[i], within(tol));
        }
    }

    @Test
    void temperatureSharpensAndFlattens() {
        float[] logits = {1f, 2f, 3f};
        double[] hot = frequencies(new Sampler(PLAIN.withTemperature(2f), 3), logits, 200_000);
        double[] cold = frequencies(new Sampler(PLAIN.withTemperature(0.5f), 3), logits, 200_000);
        double[] pHot = softmax(logits, 2f), pCold = softmax(logits, 0.5f);
        for (int i = 0; i < 3; i++) {
            assertThat(hot[i]).isCloseTo(pHot[i], within(0.006));
            assertThat(cold[i]).isCloseTo(pCold[i], within(0.006));
        }
    }

    @Test
    void repeatPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        var s = new Sampler(SamplerParams.greedy().withRepeatPenalty(2f), 5);
        s.accept(0);
        s.accept(1);
        s.accept(1);
        float[] logits = {4f, -3f, 1f, 0.5f, 0f};
        s.sample(logits);
        assertThat(logits).containsExactly(2f, -6f, 1f, 0.5f, 0f);
    }

    @Test
    void frequencyAndPresencePenaltiesSubtractPerCountAndOnce() {
        var s = new Sampler(SamplerParams.greedy().withFrequencyPenalty(0.5f).withPresencePenalty(0.25f), 4);
        for (int t : new int[] {2, 0, 2, 2}) s.accept(t);
        float[] logits = {1f, 1f, 1f, 1f};
        s.sample(logits);
        // token 0: once -> 1 - 0.5 - 0.25; token 2: three times -> 1 - 1.5 - 0.25
        assertThat(logits).containsExactly(0.25f, 1f, -0.75f, 1f);
    }

    @Test
    void allPenaltiesCombineInLlamaCppOrder() {
        var s = new Sampler(SamplerParams.greedy().withRepeatPenalty(1.5f).withFrequencyPenalty(0.1f).withPresencePenalty(0.2f), 3);
        s.accept(0);
        s.accept(0);
        s.accept(1);
        float[] logits = {3f, -2f, 5f};
        int chosen = s.sample(logits);
        // 0: 3/1.5 - 2*0.1 - 0.2 = 1.6; 1: -2*1.5 - 0.1 - 0.2 = -3.3; 2 untouched
        assertThat(logits[0]).isCloseTo(1.6f, within(1e-6f));
        assertThat(logits[1]).isCloseTo(-3.3f, within(1e-6f));
        assertThat(logits[2]).isEqualTo(5f);
        assertThat(chosen).isEqualTo(2);
    }

    @Test
    void penaltiesLookOnlyAtTheLastNTokens() {
        var s = new Sampler(SamplerParams.greedy().withFrequencyPenalty(1f).withRepeatLastN(3), 4);
        for (int t : new int[] {0, 0, 1, 2, 3}) s.accept(t); // window: 1, 2, 3
        float[] logits = {0f, 0f, 0f, 0f};
        s.sample(logits);
        assertThat(logits).containsExactly(0f, -1f, -1f, -1f);

        s.reset();
        logits = new float[] {0f, 0f, 0f, 0f};
        s.sample(logits);
        assertThat(logits).containsExactly(0f, 0f, 0f, 0f);

        var all = new Sampler(SamplerParams.greedy().withFrequencyPenalty(1f).withRepeatLastN(-1), 4);
        for (int i = 0; i < 1000; i++) all.accept(i % 2);
        logits = new float[] {0f, 0f, 0f, 0f};
        all.sample(logits);
        assertThat(logits).containsExactly(-500f, -500f, 0f, 0f);

        var off = new Sampler(SamplerParams.greedy().withFrequencyPenalty(1f).withRepeatLastN(0), 4);
        off.accept(1);
        logits = new float[] {0f, 0f, 0f, 0f};
        off.sample(logits);
        assertThat(logits).containsExactly(0f, 0f, 0f, 0f);
    }

    @Test
    void penaltyChangesTheGreedyChoice() {
        var s = new Sampler(SamplerParams.greedy().withRepeatPenalty(1.3f), 3);
        s.accept(0);
        assertThat(s.sample(new float[] {2f, 1.8f, 0f})).isEqualTo(1); // 2 / 1.3 = 1.54 < 1.8
    }

    @Test
    void defaultsSampleFromLargeVocabulary() {
        var params = SamplerParams.defaults();
        assertThat(params.temperature()).isEqualTo(0.8f);
        assertThat(params.topK()).isEqualTo(40);
        assertThat(params.topP()).isEqualTo(0.95f);
        assertThat(params.minP()).isEqualTo(0.05f);
        assertThat(params.repeatPenalty()).isEqualTo(1f);
        assertThat(params.repeatLastN()).isEqualTo(64);
        assertThat(params.penalizes()).isFalse();
        float[] logits = randomLogits(150_000, 5);
        var top = new HashSet<Integer>();
        for (int id : Logprobs.of(logits, 0, 40).topIds()) top.add(id);
        var s = new Sampler(params, logits.length);
        for (int i = 0; i < 300; i++) assertThat(top).contains(s.sample(logits.clone()));
    }

    @Test
    void rejectsBadInput() {
        var s = new Sampler(PLAIN, 4);
        assertThatThrownBy(() -> s.sample(new float[3])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabulary of 4");
        assertThatThrownBy(() -> s.accept(4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 4");
        assertThatThrownBy(() -> s.sample(new float[] {Float.NaN, Float.NEGATIVE_INFINITY, Float.NaN, Float.NEGATIVE_INFINITY}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("-infinity or NaN");
        assertThatThrownBy(() -> new Sampler(PLAIN, 0)).hasMessageContaining("vocabSize");
    }

    @Test
    void parameterValidationNamesTheParameterAndRange() {
        assertThatThrownBy(() -> SamplerParams.greedy().withTemperature(-0.1f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("temperature").hasMessageContaining(">= 0");
        assertThatThrownBy(() -> SamplerParams.greedy().withTemperature(Float.NaN)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> SamplerParams.greedy().withTopK(-1)).hasMessageContaining("topK must be >= 0");
        assertThatThrownBy(() -> SamplerParams.greedy().withTopP(1.5f)).hasMessageContaining("topP must be between 0 and 1");
        assertThatThrownBy(() -> SamplerParams.greedy().withTopP(Float.NaN)).hasMessageContaining("topP");
        assertThatThrownBy(() -> SamplerParams.greedy().withMinP(-0.01f)).hasMessageContaining("minP must be between 0 and 1");
        assertThatThrownBy(() -> SamplerParams.greedy().withRepeatPenalty(0f)).hasMessageContaining("repeatPenalty must be a finite number > 0");
        assertThatThrownBy(() -> SamplerParams.greedy().withRepeatLastN(-2)).hasMessageContaining("repeatLastN must be >= -1");
        assertThatThrownBy(() -> SamplerParams.greedy().withFrequencyPenalty(Float.POSITIVE_INFINITY)).hasMessageContaining("frequencyPenalty");
        assertThatThrownBy(() -> SamplerParams.greedy().withPresencePenalty(Float.NaN)).hasMessageContaining("presencePenalty");
        // boundaries are accepted
        new SamplerParams(0f, 0, 0f, 1f, 0.01f, -1, -2f, 2f, 0L);
        new SamplerParams(2f, 100, 1f, 0f, 1f, 0, 0f, 0f, -1L);
    }
}
