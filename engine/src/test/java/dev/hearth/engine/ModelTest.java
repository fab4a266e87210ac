package dev.hearth.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.model.TinyModels;
import dev.hearth.engine.model.Transformer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModelTest {
    /** Logits of a 4-token prompt and of two decode steps after it, concatenated. */
    private static float[] run(Model m) {
        Session s = m.newSession();
        float[] prompt = s.feed(new int[] {1, 7, 42, 99});
        float[] a = s.next(5).clone();
        float[] b = s.next(6);
        float[] all = new float[prompt.length + a.length + b.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(a, 0, all, prompt.length, a.length);
        System.arraycopy(b, 0, all, prompt.length + a.length, b.length);
        return all;
    }

    @Test
    void warmUpLeavesTheModelComputingWhatItDidBefore(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        TinyModels.writer(TinyModels.Spec.of("llama", GgmlType.Q4_K)).write(file);
        try (Model m = Model.load(file, new Model.Options(64, 2, null))) {
            float[] before = run(m);
            assertThat(m.warmUp()).isPositive();
            assertThat(run(m)).containsExactly(before);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q8_0"})
    void warmUpFeedsBothKindsOfPrompt(GgmlType type, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        TinyModels.writer(TinyModels.Spec.of("llama", type)).write(file);
        try (Model m = Model.load(file, new Model.Options(64, 1, null))) {
            assertThat(m.transformer().isShortPrompt(m.warmUpPrompt())).as("the first prompt: prompt rows").isFalse();
            assertThat(m.transformer().isShortPrompt(Model.WARM_UP_SHORT_PROMPT)).as("the last: decode rows").isTrue();
        }
    }

    @Test
    void warmUpFitsAContextShorterThanItsOwnRun(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tiny.gguf");
        TinyModels.writer(TinyModels.Spec.of("qwen2", GgmlType.Q8_0)).write(file);
        for (int ctx : new int[] {1, 2, Model.WARM_UP_GENERATED, Transformer.SHORT_PROMPT_SMALL + Model.WARM_UP_PAST_SHORT + Model.WARM_UP_GENERATED - 1}) {
            try (Model m = Model.load(file, new Model.Options(ctx, 1, null))) {
                assertThat(m.warmUp()).as("context %d", ctx).isPositive();
            }
        }
    }
}
