package dev.hearth.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hearth.engine.SharedFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Compares Hearth's renderer with Python Jinja2 as Hugging Face transformers sets it up, on every reference
 * template and a set of conversations (plain, system-less, tricky text, reasoning, tools). The expected outputs in
 * {@code jinja2-reference.json} come from {@code jinja2_reference.py} beside it (Jinja2 3.1.6), not from Hearth.
 */
class ChatTemplateJinja2ReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Cases where Hearth deliberately differs from Python: the reason, and text Hearth's output must contain instead.
     */
    private record Difference(String reason, String hearthOutputContains) {}

    private static final Map<String, Difference> KNOWN_DIFFERENCES = Map.of(
            "CohereForAI-c4ai-command-r-plus-tool_use.jinja/tools_call",
            new Difference("content None: Python prints 'None', Jinjava prints nothing", "<|CHATBOT_TOKEN|>\nAction:"),
            "CohereForAI-c4ai-command-r-plus-tool_use.jinja/tools_call_str",
            new Difference("content None: Python prints 'None', Jinjava prints nothing", "<|CHATBOT_TOKEN|>\nAction:"),
            "meetkai-functionary-medium-v3.1.jinja/tools_ask",
            new Difference("'...'|safe + str: Python's Markup HTML-escapes the tool JSON", "{\"name\": \"get_weather\", "),
            "meetkai-functionary-medium-v3.1.jinja/tools_call_str",
            new Difference("'...'|safe + str: Python's Markup HTML-escapes the tool JSON", "{\"name\": \"get_weather\", "));

    @TestFactory
    Stream<DynamicTest> rendersLikeJinja2() throws IOException {
        JsonNode root;
        try (InputStream in = getClass().getResourceAsStream("jinja2-reference.json")) {
            assertThat(in).as("jinja2-reference.json on the test classpath").isNotNull();
            root = JSON.readTree(in);
        }
        String bos = root.get("bos_token").asText(), eos = root.get("eos_token").asText();
        Clock clock = Clock.fixed(Instant.parse(root.get("now").asText()), ZoneOffset.UTC);
        var tests = new ArrayList<DynamicTest>();
        for (JsonNode c : root.get("cases")) {
            String file = c.get("template").asText(), name = c.get("name").asText();
            boolean gen = c.get("add_generation_prompt").asBoolean();
            tests.add(DynamicTest.dynamicTest(file + " " + name + (gen ? " +gen" : ""), () -> {
                var path = SharedFiles.require("reference/chat-templates/" + file);
                var template = new ChatTemplate(file, Files.readString(path), bos, eos).withClock(clock);
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"), List.class);
                @SuppressWarnings("unchecked")
                Map<String, Object> variables = JSON.convertValue(c.get("variables"), Map.class);
                check(template, file + "/" + name, messages, gen, variables, c);
            }));
        }
        return tests.stream();
    }

    private static void check(ChatTemplate template, String key, List<Map<String, Object>> messages, boolean gen,
                              Map<String, Object> variables, JsonNode c) {
        if (c.has("expected")) {
            String out = template.renderMessages(messages, gen, variables);
            var difference = KNOWN_DIFFERENCES.get(key);
            if (difference != null) {
                assertThat(out).as(difference.reason()).isNotEqualTo(c.get("expected").asText())
                        .contains(difference.hearthOutputContains());
            } else {
                assertThat(out).isEqualTo(c.get("expected").asText());
            }
            return;
        }
        String error = c.get("error").asText();
        if (error.startsWith("TemplateError: ")) {
            // raise_exception in the template: the same message must come out.
            var e = catchThrowableOfType(ChatTemplateException.class, () -> template.renderMessages(messages, gen, variables));
            assertThat(e).as("expected the template to raise: " + error).isNotNull();
            assertThat(e.templateMessage()).isEqualTo(error.substring("TemplateError: ".length()));
        } else if (error.contains("can only concatenate str (not \"dict\")")) {
            assertThatThrownBy(() -> template.renderMessages(messages, gen, variables))
                    .isInstanceOf(ChatTemplateException.class).hasMessageContaining("can only concatenate str");
        } else {
            // Python-only failures Hearth renders through: an undefined variable joined to a string
            // (firefunction's 'functions'/'datetime', which llama.cpp supplies), None + str, a generator
            // given to tojson. They must still render, or (when Python failed for one of these reasons first)
            // stop at tool-call arguments given as a dict, which Hearth refuses to paste into text as Python does.
            try {
                assertThat(template.renderMessages(messages, gen, variables)).isNotEmpty();
            } catch (ChatTemplateException e) {
                assertThat(e).hasMessageContaining("can only concatenate str (not \"dict\")");
                assertThat(c.get("messages").toString()).contains("\"arguments\":{");
            }
        }
    }
}
