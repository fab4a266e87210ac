package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.batch.FinishReason;
import dev.hearth.engine.batch.GenerationResult;
import dev.hearth.engine.batch.QueueFullException;
import dev.hearth.engine.batch.TokenEvent;
import dev.hearth.engine.model.ContextOverflowException;
import dev.hearth.engine.sampling.SamplerParams;
import dev.hearth.engine.tokenizer.Tokenizer;
import dev.hearth.server.HearthServer.Exchange;
import dev.hearth.server.HearthServer.Loaded;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** The OpenAI-compatible endpoints: chat completions, completions, embeddings, models. */
final class OpenAiApi {
    private static final String FINGERPRINT = "fp_hearth_" + HearthServer.VERSION.replace('.', '_');
    private static final String ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private final HearthServer server;
    private final SecureRandom random = new SecureRandom();

    OpenAiApi(HearthServer server) {
        this.server = server;
    }

    // ------------------------------------------------------------------ chat completions

    void chat(Exchange ex) throws InterruptedException {
        Json.Fields f = Json.parseObject(server.body(ex));
        Loaded l = server.checkModel(f);
        List<Map<String, Object>> messages = messages(f);
        rejectUnsupported(f, true);
        boolean stream = f.bool("stream").orElse(false);
        boolean includeUsage = includeUsage(f, stream);
        boolean logprobs = f.bool("logprobs").orElse(false);
        Long top = f.integer("top_logprobs", 0, 20).orElse(null);
        if (top != null && !logprobs) {
            throw ApiError.invalidValue("top_logprobs", "'top_logprobs' requires 'logprobs' to be true.");
        }
        int topLogprobs = logprobs ? (top == null ? 0 : top.intValue()) : -1;
        HearthServer.Options o = options(f, l, topLogprobs, null);
        int[] prompt = server.chatPrompt(l, messages);
        GenerationRun run = server.launch(ex, l, List.of(prompt), o, "messages");
        String id = "chatcmpl-" + randomId();
        long created = System.currentTimeMillis() / 1000;
        Tokenizer tok = l.model().tokenizer();
        try {
            if (stream) {
                streamChat(ex, run, id, created, l.id(), tok, logprobs, includeUsage);
            } else {
                var out = Collected.collect(run);
                var choices = new ArrayList<OpenAiDto.ChatChoice>();
                for (int i = 0; i < run.size(); i++) {
                    var lp = logprobs ? new OpenAiDto.ChatLogprobs(chatLogprobs(tok, out.tokens.get(i)), null) : null;
                    choices.add(new OpenAiDto.ChatChoice(i, new OpenAiDto.ChatMessage("assistant", out.text(i), null), lp,
                            finishReason(out.results[i])));
                    server.logCompletion(out.text(i));
                }
                ex.completionTokens = out.generated();
                HearthServer.sendJson(ex.res, new OpenAiDto.ChatCompletion(id, "chat.completion", created, l.id(), FINGERPRINT,
                        choices, OpenAiDto.Usage.of(ex.promptTokens, ex.completionTokens)));
            }
        } finally {
            run.cancel(); // no-op for sequences that ended; frees the others when the client left
            server.finished(ex);
        }
    }

    private void streamChat(Exchange ex, GenerationRun run, String id, long created, String model, Tokenizer tok,
                            boolean logprobs, boolean includeUsage) throws InterruptedException {
        var s = new HearthServer.Stream(ex.res, "text/event-stream");
        for (int i = 0; i < run.size(); i++) {
            s.event(chunk(new OpenAiDto.ChatChunk(id, "chat.completion.chunk", created, model, FINGERPRINT,
                    List.of(new OpenAiDto.ChunkChoice(i, new OpenAiDto.Delta("assistant", "", null), null, null)), null), includeUsage));
        }
        var texts = new StringBuilder[run.size()];
        for (int i = 0; i < texts.length; i++) texts[i] = new StringBuilder();
        int done = 0;
        while (done < run.size()) {
            switch (run.next()) {
                case GenerationRun.Piece p -> {
                    if (p.text().isEmpty() && (!logprobs || p.tokens().isEmpty())) continue;
                    texts[p.index()].append(p.text());
                    var lp = logprobs ? new OpenAiDto.ChatLogprobs(chatLogprobs(tok, p.tokens()), null) : null;
                    s.event(chunk(new OpenAiDto.ChatChunk(id, "chat.completion.chunk", created, model, FINGERPRINT,
                            List.of(new OpenAiDto.ChunkChoice(p.index(), new OpenAiDto.Delta(null, p.text(), null), lp, null)), null),
                            includeUsage));
                }
                case GenerationRun.Finished fin -> {
                    if (fin.result().finishReason() == FinishReason.CANCELLED) {
                        s.event(Json.bytes(errorBody(ApiError.unavailable("shutting_down", "The server shut down before this completion finished."))));
                        s.close();
                        return;
                    }
                    done++;
                    ex.completionTokens += fin.result().generatedTokens();
                    server.logCompletion(texts[fin.index()].toString());
                    s.event(chunk(new OpenAiDto.ChatChunk(id, "chat.completion.chunk", created, model, FINGERPRINT,
                            List.of(new OpenAiDto.ChunkChoice(fin.index(), new OpenAiDto.Delta(null, null, null), null,
                                    finishReason(fin.result()))), null), includeUsage));
                }
                case GenerationRun.Failed fail -> {
                    endWithFailure(s, fail.error());
                    return;
                }
            }
        }
        if (includeUsage) {
            s.event(Json.bytes(new OpenAiDto.ChatChunk(id, "chat.completion.chunk", created, model, FINGERPRINT, List.of(),
                    OpenAiDto.Usage.of(ex.promptTokens, ex.completionTokens))));
        }
        s.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
        s.close();
    }

    /** Logs a generation failure and ends the stream with an OpenAI error event (no stack trace to the client). */
    private static void endWithFailure(HearthServer.Stream s, Throwable error) {
        HearthServer.LOG.log(System.Logger.Level.ERROR, "generation failed", error);
        s.event(Json.bytes(errorBody(ApiError.internal("Generation failed on the server ("
                + error.getClass().getSimpleName() + "); it is logged there."))));
        s.close();
    }

    /** With {@code stream_options.include_usage}, every chunk but the last carries {@code "usage": null}, as OpenAI sends it. */
    private static byte[] chunk(Object chunk, boolean includeUsage) {
        if (!includeUsage) return Json.bytes(chunk);
        ObjectNode n = Json.MAPPER.valueToTree(chunk);
        if (!n.has("usage")) n.putNull("usage");
        return Json.bytes(n);
    }

    private static OpenAiDto.ErrorBody errorBody(ApiError e) {
        return new OpenAiDto.ErrorBody(new OpenAiDto.ErrorDetail(e.getMessage(), e.type, e.param, e.code));
    }

    private static List<OpenAiDto.TokenLogprob> chatLogprobs(Tokenizer tok, List<TokenEvent.Token> tokens) {
        var out = new ArrayList<OpenAiDto.TokenLogprob>(tokens.size());
        for (TokenEvent.Token t : tokens) {
            var r = t.logprobs();
            if (r == null) continue;
            var top = new ArrayList<OpenAiDto.TopLogprob>(r.topIds().length);
            for (int j = 0; j < r.topIds().length; j++) {
                byte[] b = tok.tokenBytes(r.topIds()[j], false);
                top.add(new OpenAiDto.TopLogprob(text(b), finite(r.topLogprobs()[j]), unsigned(b)));
            }
            byte[] b = tok.tokenBytes(t.id(), false);
            out.add(new OpenAiDto.TokenLogprob(text(b), finite(r.logprob()), unsigned(b), top));
        }
        return out;
    }

    /** JSON has no -Infinity: an impossible token gets OpenAI's floor of -9999. */
    private static double finite(float lp) {
        return Float.isFinite(lp) ? lp : -9999.0;
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static int[] unsigned(byte[] b) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) out[i] = b[i] & 0xFF;
        return out;
    }

    /** The conversation as the chat template wants it: role and text content per message. */
    private static List<Map<String, Object>> messages(Json.Fields f) {
        JsonNode arr = f.get("messages");
        if (arr == null) throw ApiError.badRequest("messages", "Missing required parameter: 'messages'.");
        if (!arr.isArray()) throw ApiError.invalidType("messages", "an array", Json.describe(arr));
        if (arr.isEmpty()) throw ApiError.invalidValue("messages", "'messages' must contain at least one message.");
        var out = new ArrayList<Map<String, Object>>();
        for (int i = 0; i < arr.size(); i++) {
            String p = "messages[" + i + "]";
            JsonNode m = arr.get(i);
            if (!m.isObject()) throw ApiError.invalidType(p, "an object", Json.describe(m));
            var mf = new Json.Fields(m, p + ".");
            String role = mf.string("role").orElseThrow(() -> ApiError.badRequest(p + ".role", "Missing required parameter: '" + p + ".role'."));
            switch (role) {
                case "system", "user", "assistant" -> { }
                case "developer" -> role = "system";
                case "tool", "function" -> throw ApiError.unsupported(p + ".role",
                        "Role '" + role + "' is not supported: this server does not do tool calling.");
                default -> throw ApiError.invalidValue(p + ".role", "Invalid value for '" + p + ".role': '" + role
                        + "'. Supported values are: 'system', 'developer', 'user' and 'assistant'.");
            }
            if (mf.has("tool_calls")) throw ApiError.unsupported(p + ".tool_calls", "Tool calls are not supported by this server.");
            var msg = new LinkedHashMap<String, Object>();
            msg.put("role", role);
            msg.put("content", content(mf, p, role));
            out.add(msg);
        }
        return out;
    }

    private static String content(Json.Fields mf, String p, String role) {
        JsonNode c = mf.get("content");
        if (c == null) {
            if (role.equals("assistant")) return "";
            throw ApiError.badRequest(p + ".content", "Missing required parameter: '" + p + ".content'.");
        }
        if (c.isTextual()) return c.asText();
        if (!c.isArray()) throw ApiError.invalidType(p + ".content", "a string or an array of content parts", Json.describe(c));
        var sb = new StringBuilder();
        for (int j = 0; j < c.size(); j++) {
            String pp = p + ".content[" + j + "]";
            JsonNode part = c.get(j);
            if (!part.isObject()) throw ApiError.invalidType(pp, "an object", Json.describe(part));
            var pf = new Json.Fields(part, pp + ".");
            String type = pf.string("type").orElseThrow(() -> ApiError.badRequest(pp + ".type", "Missing required parameter: '" + pp + ".type'."));
            if (!type.equals("text")) {
                throw ApiError.unsupported(pp + ".type", "Content parts of type '" + type + "' are not supported; this server takes text only.");
            }
            String text = pf.string("text").orElseThrow(() -> ApiError.badRequest(pp + ".text", "Missing required parameter: '" + pp + ".text'."));
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(text);
        }
        return sb.toString();
    }

    /** Parameters OpenAI has that this server cannot honour: refused by name rather than silently ignored. */
    private static void rejectUnsupported(Json.Fields f, boolean chat) {
        JsonNode tools = f.get("tools");
        if (tools != null && !(tools.isArray() && tools.isEmpty())) {
            throw ApiError.unsupported("tools", "Tool calling is not supported by this server; remove 'tools'.");
        }
        JsonNode choice = f.get("tool_choice");
        if (choice != null && !(choice.isTextual() && choice.asText().equals("none"))) {
            throw ApiError.unsupported("tool_choice", "Tool calling is not supported by this server; remove 'tool_choice'.");
        }
        for (String name : new String[] {"functions", "function_call", "audio", "prediction"}) {
            if (f.has(name)) throw ApiError.unsupported(name, "'" + name + "' is not supported by this server.");
        }
        JsonNode bias = f.get("logit_bias");
        if (bias != null && !(bias.isObject() && bias.isEmpty())) {
            throw ApiError.unsupported("logit_bias", "'logit_bias' is not supported by this server.");
        }
        f.object("response_format").ifPresent(rf -> {
            String type = rf.string("type").orElse("text");
            if (!type.equals("text")) {
                throw ApiError.unsupported("response_format.type", "response_format type '" + type + "' is not supported; only 'text' is.");
            }
        });
        JsonNode modalities = f.get("modalities");
        if (modalities != null) {
            if (!modalities.isArray()) throw ApiError.invalidType("modalities", "an array", Json.describe(modalities));
            for (JsonNode m : modalities) {
                if (!m.isTextual() || !m.asText().equals("text")) {
                    throw ApiError.unsupported("modalities", "Only the 'text' modality is supported.");
                }
            }
        }
        if (!chat) {
            if (f.bool("echo").orElse(false)) throw ApiError.unsupported("echo", "'echo' is not supported by this server.");
            if (f.integer("best_of", 1, 20).orElse(1L) > 1) throw ApiError.unsupported("best_of", "'best_of' above 1 is not supported by this server.");
            if (!f.string("suffix").orElse("").isEmpty()) throw ApiError.unsupported("suffix", "'suffix' (insertion) is not supported by this server.");
        }
        f.string("user"); // type-checked; not used
    }

    private static boolean includeUsage(Json.Fields f, boolean stream) {
        var so = f.object("stream_options");
        if (so.isPresent() && !stream) {
            throw ApiError.invalidValue("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
        }
        return so.flatMap(o -> o.bool("include_usage")).orElse(false);
    }

    /**
     * Sampling and length options: OpenAI's names and defaults (temperature 1, top_p 1), plus llama.cpp's
     * top_k, min_p, repeat_penalty, repeat_last_n and ignore_eos.
     */
    private HearthServer.Options options(Json.Fields f, Loaded l, int topLogprobs, Integer defaultMaxTokens) {
        int context = l.scheduler().contextLength();
        Long max = f.integer("max_completion_tokens", 1, Integer.MAX_VALUE)
                .orElse(f.integer("max_tokens", 1, Integer.MAX_VALUE).orElse(null));
        Integer maxTokens = max != null ? Integer.valueOf((int) (long) max) : defaultMaxTokens;
        float temperature = f.number("temperature", 0, 2).orElse(1.0).floatValue();
        float topP = f.number("top_p", 0, 1).orElse(1.0).floatValue();
        int topK = f.integer("top_k", 0, l.model().config().vocabSize()).orElse(0L).intValue();
        float minP = f.number("min_p", 0, 1).orElse(0.0).floatValue();
        double repeat = f.number("repeat_penalty", 0, 100).orElse(1.0);
        if (repeat <= 0) throw ApiError.invalidValue("repeat_penalty", "Invalid value for 'repeat_penalty': it must be > 0 (1 = off).");
        int lastN = f.integer("repeat_last_n", -1, context).orElse(64L).intValue();
        float presence = f.number("presence_penalty", -2, 2).orElse(0.0).floatValue();
        float frequency = f.number("frequency_penalty", -2, 2).orElse(0.0).floatValue();
        Long seed = f.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE).orElse(null);
        int n = f.integer("n", 1, server.maxChoices(l)).orElse(1L).intValue();
        List<String> stop = f.stringOrStrings("stop", 4);
        var params = new SamplerParams(temperature, topK, topP, minP, (float) repeat, lastN, frequency, presence, 0L);
        boolean ignoreEos = f.bool("ignore_eos").orElse(false);
        return new HearthServer.Options(n, maxTokens, params, seed, stop, topLogprobs, ignoreEos);
    }

    private static String finishReason(GenerationResult r) {
        return r.finishReason() == FinishReason.LENGTH ? "length" : "stop";
    }

    private String randomId() {
        var sb = new StringBuilder(24);
        for (int i = 0; i < 24; i++) sb.append(ID_CHARS.charAt(random.nextInt(ID_CHARS.length())));
        return sb.toString();
    }

    // ------------------------------------------------------------------ completions

    void completions(Exchange ex) throws InterruptedException {
        Json.Fields f = Json.parseObject(server.body(ex));
        Loaded l = server.checkModel(f);
        List<int[]> prompts = prompts(f, l, "prompt");
        rejectUnsupported(f, false);
        boolean stream = f.bool("stream").orElse(false);
        boolean includeUsage = includeUsage(f, stream);
        int topLogprobs = f.integer("logprobs", 0, 20).map(Long::intValue).orElse(-1);
        // OpenAI's legacy completions default to 16 tokens.
        HearthServer.Options o = options(f, l, topLogprobs, 16);
        GenerationRun run = server.launch(ex, l, prompts, o, "prompt");
        String id = "cmpl-" + randomId();
        long created = System.currentTimeMillis() / 1000;
        Tokenizer tok = l.model().tokenizer();
        try {
            if (stream) {
                streamCompletion(ex, run, id, created, l.id(), tok, topLogprobs >= 0, includeUsage);
            } else {
                var out = Collected.collect(run);
                var choices = new ArrayList<OpenAiDto.CompletionChoice>();
                for (int i = 0; i < run.size(); i++) {
                    var lp = topLogprobs >= 0 ? completionLogprobs(tok, out.tokens.get(i), new int[] {0}) : null;
                    choices.add(new OpenAiDto.CompletionChoice(out.text(i), i, lp, finishReason(out.results[i])));
                    server.logCompletion(out.text(i));
                }
                ex.completionTokens = out.generated();
                HearthServer.sendJson(ex.res, new OpenAiDto.Completion(id, "text_completion", created, l.id(), FINGERPRINT,
                        choices, OpenAiDto.Usage.of(ex.promptTokens, ex.completionTokens)));
            }
        } finally {
            run.cancel();
            server.finished(ex);
        }
    }

    private void streamCompletion(Exchange ex, GenerationRun run, String id, long created, String model, Tokenizer tok,
                                  boolean logprobs, boolean includeUsage) throws InterruptedException {
        var s = new HearthServer.Stream(ex.res, "text/event-stream");
        var texts = new StringBuilder[run.size()];
        int[][] offsets = new int[run.size()][1];
        for (int i = 0; i < texts.length; i++) texts[i] = new StringBuilder();
        int done = 0;
        while (done < run.size()) {
            switch (run.next()) {
                case GenerationRun.Piece p -> {
                    if (p.text().isEmpty() && (!logprobs || p.tokens().isEmpty())) continue;
                    texts[p.index()].append(p.text());
                    var lp = logprobs ? completionLogprobs(tok, p.tokens(), offsets[p.index()]) : null;
                    s.event(chunk(new OpenAiDto.Completion(id, "text_completion", created, model, FINGERPRINT,
                            List.of(new OpenAiDto.CompletionChoice(p.text(), p.index(), lp, null)), null), includeUsage));
                }
                case GenerationRun.Finished fin -> {
                    if (fin.result().finishReason() == FinishReason.CANCELLED) {
                        s.event(Json.bytes(errorBody(ApiError.unavailable("shutting_down", "The server shut down before this completion finished."))));
                        s.close();
                        return;
                    }
                    done++;
                    ex.completionTokens += fin.result().generatedTokens();
                    server.logCompletion(texts[fin.index()].toString());
                    s.event(chunk(new OpenAiDto.Completion(id, "text_completion", created, model, FINGERPRINT,
                            List.of(new OpenAiDto.CompletionChoice("", fin.index(), null, finishReason(fin.result()))), null), includeUsage));
                }
                case GenerationRun.Failed fail -> {
                    endWithFailure(s, fail.error());
                    return;
                }
            }
        }
        if (includeUsage) {
            s.event(Json.bytes(new OpenAiDto.Completion(id, "text_completion", created, model, FINGERPRINT, List.of(),
                    OpenAiDto.Usage.of(ex.promptTokens, ex.completionTokens))));
        }
        s.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
        s.close();
    }

    /** Legacy logprobs: parallel lists of token texts, their log-probabilities, top alternatives and text offsets. */
    private static OpenAiDto.CompletionLogprobs completionLogprobs(Tokenizer tok, List<TokenEvent.Token> tokens, int[] offset) {
        var texts = new ArrayList<String>();
        var lps = new ArrayList<Double>();
        var tops = new ArrayList<Map<String, Double>>();
        var offsets = new ArrayList<Integer>();
        for (TokenEvent.Token t : tokens) {
            var r = t.logprobs();
            if (r == null) continue;
            String s = text(tok.tokenBytes(t.id(), false));
            texts.add(s);
            lps.add(finite(r.logprob()));
            var top = new LinkedHashMap<String, Double>();
            for (int j = 0; j < r.topIds().length; j++) top.putIfAbsent(text(tok.tokenBytes(r.topIds()[j], false)), finite(r.topLogprobs()[j]));
            tops.add(top);
            offsets.add(offset[0]);
            offset[0] += s.length();
        }
        return new OpenAiDto.CompletionLogprobs(texts, lps, tops, offsets);
    }

    /** {@code prompt} (or {@code input}): a string, strings, token ids, or lists of token ids. */
    private List<int[]> prompts(Json.Fields f, Loaded l, String field) {
        JsonNode p = f.get(field);
        if (p == null) throw ApiError.badRequest(field, "Missing required parameter: '" + field + "'.");
        var out = new ArrayList<int[]>();
        if (p.isTextual()) {
            out.add(encode(l, p.asText(), field));
        } else if (p.isArray() && !p.isEmpty()) {
            if (p.get(0).isNumber()) {
                out.add(tokenIds(p, field, l));
            } else {
                for (int i = 0; i < p.size(); i++) {
                    JsonNode e = p.get(i);
                    String name = field + "[" + i + "]";
                    if (e.isTextual()) out.add(encode(l, e.asText(), name));
                    else if (e.isArray()) out.add(tokenIds(e, name, l));
                    else throw ApiError.invalidType(name, "a string or an array of token ids", Json.describe(e));
                }
            }
        } else {
            throw ApiError.invalidType(field, "a non-empty string, array of strings, or array of token ids", Json.describe(p));
        }
        return out;
    }

    private int[] encode(Loaded l, String text, String field) {
        return field.startsWith("input") ? l.model().tokenizer().encode(text, true, false) : server.textPrompt(l, text);
    }

    private static int[] tokenIds(JsonNode arr, String name, Loaded l) {
        int vocab = l.model().config().vocabSize();
        int[] ids = new int[arr.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = arr.get(i);
            if (!t.isIntegralNumber()) throw ApiError.invalidType(name + "[" + i + "]", "a token id (integer)", Json.describe(t));
            long v = t.asLong();
            if (v < 0 || v >= vocab) {
                throw ApiError.invalidValue(name + "[" + i + "]", "Token id " + v + " is outside the vocabulary (0.." + (vocab - 1) + ").");
            }
            ids[i] = (int) v;
        }
        return ids;
    }

    // ------------------------------------------------------------------ embeddings

    void embeddings(Exchange ex) throws InterruptedException {
        Json.Fields f = Json.parseObject(server.body(ex));
        Loaded l = server.checkModel(f);
        String format = f.string("encoding_format").orElse("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiError.invalidValue("encoding_format", "Invalid value for 'encoding_format': '" + format + "'. Supported values are: 'float' and 'base64'.");
        }
        int dim = l.model().config().dim();
        f.integer("dimensions", 1, Integer.MAX_VALUE).ifPresent(d -> {
            if (d != dim) throw ApiError.unsupported("dimensions", "This model's embeddings have " + dim + " dimensions; other sizes are not supported.");
        });
        f.string("user");
        List<int[]> inputs = prompts(f, l, "input");
        int context = l.scheduler().contextLength();
        var futures = new ArrayList<CompletableFuture<float[]>>();
        try {
            for (int i = 0; i < inputs.size(); i++) {
                int[] t = inputs.get(i);
                if (t.length == 0) throw ApiError.badRequest("input", "Input " + i + " is empty after tokenization.");
                if (t.length > context) {
                    throw new ApiError(400, "invalid_request_error", "input", "context_length_exceeded", "This model's maximum context length is "
                            + context + " tokens, however input " + i + " has " + t.length + " tokens. Please reduce its length.", 0);
                }
                ex.promptTokens += t.length;
                futures.add(l.scheduler().embed(t));
            }
            var data = new ArrayList<OpenAiDto.Embedding>();
            for (int i = 0; i < futures.size(); i++) {
                float[] e = futures.get(i).get();
                Object value = format.equals("float") ? e : base64(e);
                data.add(new OpenAiDto.Embedding("embedding", value, i));
            }
            HearthServer.sendJson(ex.res, new OpenAiDto.EmbeddingList("list", data, l.id(),
                    new OpenAiDto.EmbeddingUsage(ex.promptTokens, ex.promptTokens)));
        } catch (QueueFullException e) {
            throw ApiError.busy(e.getMessage());
        } catch (ContextOverflowException e) {
            throw ApiError.badRequest("input", e.getMessage());
        } catch (IllegalStateException e) { // shutting down (CancellationException included)
            throw ApiError.unavailable("shutting_down", "The server is shutting down; retry on another instance.");
        } catch (ExecutionException e) {
            throw new IllegalStateException("embedding failed", e.getCause());
        } finally {
            for (var fu : futures) fu.cancel(false);
            server.finished(ex);
        }
    }

    static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return Base64.getEncoder().encodeToString(b.array());
    }

    // ------------------------------------------------------------------ models

    void models(Exchange ex) {
        Loaded l = server.loaded();
        HearthServer.sendJson(ex.res, new OpenAiDto.ModelList("list", List.of(info(l))));
    }

    void model(Exchange ex) {
        Loaded l = server.loaded();
        String id = ex.req.path().pathParameters().get("id");
        if (!l.matches(id)) throw ApiError.modelNotFound(id, l.id());
        HearthServer.sendJson(ex.res, info(l));
    }

    private static OpenAiDto.ModelInfo info(Loaded l) {
        return new OpenAiDto.ModelInfo(l.id(), "model", l.created(), "hearth");
    }

    /** Every choice's text, tokens and result, waiting for all of them (non-streaming responses). */
    static final class Collected {
        final StringBuilder[] texts;
        final List<List<TokenEvent.Token>> tokens = new ArrayList<>();
        final GenerationResult[] results;

        private Collected(int n) {
            texts = new StringBuilder[n];
            results = new GenerationResult[n];
            for (int i = 0; i < n; i++) {
                texts[i] = new StringBuilder();
                tokens.add(new ArrayList<>());
            }
        }

        String text(int i) { return texts[i].toString(); }

        int generated() {
            int g = 0;
            for (GenerationResult r : results) g += r.generatedTokens();
            return g;
        }

        static Collected collect(GenerationRun run) throws InterruptedException {
            var c = new Collected(run.size());
            int done = 0;
            while (done < run.size()) {
                switch (run.next()) {
                    case GenerationRun.Piece p -> {
                        c.texts[p.index()].append(p.text());
                        c.tokens.get(p.index()).addAll(p.tokens());
                    }
                    case GenerationRun.Finished fin -> {
                        if (fin.result().finishReason() == FinishReason.CANCELLED) {
                            throw ApiError.unavailable("shutting_down", "The server shut down before this completion finished.");
                        }
                        c.results[fin.index()] = fin.result();
                        done++;
                    }
                    case GenerationRun.Failed fail -> throw new IllegalStateException("generation failed", fail.error());
                }
            }
            return c;
        }
    }
}
