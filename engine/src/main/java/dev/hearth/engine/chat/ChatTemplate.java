package dev.hearth.engine.chat;

import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.hearth.engine.gguf.GgufFile;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's chat template (Jinja, as in Hugging Face {@code tokenizer_config.json} and GGUF
 * {@code tokenizer.chat_template}) that turns a conversation into the prompt text the model was trained on.
 *
 * <p>Rendering follows {@code transformers}' {@code apply_chat_template}: variables {@code messages} (maps with
 * {@code role} and {@code content}), {@code bos_token}, {@code eos_token}, {@code add_generation_prompt};
 * functions {@code raise_exception} and {@code strftime_now}; {@code tools} and {@code documents} undefined
 * unless given. Instances are immutable and safe to share between threads.
 */
public final class ChatTemplate {
    private final String name;
    private final String source;
    private final String prepared;
    private final String bosToken;
    private final String eosToken;
    private final Clock clock;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        this("custom chat template", source, bosToken, eosToken);
    }

    /** @param name how error messages refer to the template (e.g. "chat template of model.gguf"). */
    public ChatTemplate(String name, String source, String bosToken, String eosToken) {
        this(name, source, bosToken, eosToken, Clock.systemDefaultZone());
    }

    private ChatTemplate(String name, String source, String bosToken, String eosToken, Clock clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.prepared = PyJinja.preprocess(source);
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The template stored in a GGUF file ({@code tokenizer.chat_template}), with its BOS/EOS texts taken from
     * {@code tokenizer.ggml.tokens}; empty when the file has no template.
     */
    public static Optional<ChatTemplate> fromGguf(GgufFile file) {
        if (!file.has("tokenizer.chat_template")) return Optional.empty();
        String source = file.getString("tokenizer.chat_template");
        String[] tokens = file.has("tokenizer.ggml.tokens") ? file.getStringArray("tokenizer.ggml.tokens") : new String[0];
        String bos = tokenText(file, tokens, "tokenizer.ggml.bos_token_id");
        String eos = tokenText(file, tokens, "tokenizer.ggml.eos_token_id");
        return Optional.of(new ChatTemplate("chat template of " + file.source(), source, bos, eos));
    }

    private static String tokenText(GgufFile file, String[] tokens, String key) {
        if (!file.has(key)) return "";
        long id = file.getLong(key);
        return id >= 0 && id < tokens.length ? tokens[(int) id] : "";
    }

    /** The ChatML template llama.cpp falls back to when a model has none: {@code <|im_start|>role\ncontent<|im_end|>\n}. */
    public static ChatTemplate chatMl(String bos, String eos) {
        return new ChatTemplate("built-in ChatML template", CHATML, bos, eos);
    }

    static final String CHATML = """
            {%- for message in messages -%}
            {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}
            {%- endfor -%}
            {%- if add_generation_prompt -%}
            {{- '<|im_start|>assistant\\n' -}}
            {%- endif -%}
            """;

    /** The same template with {@code strftime_now} reading this clock (tests, reproducible prompts). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(name, source, bosToken, eosToken, clock);
    }

    public String source() { return source; }
    public String name() { return name; }
    public String bosToken() { return bosToken; }
    public String eosToken() { return eosToken; }

    /** Renders a conversation; with {@code addGenerationPrompt} the text ends where the assistant's reply begins. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders with extra template variables (e.g. {@code tools}, {@code date_string}, {@code enable_thinking});
     * they override the defaults of the same name.
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        var msgs = new ArrayList<Map<String, Object>>(messages.size());
        for (ChatMessage m : messages) {
            var map = new LinkedHashMap<String, Object>();
            map.put("role", m.role());
            map.put("content", m.content());
            msgs.add(map);
        }
        return renderMessages(msgs, addGenerationPrompt, variables);
    }

    /**
     * Renders messages given as maps, for fields beyond role and content that tool-calling templates read
     * ({@code tool_calls}, {@code tool_call_id}, {@code name}; values are strings, numbers, booleans, null,
     * lists and maps as in the OpenAI JSON).
     */
    public String renderMessages(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> variables) {
        var msgs = new ArrayList<Object>(messages);
        var ctx = new HashMap<String, Object>();
        ctx.put("messages", msgs);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        // Functions live apart from variables in Jinjava; these markers make "strftime_now is defined" true as in Python.
        ctx.put("strftime_now", "<function strftime_now>");
        ctx.put("raise_exception", "<function raise_exception>");
        ctx.putAll(variables);

        var state = new PyJinja.RenderState(clock);
        PyJinja.STATE.set(state);
        RenderResult result;
        try {
            result = PyJinja.engine().renderForResult(prepared, ctx);
        } catch (RuntimeException e) {
            throw failure(state.raised.isEmpty() ? "the renderer failed: " + e.getMessage() : null, state, e);
        } finally {
            PyJinja.STATE.remove();
        }
        if (!state.raised.isEmpty()) throw failure(null, state, null);
        for (TemplateError err : result.getErrors()) {
            if (isFatal(err)) {
                String where = err.getLineno() > 0 ? " (line " + err.getLineno() + ")" : "";
                throw failure(err.getMessage() + where, state, err.getException());
            }
        }
        return result.getOutput();
    }

    private static boolean isFatal(TemplateError err) {
        // Jinjava reports some syntax errors (unclosed tags, stray end tags) as warnings; Jinja2 rejects them.
        return err.getSeverity() == TemplateError.ErrorType.FATAL || err.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR;
    }

    private static String sentence(String s) {
        String t = s.strip();
        return t.endsWith(".") || t.endsWith("!") || t.endsWith("?") ? t : t + ".";
    }

    private ChatTemplateException failure(String what, PyJinja.RenderState state, Throwable cause) {
        if (!state.raised.isEmpty()) {
            String msg = state.raised.getFirst();
            return new ChatTemplateException(name + " rejected the conversation: " + sentence(msg)
                    + " Adjust the messages to what the template accepts, or pass another template with --chat-template.",
                    msg, cause);
        }
        return new ChatTemplateException("cannot render " + name + ": " + sentence(what)
                + " Pass a template Hearth can render with --chat-template (for example chatml).", null, cause);
    }
}
