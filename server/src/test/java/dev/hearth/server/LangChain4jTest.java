package dev.hearth.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI and Ollama chat models, unchanged, against a running server (with an API key). */
class LangChain4jTest {
    static final String KEY = "sk-test-langchain4j";
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(ServerConfig.defaults().withPort(0).withParallel(4).withQueue(16)
                .withApiKeys(java.util.List.of(KEY)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Streams a chat and returns the concatenated partial texts and the final response. */
    static record Streamed(String text, ChatResponse response) {}

    static Streamed stream(StreamingChatModel model, String user) throws Exception {
        var text = new StringBuilder();
        var done = new CompletableFuture<ChatResponse>();
        model.chat(java.util.List.of(SystemMessage.from("You are terse."), UserMessage.from(user)), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                text.append(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                done.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        return new Streamed(text.toString(), r);
    }

    @Test
    void openAiChatModelBlockingAndStreaming() throws Exception {
        ChatModel model = OpenAiChatModel.builder().baseUrl(server.url() + "/v1").apiKey(KEY).modelName(server.modelId())
                .temperature(0.0).maxTokens(10).timeout(Duration.ofSeconds(60)).maxRetries(0).build();
        ChatResponse r = model.chat(SystemMessage.from("You are terse."), UserMessage.from("What is a hearth?"));
        assertThat(r.aiMessage().text()).isNotNull();
        assertThat(r.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP);
        assertThat(r.tokenUsage().inputTokenCount()).isPositive();
        assertThat(r.tokenUsage().outputTokenCount()).isBetween(0, 10);
        assertThat(r.metadata().modelName()).isEqualTo(server.modelId());

        StreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(server.url() + "/v1").apiKey(KEY)
                .modelName(server.modelId()).temperature(0.0).maxTokens(10).timeout(Duration.ofSeconds(60)).build();
        Streamed s = stream(streaming, "What is a hearth?");
        assertThat(s.text()).isEqualTo(r.aiMessage().text());
        assertThat(s.response().aiMessage().text()).isEqualTo(r.aiMessage().text());
        assertThat(s.response().finishReason()).isEqualTo(r.finishReason());
        assertThat(s.response().tokenUsage().outputTokenCount()).isEqualTo(r.tokenUsage().outputTokenCount());
    }

    @Test
    void openAiChatModelWithStopSequences() {
        var builder = OpenAiChatModel.builder().baseUrl(server.url() + "/v1").apiKey(KEY).modelName(server.modelId())
                .temperature(0.0).maxTokens(30).timeout(Duration.ofSeconds(60)).maxRetries(0);
        String full = builder.build().chat("Tell me more");
        assertThat(full.length()).isGreaterThan(6);
        String stop = full.substring(full.length() / 2, full.length() / 2 + 2);
        String cut = builder.stop(java.util.List.of(stop)).build().chat("Tell me more");
        assertThat(cut).isEqualTo(full.substring(0, full.indexOf(stop)));
    }

    @Test
    void ollamaChatModelBlockingAndStreaming() throws Exception {
        var auth = java.util.Map.of("Authorization", "Bearer " + KEY);
        ChatModel model = OllamaChatModel.builder().baseUrl(server.url()).modelName(server.modelId()).customHeaders(auth)
                .temperature(0.0).numPredict(10).timeout(Duration.ofSeconds(60)).maxRetries(0).build();
        ChatResponse r = model.chat(SystemMessage.from("You are terse."), UserMessage.from("What is a hearth?"));
        assertThat(r.aiMessage().text()).isNotNull();
        assertThat(r.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP);
        assertThat(r.tokenUsage().inputTokenCount()).isPositive();
        assertThat(r.tokenUsage().outputTokenCount()).isBetween(0, 10);

        StreamingChatModel streaming = OllamaStreamingChatModel.builder().baseUrl(server.url()).modelName(server.modelId())
                .customHeaders(auth).temperature(0.0).numPredict(10).timeout(Duration.ofSeconds(60)).build();
        Streamed s = stream(streaming, "What is a hearth?");
        assertThat(s.text()).isEqualTo(r.aiMessage().text());
        assertThat(s.response().aiMessage().text()).isEqualTo(r.aiMessage().text());
        assertThat(s.response().tokenUsage().outputTokenCount()).isEqualTo(r.tokenUsage().outputTokenCount());
    }

    @Test
    void openAiClientWithoutTheKeyIsRefused() {
        ChatModel model = OpenAiChatModel.builder().baseUrl(server.url() + "/v1").apiKey("wrong").modelName(server.modelId())
                .maxTokens(4).maxRetries(0).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> model.chat("hi"))
                .hasMessageContaining("Incorrect API key");
    }
}
