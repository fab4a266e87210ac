package dev.hearth.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official OpenAI Java SDK, unchanged, against a running server (responses validated by the SDK). */
class OpenAiSdkTest {
    static TestServer server;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        client = OpenAIOkHttpClient.builder()
                .baseUrl(server.url() + "/v1")
                .apiKey("unused")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(60))
                .responseValidation(true)
                .build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    static ChatCompletionCreateParams.Builder chat(String user, long maxTokens) {
        return ChatCompletionCreateParams.builder().model(server.modelId()).addUserMessage(user).maxCompletionTokens(maxTokens);
    }

    @Test
    void chatCompletionHasOpenAisShapeAndUsage() {
        ChatCompletion c = client.chat().completions().create(chat("Hello there", 6).temperature(0.0).build());
        assertThat(c.id()).startsWith("chatcmpl-");
        assertThat(c.model()).isEqualTo(server.modelId());
        assertThat(c.created()).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(60L));
        assertThat(c.choices()).hasSize(1);
        var choice = c.choices().getFirst();
        assertThat(choice.index()).isZero();
        assertThat(choice.message().content()).isPresent();
        var usage = c.usage().orElseThrow();
        assertThat(usage.promptTokens()).isPositive();
        assertThat(usage.completionTokens()).isBetween(0L, 6L);
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
        assertThat(choice.finishReason()).isIn(ChatCompletion.Choice.FinishReason.LENGTH, ChatCompletion.Choice.FinishReason.STOP);
        if (choice.finishReason() == ChatCompletion.Choice.FinishReason.LENGTH) assertThat(usage.completionTokens()).isEqualTo(6);
    }

    @Test
    void streamingChatGivesTheSameTextAsNonStreamingAndEndsWithUsage() {
        var params = chat("Tell me a story", 12).temperature(0.0).build();
        String whole = client.chat().completions().create(params).choices().getFirst().message().content().orElse("");
        var streamParams = params.toBuilder()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        var text = new StringBuilder();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(streamParams)) {
            s.stream().forEach(ch -> {
                chunks.add(ch);
                for (var choice : ch.choices()) choice.delta().content().ifPresent(text::append);
            });
        }
        assertThat(text.toString()).isEqualTo(whole);
        assertThat(chunks.getFirst().choices().getFirst().delta().role()).isPresent();
        var last = chunks.getLast();
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage()).isPresent();
        assertThat(last.usage().get().completionTokens()).isPositive();
        var finish = chunks.get(chunks.size() - 2).choices().getFirst().finishReason();
        assertThat(finish).isPresent();
        assertThat(chunks.stream().map(ChatCompletionChunk::id).distinct()).hasSize(1);
    }

    @Test
    void stopSequencesEndTheTextBeforeThemEvenAcrossTokens() {
        var base = chat("Once upon a time", 30).temperature(0.0);
        String full = client.chat().completions().create(base.build()).choices().getFirst().message().content().orElse("");
        assertThat(full.length()).as("greedy text of the tiny model: %s", full).isGreaterThan(6);
        // A stop string from the middle of the text: the reply must be exactly what precedes its first occurrence.
        String stop = full.substring(full.length() / 2, full.length() / 2 + 2);
        int at = full.indexOf(stop);
        var stopped = client.chat().completions().create(base.stop(stop).build()).choices().getFirst();
        assertThat(stopped.message().content().orElse("")).isEqualTo(full.substring(0, at));
        assertThat(stopped.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);

        var text = new StringBuilder();
        try (var s = client.chat().completions().createStreaming(base.stop(ChatCompletionCreateParams.Stop.ofStrings(List.of("zzzz", stop))).build())) {
            s.stream().forEach(ch -> ch.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
        }
        assertThat(text.toString()).isEqualTo(full.substring(0, at)).doesNotContain(stop);
    }

    @Test
    void equalSeedsGiveEqualSamplesAndNChoicesDiffer() {
        var params = chat("Random words", 10).temperature(1.0).seed(1234).build();
        String a = client.chat().completions().create(params).choices().getFirst().message().content().orElse("");
        String b = client.chat().completions().create(params).choices().getFirst().message().content().orElse("");
        assertThat(a).isEqualTo(b);

        ChatCompletion many = client.chat().completions().create(params.toBuilder().n(3).build());
        assertThat(many.choices()).hasSize(3);
        assertThat(many.choices().stream().map(c -> c.index()).toList()).containsExactly(0L, 1L, 2L);
        // Choice 0 uses the request's seed, so it equals the single completion; the others use other seeds.
        assertThat(many.choices().getFirst().message().content().orElse("")).isEqualTo(a);
        Set<String> texts = new HashSet<>();
        for (var c : many.choices()) texts.add(c.message().content().orElse(""));
        assertThat(texts).hasSizeGreaterThan(1);
        long completion = 0;
        for (var c : many.choices()) completion += c.finishReason() == ChatCompletion.Choice.FinishReason.LENGTH ? 10 : 0;
        assertThat(many.usage().orElseThrow().completionTokens()).isGreaterThanOrEqualTo(completion);
    }

    @Test
    void streamingWithSeveralChoicesInterleavesThemByIndex() {
        var params = chat("Count", 8).temperature(1.0).seed(7).n(2).build();
        var texts = new StringBuilder[] {new StringBuilder(), new StringBuilder()};
        int[] finished = new int[2];
        try (var s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(ch -> ch.choices().forEach(c -> {
                c.delta().content().ifPresent(texts[(int) c.index()]::append);
                if (c.finishReason().isPresent()) finished[(int) c.index()]++;
            }));
        }
        ChatCompletion whole = client.chat().completions().create(params);
        assertThat(finished).containsExactly(1, 1);
        assertThat(texts[0].toString()).isEqualTo(whole.choices().get(0).message().content().orElse(""));
        assertThat(texts[1].toString()).isEqualTo(whole.choices().get(1).message().content().orElse(""));
    }

    @Test
    void logprobsListEveryTokenWithItsTopAlternatives() {
        ChatCompletion c = client.chat().completions().create(chat("Hi", 5).temperature(0.0).logprobs(true).topLogprobs(3).build());
        var content = c.choices().getFirst().logprobs().orElseThrow().content().orElseThrow();
        assertThat(content).hasSize((int) c.usage().orElseThrow().completionTokens());
        for (var t : content) {
            assertThat(t.logprob()).isLessThanOrEqualTo(0.0);
            assertThat(t.topLogprobs()).hasSize(3);
            // Greedy: the chosen token is the most likely one.
            assertThat(t.topLogprobs().getFirst().logprob()).isEqualTo(t.logprob());
            assertThat(t.topLogprobs().get(1).logprob()).isLessThanOrEqualTo(t.topLogprobs().getFirst().logprob());
            assertThat(t.bytes()).isPresent();
        }
    }

    @Test
    void completionsStreamingAndNot() {
        var params = CompletionCreateParams.builder().model(server.modelId()).prompt("The quick brown fox").maxTokens(8)
                .temperature(0.0).logprobs(2).build();
        Completion c = client.completions().create(params);
        assertThat(c.id()).startsWith("cmpl-");
        CompletionChoice choice = c.choices().getFirst();
        assertThat(choice.finishReason()).isIn(CompletionChoice.FinishReason.LENGTH, CompletionChoice.FinishReason.STOP);
        var lp = choice.logprobs().orElseThrow();
        assertThat(lp.tokens().orElseThrow()).hasSize((int) c.usage().orElseThrow().completionTokens());
        assertThat(lp.tokenLogprobs().orElseThrow()).hasSameSizeAs(lp.tokens().orElseThrow());
        assertThat(lp.textOffset().orElseThrow()).hasSameSizeAs(lp.tokens().orElseThrow());

        var text = new StringBuilder();
        // Legacy completion chunks carry "finish_reason": null until the last, as OpenAI sends them; the SDK's
        // strict validation (on in this test class) rejects that, its default (off) takes it.
        var lenient = client.withOptions(o -> o.responseValidation(false));
        try (var s = lenient.completions().createStreaming(params.toBuilder().logprobs(java.util.Optional.empty())
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(ch -> ch.choices().forEach(x -> text.append(x.text())));
        }
        assertThat(text.toString()).isEqualTo(choice.text());
    }

    @Test
    void modelsListTheServedModel() {
        List<Model> models = new ArrayList<>();
        client.models().list().autoPager().forEach(models::add);
        assertThat(models).extracting(Model::id).containsExactly(server.modelId());
        assertThat(client.models().retrieve(server.modelId()).ownedBy()).isEqualTo("hearth");
        assertThatThrownBy(() -> client.models().retrieve("gpt-4o")).isInstanceOf(NotFoundException.class);
    }

    @Test
    void embeddingsAreUnitVectorsOfTheModelsWidth() {
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model(server.modelId())
                .inputOfArrayOfStrings(List.of("a cat", "a dog")).build());
        assertThat(r.data()).hasSize(2);
        for (var e : r.data()) {
            List<Float> v = e.embedding();
            assertThat(v).hasSize(server.model.config().dim());
            double norm = 0;
            for (float x : v) norm += x * x;
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        }
        assertThat(r.data().get(0).embedding()).isNotEqualTo(r.data().get(1).embedding());
        assertThat(r.usage().promptTokens()).isPositive();
    }

    @Test
    void errorsArriveAsTheSdksExceptions() {
        assertThatThrownBy(() -> client.chat().completions().create(chat("x", 5).model("no-such-model").build()))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).contains("model_not_found"));
        assertThatThrownBy(() -> client.chat().completions().create(chat("x", 5000).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.code()).contains("context_length_exceeded");
                    assertThat(e.getMessage()).contains("512").contains("5000");
                });
        assertThatThrownBy(() -> client.chat().completions().create(chat("x", 5).temperature(3.0).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.param()).contains("temperature"));
    }
}
