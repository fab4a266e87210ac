package dev.hearth.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hearth.engine.SharedFiles;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ChatTemplateTest {
    private static final ChatMessage SYS = ChatMessage.system("You are a helpful bot.");
    private static final ChatMessage U1 = ChatMessage.user("Hello there!");
    private static final ChatMessage A1 = ChatMessage.assistant("Hi! How can I help?");
    private static final ChatMessage U2 = ChatMessage.user("Tell me a joke.");
    private static final List<ChatMessage> WITH_SYSTEM = List.of(SYS, U1, A1, U2);
    private static final List<ChatMessage> USER_ONLY = List.of(U1, A1, U2);

    private static ChatTemplate reference(String file, String bos, String eos) throws IOException {
        var path = SharedFiles.require("reference/chat-templates/" + file);
        return new ChatTemplate(file, Files.readString(path), bos, eos);
    }

    // ---- exact renderings, derived by reading each template by hand ---------------------------------

    @Test
    void llama31() throws IOException {
        var t = reference("meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        String convo = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                + "You are a helpful bot.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello there!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHi! How can I help?<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|>";
        assertThat(t.render(WITH_SYSTEM, true)).isEqualTo(convo + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(t.render(WITH_SYSTEM, false)).isEqualTo(convo);
        // without a system message the system block is still there, with an empty system text
        assertThat(t.render(List.of(U1), true)).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello there!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void llama32UsesStrftimeNow() throws IOException {
        var t = reference("meta-llama-Llama-3.2-3B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>")
                .withClock(Clock.fixed(Instant.parse("2025-02-03T10:00:00Z"), ZoneOffset.UTC));
        assertThat(t.render(List.of(U1), true)).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 03 Feb 2025\n\n<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello there!<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        // a caller-supplied date_string wins
        assertThat(t.render(List.of(U1), true, Map.of("date_string", "01 Jan 2030"))).contains("Today Date: 01 Jan 2030\n");
    }

    @Test
    void qwen25() throws IOException {
        var t = reference("Qwen-Qwen2.5-7B-Instruct.jinja", "", "<|im_end|>");
        String convo = "<|im_start|>system\nYou are a helpful bot.<|im_end|>\n"
                + "<|im_start|>user\nHello there!<|im_end|>\n"
                + "<|im_start|>assistant\nHi! How can I help?<|im_end|>\n"
                + "<|im_start|>user\nTell me a joke.<|im_end|>\n";
        assertThat(t.render(WITH_SYSTEM, true)).isEqualTo(convo + "<|im_start|>assistant\n");
        assertThat(t.render(WITH_SYSTEM, false)).isEqualTo(convo);
        // no system message: Qwen's default one
        assertThat(t.render(List.of(U1), true)).isEqualTo(
                "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHello there!<|im_end|>\n<|im_start|>assistant\n");
    }

    @Test
    void gemma2() throws IOException {
        var t = reference("google-gemma-2-2b-it.jinja", "<bos>", "<eos>");
        String convo = "<bos><start_of_turn>user\nHello there!<end_of_turn>\n"
                + "<start_of_turn>model\nHi! How can I help?<end_of_turn>\n"
                + "<start_of_turn>user\nTell me a joke.<end_of_turn>\n";
        assertThat(t.render(USER_ONLY, true)).isEqualTo(convo + "<start_of_turn>model\n");
        assertThat(t.render(USER_ONLY, false)).isEqualTo(convo);
        // content is trimmed by the template
        assertThat(t.render(List.of(ChatMessage.user("  padded \n")), false)).isEqualTo("<bos><start_of_turn>user\npadded<end_of_turn>\n");
        // Gemma raises for a system message, and for roles that do not alternate
        var e = catchThrowableOfType(ChatTemplateException.class, () -> t.render(WITH_SYSTEM, true));
        assertThat(e.templateMessage()).isEqualTo("System role not supported");
        assertThat(e).hasMessageContaining("google-gemma-2-2b-it.jinja").hasMessageContaining("--chat-template");
        assertThatThrownBy(() -> t.render(List.of(U1, U2), true))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("Conversation roles must alternate user/assistant/user/assistant/...");
    }

    @Test
    void phi35() throws IOException {
        var t = reference("microsoft-Phi-3.5-mini-instruct.jinja", "<s>", "<|endoftext|>");
        String convo = "<|system|>\nYou are a helpful bot.<|end|>\n<|user|>\nHello there!<|end|>\n"
                + "<|assistant|>\nHi! How can I help?<|end|>\n<|user|>\nTell me a joke.<|end|>\n";
        assertThat(t.render(WITH_SYSTEM, true)).isEqualTo(convo + "<|assistant|>\n");
        // without the generation prompt the template ends with the EOS token
        assertThat(t.render(WITH_SYSTEM, false)).isEqualTo(convo + "<|endoftext|>");
        // an empty system message is left out
        assertThat(t.render(List.of(ChatMessage.system(""), U1), true)).isEqualTo("<|user|>\nHello there!<|end|>\n<|assistant|>\n");
    }

    @Test
    void mistralNemo() throws IOException {
        var t = reference("mistralai-Mistral-Nemo-Instruct-2407.jinja", "<s>", "</s>");
        // the system message goes into the last user turn; add_generation_prompt changes nothing
        String expected = "<s>[INST]Hello there![/INST]Hi! How can I help?</s>[INST]You are a helpful bot.\n\nTell me a joke.[/INST]";
        assertThat(t.render(WITH_SYSTEM, true)).isEqualTo(expected);
        assertThat(t.render(WITH_SYSTEM, false)).isEqualTo(expected);
        assertThat(t.render(USER_ONLY, true)).isEqualTo("<s>[INST]Hello there![/INST]Hi! How can I help?</s>[INST]Tell me a joke.[/INST]");
        var e = catchThrowableOfType(ChatTemplateException.class, () -> t.render(List.of(U1, U2), true));
        assertThat(e.templateMessage()).isEqualTo(
                "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...");
    }

    // ---- every reference template renders a plain conversation ------------------------------------

    /** Role markers visible in each template, and what it ends with when asked for a generation prompt. */
    record Markers(String file, String user, String assistant, String generationPrompt, boolean alwaysPrompts) {}

    static Stream<Arguments> referenceTemplates() {
        String l3user = "<|start_header_id|>user<|end_header_id|>\n\n";
        String l3asst = "<|start_header_id|>assistant<|end_header_id|>\n\n";
        String cohereUser = "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>";
        String cohereBot = "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>";
        return Stream.of(
                new Markers("CohereForAI-c4ai-command-r-plus-tool_use.jinja", cohereUser, cohereBot, cohereBot, false),
                new Markers("CohereForAI-c4ai-command-r7b-12-2024-tool_use.jinja", cohereUser, cohereBot + "<|START_RESPONSE|>", cohereBot, true),
                new Markers("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", "<|im_start|>user\n", "<|im_start|>assistant\n", "<|im_start|>assistant\n", false),
                new Markers("NousResearch-Hermes-3-Llama-3.1-8B-tool_use.jinja", "<|im_start|>user\n", "<|im_start|>assistant\n", "<|im_start|>assistant\n", false),
                new Markers("Qwen-Qwen2.5-7B-Instruct.jinja", "<|im_start|>user\n", "<|im_start|>assistant\n", "<|im_start|>assistant\n", false),
                new Markers("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", "<｜User｜>", "<｜Assistant｜>", "<｜Assistant｜><think>\n", false),
                new Markers("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "<｜User｜>", "<｜Assistant｜>", "<｜Assistant｜><think>\n", false),
                new Markers("fireworks-ai-llama-3-firefunction-v2.jinja", l3user, l3asst, l3asst, true),
                new Markers("google-gemma-2-2b-it.jinja", "<start_of_turn>user\n", "<start_of_turn>model\n", "<start_of_turn>model\n", false),
                new Markers("llama-cpp-deepseek-r1.jinja", "<｜User｜>", "<｜Assistant｜>", "<｜Assistant｜><think>\n", false),
                new Markers("meetkai-functionary-medium-v3.1.jinja", l3user, l3asst, l3asst, false),
                new Markers("meetkai-functionary-medium-v3.2.jinja", l3user, l3asst, l3asst + ">>>", false),
                new Markers("meta-llama-Llama-3.1-8B-Instruct.jinja", l3user, l3asst, l3asst, false),
                new Markers("meta-llama-Llama-3.2-3B-Instruct.jinja", l3user, l3asst, l3asst, false),
                new Markers("meta-llama-Llama-3.3-70B-Instruct.jinja", l3user, l3asst, l3asst, false),
                new Markers("microsoft-Phi-3.5-mini-instruct.jinja", "<|user|>\n", "<|assistant|>\n", "<|assistant|>\n", false),
                new Markers("mistralai-Mistral-Nemo-Instruct-2407.jinja", "[INST]", "[/INST]", "[/INST]", true)
        ).map(m -> Arguments.of(m.file(), m));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceTemplates")
    void rendersPlainConversation(String file, Markers m) throws IOException {
        var t = reference(file, "<BOS>", "<EOS>");
        List<ChatMessage> convo = WITH_SYSTEM;
        try {
            t.render(convo, true);
        } catch (ChatTemplateException e) {
            // some templates refuse system messages; that must come out as the template's own error
            assertThat(e.templateMessage()).containsIgnoringCase("system");
            convo = USER_ONLY;
        }
        for (boolean gen : new boolean[] {true, false}) {
            String out = t.render(convo, gen);
            for (ChatMessage msg : convo) assertThat(out).contains(msg.content());
            assertThat(out).contains(m.user()).contains(m.assistant());
            // the user's turns come in order
            assertThat(out.indexOf(U1.content())).isLessThan(out.indexOf(A1.content()));
            assertThat(out.indexOf(A1.content())).isLessThan(out.lastIndexOf(U2.content()));
            if (gen || m.alwaysPrompts()) {
                assertThat(out).endsWith(m.generationPrompt());
            } else {
                assertThat(out).doesNotEndWith(m.generationPrompt());
            }
        }
        // a single user message works too
        assertThat(t.render(List.of(U1), true)).contains("Hello there!").endsWith(m.generationPrompt());
    }

    // ---- GGUF and the ChatML fallback -------------------------------------------------------------

    @Test
    void llama2StyleTemplateFromSharedModel() {
        var path = SharedFiles.require("models/brown-llama-spm-q8_0.gguf");
        try (var gguf = GgufFile.open(path)) {
            var t = ChatTemplate.fromGguf(gguf).orElseThrow();
            assertThat(t.bosToken()).isEqualTo("<s>");
            assertThat(t.eosToken()).isEqualTo("</s>");
            assertThat(t.name()).contains("brown-llama-spm-q8_0.gguf");
            assertThat(t.render(WITH_SYSTEM, true)).isEqualTo("<s><<SYS>>\nYou are a helpful bot.\n<</SYS>>\n\n"
                    + "[INST] Hello there! [/INST] Hi! How can I help?</s>[INST] Tell me a joke. [/INST]");
            var e = catchThrowableOfType(ChatTemplateException.class, () -> t.render(List.of(new ChatMessage("tool", "42")), true));
            assertThat(e.templateMessage()).isEqualTo("Unknown role: tool");
        }
    }

    @Test
    void chatMlTemplateFromSharedModel() {
        var path = SharedFiles.require("models/brown-qwen2-gpt2-q8_0.gguf");
        try (var gguf = GgufFile.open(path)) {
            var t = ChatTemplate.fromGguf(gguf).orElseThrow();
            assertThat(t.bosToken()).isEqualTo("<|endoftext|>");
            assertThat(t.render(WITH_SYSTEM, true)).isEqualTo(chatMl(WITH_SYSTEM) + "<|im_start|>assistant\n");
            assertThat(t.render(WITH_SYSTEM, false)).isEqualTo(chatMl(WITH_SYSTEM));
        }
    }

    @Test
    void modelWithoutTemplateHasNone() {
        var path = SharedFiles.require("models/tiny-llama-spm-q8_0.gguf"); // random-weight model without a template
        try (var gguf = GgufFile.open(path)) {
            assertThat(ChatTemplate.fromGguf(gguf)).isEmpty();
        }
    }

    @Test
    void fromGgufReadsTemplateAndSpecialTokenTexts() {
        var file = new GgufWriter()
                .putStrings("tokenizer.ggml.tokens", "<unk>", "<|start|>", "<|stop|>", "hello")
                .putU32("tokenizer.ggml.bos_token_id", 1)
                .putU32("tokenizer.ggml.eos_token_id", 2)
                .putString("tokenizer.chat_template", "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}\n")
                .toGguf("mem.gguf");
        var t = ChatTemplate.fromGguf(file).orElseThrow();
        assertThat(t.render(List.of(U1, A1), false)).isEqualTo("<|start|>Hello there!<|stop|>Hi! How can I help?<|stop|>");
        assertThat(t.source()).endsWith("{% endfor %}\n");
        // no BOS/EOS ids (or ids outside the vocabulary): empty texts
        var bare = new GgufWriter().putString("tokenizer.chat_template", "[{{ bos_token }}|{{ eos_token }}]")
                .putU32("tokenizer.ggml.eos_token_id", 99).toGguf("bare.gguf");
        assertThat(ChatTemplate.fromGguf(bare).orElseThrow().render(List.of(), false)).isEqualTo("[|]");
        assertThat(ChatTemplate.fromGguf(new GgufWriter().toGguf("none.gguf"))).isEmpty();
    }

    private static String chatMl(List<ChatMessage> messages) {
        var sb = new StringBuilder();
        for (var m : messages) sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        return sb.toString();
    }

    @Test
    void chatMlFallback() {
        var t = ChatTemplate.chatMl("<s>", "</s>");
        assertThat(t.render(WITH_SYSTEM, true)).isEqualTo(
                "<|im_start|>system\nYou are a helpful bot.<|im_end|>\n"
                        + "<|im_start|>user\nHello there!<|im_end|>\n"
                        + "<|im_start|>assistant\nHi! How can I help?<|im_end|>\n"
                        + "<|im_start|>user\nTell me a joke.<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(t.render(List.of(U1), false)).isEqualTo("<|im_start|>user\nHello there!<|im_end|>\n");
        assertThat(t.render(List.of(), true)).isEqualTo("<|im_start|>assistant\n");
    }

    // ---- errors -----------------------------------------------------------------------------------

    @Test
    void syntaxErrorsNameTheTemplateAndSuggestAnother() {
        for (String bad : new String[] {"{% if messages %}never closed", "{{ 'a' + }}", "{% endif %}", "{% frobnicate %}",
                "{{ messages|no_such_filter }}", "{% if messages is no_such_test %}x{% endif %}", "{{ unclosed", "{# unclosed",
                "{% for m in %}x{% endfor %}"}) {
            var t = new ChatTemplate("my-template", bad, "", "");
            var e = catchThrowableOfType(ChatTemplateException.class, () -> t.render(List.of(U1), true));
            assertThat(e).as(bad).isNotNull();
            assertThat(e.getMessage()).as(bad).startsWith("cannot render my-template: ").contains("--chat-template");
            assertThat(e.templateMessage()).isNull();
        }
        var e = catchThrowableOfType(ChatTemplateException.class,
                () -> new ChatTemplate("{{ x|no_such_filter }}", "", "").render(List.of(U1), true));
        assertThat(e).hasMessageContaining("No filter named 'no_such_filter'");
    }

    @Test
    void raiseExceptionCarriesTheTemplatesMessage() {
        var t = new ChatTemplate("strict", "{% for m in messages %}{% if m.role not in ['user', 'assistant'] %}"
                + "{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{{ m.content }}{% endfor %}", "", "");
        assertThat(t.render(List.of(U1, A1), false)).isEqualTo("Hello there!Hi! How can I help?");
        var e = catchThrowableOfType(ChatTemplateException.class, () -> t.render(WITH_SYSTEM, false));
        assertThat(e.templateMessage()).isEqualTo("Only user and assistant roles are supported!");
        assertThat(e.getMessage()).isEqualTo("strict rejected the conversation: Only user and assistant roles are supported! "
                + "Adjust the messages to what the template accepts, or pass another template with --chat-template.");
    }

    @Test
    void messageTextIsNeverInterpreted() {
        var t = ChatTemplate.chatMl("", "");
        String sneaky = "{{ raise_exception('x') }} {% if true %}yes{% endif %} {# c #}";
        assertThat(t.render(List.of(ChatMessage.user(sneaky)), false)).isEqualTo("<|im_start|>user\n" + sneaky + "<|im_end|>\n");
    }

    // ---- Python/Jinja2 behaviour the templates rely on ----------------------------------------------

    private static String eval(String source) {
        return new ChatTemplate(source, "<s>", "</s>").render(WITH_SYSTEM, true);
    }

    @Test
    void stringMethodsBehaveAsInPython() {
        assertThat(eval("{{ '  a b \\n'.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  a'.lstrip() }}|{{ 'a  '.rstrip() }}"))
                .isEqualTo("a b|a|a|a");
        assertThat(eval("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith(('x', 'a')) }}"))
                .isEqualTo("true true true");
        assertThat(eval("{{ ' a  b '.split() | length }} {{ 'a,,b'.split(',') | length }} {{ 'a,b,c'.split(',', 1)[1] }}"))
                .isEqualTo("2 3 b,c");
        assertThat(eval("{{ 'x</think>answer'.split('</think>')[-1] }}")).isEqualTo("answer");
        assertThat(eval("{{ 'hello wORLD 3rd'.title() }} {{ 'ab'.upper() }} {{ 'aXa'.replace('a', 'b') }}"))
                .isEqualTo("Hello World 3Rd AB bXb");
        assertThat(eval("{{ '-'.join(['a', 'b']) }} {{ 'banana'.count('a') }} {{ 'abc'.find('c') }}")).isEqualTo("a-b 3 2");
        assertThat(eval("[{{ '  ' * 2 }}] {{ 'ab' * 3 }} {{ 2 * 3 }}")).isEqualTo("[    ] ababab 6");
    }

    @Test
    void toJsonIsPythonJsonDumps() {
        assertThat(eval("{{ {'b': 1, 'a': [1.5, 'x', none, true, 1e-05]} | tojson }}"))
                .isEqualTo("{\"b\": 1, \"a\": [1.5, \"x\", null, true, 1e-05]}");
        assertThat(eval("{{ {'a': {'b': []}, 'c': {}}|tojson(indent=2) }}"))
                .isEqualTo("{\n  \"a\": {\n    \"b\": []\n  },\n  \"c\": {}\n}");
        assertThat(eval("{{ 'é \"q\" \\\\ \\n' | tojson }}")).isEqualTo("\"é \\\"q\\\" \\\\ \\n\"");
        assertThat(eval("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}")).isEqualTo("{\"a\": 2, \"b\": 1}");
        assertThat(eval("{{ messages[1] | tojson }}")).isEqualTo("{\"role\": \"user\", \"content\": \"Hello there!\"}");
        assertThat(PyJson.floatRepr(100.0)).isEqualTo("100.0");
        assertThat(PyJson.floatRepr(1e16)).isEqualTo("1e+16");
        assertThat(PyJson.floatRepr(0.0001)).isEqualTo("0.0001");
        assertThat(PyJson.floatRepr(-2.5e-7)).isEqualTo("-2.5e-07");
    }

    @Test
    void operatorsAndTestsBindAsInJinja2() {
        assertThat(eval("{{ not undefined_thing is defined }} {{ not bos_token is defined }} {{ not 1 == 2 }} {{ not false and false }}"))
                .isEqualTo("true false true false");
        assertThat(eval("{{ 'a' + '  b  ' | trim + 'c' }}")).isEqualTo("abc");
        assertThat(eval("{{ 'x' in 'xyz' }} {{ 'role' in messages[0] }} {{ 'tool_calls' in messages[0] }} {{ 'q' not in 'xyz' }}"))
                .isEqualTo("true true false true");
        assertThat(eval("{{ 'ab' is string }} {{ 'ab' is iterable }} {{ messages[0] is mapping }} {{ none is none }}"))
                .isEqualTo("true true true true");
        assertThat(eval("[{{ 'a' + undefined_thing + 'b' }}]")).isEqualTo("[ab]");
        assertThat(eval("{{ tools is defined }} {{ documents is defined }} {{ add_generation_prompt }} {{ bos_token }}"))
                .isEqualTo("false false true <s>");
    }

    @Test
    void loopsNamespacesAndMacros() {
        assertThat(eval("{% for m in messages %}{{ loop.index0 }}{{ 'F' if loop.first }}{{ 'L' if loop.last }},{% endfor %}"))
                .isEqualTo("0F,1,2,3L,");
        assertThat(eval("{% for m in messages if m.role == 'user' %}{{ loop.index }}/{{ loop.length }}:{{ m.content }};{% endfor %}"))
                .isEqualTo("1/2:Hello there!;2/2:Tell me a joke.;");
        assertThat(eval("{% for m in messages %}{{ loop.previtem.role if loop.previtem }}>{{ loop.nextitem.role if loop.nextitem }};{% endfor %}"))
                .isEqualTo(">user;system>assistant;user>user;assistant>;");
        assertThat(eval("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"))
                .isEqualTo("4");
        assertThat(eval("{% macro tag(x, open='<', close='>') %}{{ open }}{{ x }}{{ close }}{% endmacro %}{{ tag('a') }}{{ tag('b', close=']') }}"))
                .isEqualTo("<a><b]");
        assertThat(eval("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}={{ v }};{% endfor %}")).isEqualTo("a=1;b=2;");
        assertThat(eval("{% for m in messages %}{% if loop.index0 == 2 %}{% break %}{% endif %}{{ m.role }};{% endfor %}"))
                .isEqualTo("system;user;");
        assertThat(eval("{% set x %}{% filter upper %} hi {% endfilter %}{% endset %}[{{ x }}]")).isEqualTo("[ HI ]");
        assertThat(eval("{% generation %}kept{% endgeneration %}")).isEqualTo("kept");
        assertThat(eval("{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, first=true) }}")).isEqualTo("a\n  b\n\n  c|  a\n  b");
    }

    @Test
    void whitespaceFollowsTrimAndLstripBlocks() {
        // trim_blocks: newline after a block tag goes; lstrip_blocks: indentation before a tag on its own line goes
        assertThat(eval("{% if true %}\n    A\n    {% if true %}\n    B\n    {% endif %}\n{% endif %}\nC")).isEqualTo("    A\n    B\nC");
        // text before a tag on the same line keeps its spaces (Jinjava alone would strip them)
        assertThat(eval("x  {% if true %}y{% endif %}")).isEqualTo("x  y");
        // {%+ disables lstrip; '-' strips explicitly
        assertThat(eval("  {%+ if true %}y{% endif %}")).isEqualTo("  y");
        assertThat(eval("a   {%- if true -%}   b   {%- endif %}")).isEqualTo("ab");
        // comments: their own whitespace control, and the newline after them goes
        assertThat(eval("a {# c #}\nb\n  {#- c -#}  \nc")).isEqualTo("a bc");
        assertThat(eval("{%- macro m() -%}\n{# comment #}\n    {x}\n{%- endmacro -%}[{{ m() }}]")).isEqualTo("[    {x}]");
        // one trailing newline of the template is dropped, as Jinja2's keep_trailing_newline=False does
        assertThat(eval("end\n")).isEqualTo("end");
        assertThat(eval("end\n\n")).isEqualTo("end\n");
    }

    @Test
    void errorLineNumbersMatchTheSource() {
        var t = new ChatTemplate("lines", "{# a\nmulti-line\ncomment #}\n{{ ok }}\n{{ messages|nope }}\n", "", "");
        assertThatThrownBy(() -> t.render(List.of(U1), true)).hasMessageContaining("(line 5)");
    }

    @Test
    void rendersConcurrently() throws Exception {
        var t = reference("meta-llama-Llama-3.1-8B-Instruct.jinja", "<|begin_of_text|>", "<|eot_id|>");
        var gemma = reference("google-gemma-2-2b-it.jinja", "<bos>", "<eos>");
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            var futures = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (int i = 0; i < 64; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    var msgs = List.of(ChatMessage.user("question " + n));
                    assertThat(t.render(msgs, true)).contains("question " + n + "<|eot_id|>").doesNotContain("question " + (n + 1) + "<");
                    // a template error in one thread must not leak into another's render
                    if (n % 4 == 0) assertThatThrownBy(() -> gemma.render(WITH_SYSTEM, true)).isInstanceOf(ChatTemplateException.class);
                    else assertThat(gemma.render(msgs, true)).endsWith("<start_of_turn>model\n");
                    return null;
                }));
            }
            for (var f : futures) f.get();
        }
    }

    @Test
    void renderMessagesAcceptsToolFields() {
        var t = new ChatTemplate("{% for m in messages %}{{ m.role }}:{{ m.content if m.content is not none else '-' }}"
                + "{% for c in m.tool_calls or [] %}[{{ c.function.name }} {{ c.function.arguments }}]{% endfor %}{{ '\\n' }}{% endfor %}"
                + "{% for t in tools %}{{ t.name }}{% endfor %}", "", "");
        var call = Map.of("type", "function", "function", Map.of("name", "get_weather", "arguments", "{\"city\": \"Paris\"}"));
        var assistant = new java.util.HashMap<String, Object>();
        assistant.put("role", "assistant");
        assistant.put("content", null);
        assistant.put("tool_calls", List.of(call));
        String out = t.renderMessages(List.of(Map.of("role", "user", "content", "weather?"), assistant,
                Map.of("role", "tool", "content", "21C", "tool_call_id", "abc")), true, Map.of("tools", List.of(Map.of("name", "get_weather"))));
        assertThat(out).isEqualTo("user:weather?\nassistant:-[get_weather {\"city\": \"Paris\"}]\ntool:21C\nget_weather");
    }
}
