package dev.hearth.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.SharedFiles;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.kernel.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against llama.cpp's outputs on the shared model files ({@code ../shared/reference/*.json}),
 * compared as {@code reference/README.md} prescribes: teacher-forced top-1 where the reference's top-2
 * margin exceeds 0.05, log-probabilities of the reference top-5 within 0.02 (F16/Q8_0) or 0.1
 * (K-quants and 4/5-bit types) on average and none beyond 5 times that, and free-running greedy
 * tokens up to the first near-tie.
 */
class ReferenceOutputsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"brown-llama-spm-q8_0", "brown-llama-spm-q4_k_m", "brown-qwen2-gpt2-q8_0",
            "tiny-llama-spm-q8_0", "tiny-llama-spm-q4_0", "tiny-llama-spm-q4_k_m", "tiny-llama-spm-q2_k",
            "tiny-qwen2-gpt2-f16"})
    void teacherForcedLogprobsAndGreedyTokensMatchLlamaCpp(String name) throws Exception {
        Path modelPath = SharedFiles.require("models/" + name + ".gguf");
        Path refPath = SharedFiles.require("reference/" + name + ".json");
        JsonNode ref = JSON.readTree(refPath.toFile());
        float tolerance = name.endsWith("q8_0") || name.endsWith("f16") ? 0.02f : 0.1f;

        try (GgufFile file = GgufFile.open(modelPath); Parallel pool = new Parallel(2)) {
            ModelConfig config = ModelConfig.from(file);
            Transformer model = new Transformer(config, new Weights(file, config), pool);
            List<String> problems = new ArrayList<>();
            double worst = 0, total = 0;
            int outside = 0;
            int compared = 0;
            for (JsonNode cse : ref.get("cases")) {
                int[] prompt = ints(cse.get("prompt_ids"));
                int[] generated = ints(cse.get("generated_ids"));
                JsonNode top5 = cse.get("top5");
                generated = java.util.Arrays.copyOf(generated, comparableLength(ref, cse));
                if (generated.length == 0) continue;

                // Teacher forcing as llama.cpp computed the reference: the prompt as one batch of prompt
                // rows, then each reference token as a decode row, logits after every position.
                Session forced = new Session(model, 1024);
                float[] last = forced.feed(prompt);
                for (int j = 0; j < generated.length; j++) {
                    if (j > 0) last = forced.next(generated[j - 1]);
                    double[] logprobs = logSoftmax(last);
                    JsonNode top = top5.get(j);
                    double margin = top.get(0).get("logprob").asDouble() - top.get(1).get("logprob").asDouble();
                    int ourTop = argmax(logprobs);
                    if (margin > 0.05 && ourTop != top.get(0).get("id").asInt()) {
                        problems.add("'" + cse.get("prompt").asText() + "' position " + j + ": top-1 " + ourTop
                                + " but llama.cpp " + top.get(0).get("id").asInt() + " (margin " + margin + ")");
                    }
                    for (JsonNode alt : top) {
                        double diff = Math.abs(logprobs[alt.get("id").asInt()] - alt.get("logprob").asDouble());
                        worst = Math.max(worst, diff);
                        total += diff;
                        compared++;
                        if (diff > tolerance) outside++;
                        if (diff > 5 * tolerance) {
                            problems.add("'" + cse.get("prompt").asText() + "' position " + j + " token " + alt.get("id").asInt()
                                    + ": logprob " + logprobs[alt.get("id").asInt()] + " vs " + alt.get("logprob").asDouble());
                        }
                    }
                }

                // Free-running greedy generation up to the first near-tie in the reference.
                Session s = new Session(model, 1024);
                float[] next = s.feed(prompt);
                for (int j = 0; j < generated.length; j++) {
                    JsonNode top = top5.get(j);
                    double margin = top.get(0).get("logprob").asDouble() - top.get(1).get("logprob").asDouble();
                    if (margin < 0.05) break;
                    int token = argmax(logSoftmax(next));
                    if (token != generated[j]) {
                        problems.add("'" + cse.get("prompt").asText() + "' greedy token " + j + ": " + token + " vs " + generated[j]);
                        break;
                    }
                    next = s.next(token);
                }
            }
            System.out.printf("%s: %d log-probabilities compared, mean |diff| %.4f, worst %.4f, %d (%.1f%%) beyond %.2f%n",
                    name, compared, total / compared, worst, outside, 100.0 * outside / compared, tolerance);
            assertThat(problems).as(name).isEmpty();
            // On quantized files a share of log-probabilities differ from llama.cpp's by more than the
            // README's tolerance (docs/accuracy.md: an open question, F16 agrees to 0.002). The mean must be
            // inside the tolerance, no value beyond 5x it, and top-1 / greedy tokens must agree exactly.
            assertThat(total / compared).as(name + " mean |diff|").isLessThan(tolerance);
        }
    }

    /**
     * llama.cpp's server holds back a token that ends in an incomplete UTF-8 sequence and reports it
     * merged with the next one, so a case with fewer tokens than {@code n_predict} has lost one there:
     * its ids and top-5 lists are aligned only up to the first piece that shows a replacement character.
     */
    static int comparableLength(JsonNode ref, JsonNode cse) {
        int n = cse.get("generated_ids").size();
        if (n >= ref.get("n_predict").asInt() || !"limit".equals(cse.path("stop_type").asText())) return n;
        JsonNode pieces = cse.get("generated_pieces");
        for (int i = 0; i < pieces.size(); i++) {
            if (pieces.get(i).asText().indexOf('\uFFFD') >= 0) return i;
        }
        return n;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double lse = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) out[i] = logits[i] - lse;
        return out;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
