package dev.hearth.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LogprobsTest {
    @Test
    void logSoftmaxOfChosenTokenAndTopAlternatives() {
        // probabilities 0.1, 0.6, 0.3 shifted by an arbitrary constant
        float[] logits = {(float) Math.log(0.1) + 7, (float) Math.log(0.6) + 7, (float) Math.log(0.3) + 7};
        var r = Logprobs.of(logits, 2, 2);
        assertThat(r.token()).isEqualTo(2);
        assertThat(r.logprob()).isCloseTo((float) Math.log(0.3), within(1e-5f));
        assertThat(r.topIds()).containsExactly(1, 2);
        assertThat(r.topLogprobs()[0]).isCloseTo((float) Math.log(0.6), within(1e-5f));
        assertThat(r.topLogprobs()[1]).isCloseTo((float) Math.log(0.3), within(1e-5f));
        assertThat(logits[0]).isEqualTo((float) Math.log(0.1) + 7); // input untouched
    }

    @Test
    void matchesDirectComputationOnLargeVocabulary() {
        var rnd = new SplittableRandom(9);
        float[] logits = new float[150_000];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (rnd.nextGaussian() * 4);
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);

        var r = Logprobs.of(logits, 777, 20);
        assertThat(r.logprob()).isCloseTo((float) (logits[777] - logZ), within(1e-4f));
        assertThat(r.topIds()).hasSize(20);
        int best = Sampler.argmax(logits);
        assertThat(r.topIds()[0]).isEqualTo(best);
        for (int i = 1; i < 20; i++) {
            assertThat(r.topLogprobs()[i]).isLessThanOrEqualTo(r.topLogprobs()[i - 1]);
        }
        // nothing outside the top 20 beats the 20th
        float cutoff = logits[r.topIds()[19]];
        int better = 0;
        for (float l : logits) if (l > cutoff) better++;
        assertThat(better).isEqualTo(19);
    }

    @Test
    void tiesGoToLowerIdsAndNaNIsImpossible() {
        float[] logits = {1f, 3f, Float.NaN, 3f, 2f};
        var r = Logprobs.of(logits, 2, 3);
        assertThat(r.topIds()).containsExactly(1, 3, 4);
        assertThat(r.logprob()).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Logprobs.of(logits, 0, 0).topIds()).isEmpty();
        assertThat(Logprobs.of(logits, 0, 10).topIds()).hasSize(5);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> Logprobs.of(new float[3], 3, 1)).hasMessageContaining("token id 3");
        assertThatThrownBy(() -> Logprobs.of(new float[3], 0, -1)).hasMessageContaining("topN");
    }
}
