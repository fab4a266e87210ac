package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hearth.engine.batch.FinishReason;
import dev.hearth.engine.batch.GenerationResult;
import dev.hearth.engine.batch.QueueFullException;
import dev.hearth.engine.batch.TokenEvent;
import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.model.ContextOverflowException;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.sampling.SamplerParams;
import dev.hearth.server.HearthServer.Exchange;
import dev.hearth.server.HearthServer.Loaded;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The Ollama-compatible endpoints, with Ollama's field names: NDJSON streaming by default ({@code "stream": false}
 * for one object), {@code options.*} for sampling, durations in nanoseconds, errors as {@code {"error": "..."}}.
 */
final class OllamaApi {
    private final HearthServer server;

    OllamaApi(HearthServer server) {
        this.server = server;
    }

    // ------------------------------------------------------------------ chat and generate

    void chat(Exchange ex) throws InterruptedException {
        Json.Fields f = Json.parseObject(server.body(ex));
        Loaded l = checkModel(f);
        rejectUnsupported(f);
        boolean stream = f.bool("stream").orElse(true);
        JsonNode arr = f.get("messages");
        if (arr != null && !arr.isArray()) throw ApiError.invalidType("messages", "an array", Json.describe(arr));
        var messages = new ArrayList<Map<String, Object>>();
        for (int i = 0; arr != null && i < arr.size(); i++) {
            String p = "messages[" + i + "]";
            JsonNode m = arr.get(i);
            if (!m.isObject()) throw ApiError.invalidType(p, "an object", Json.describe(m));
            var mf = new Json.Fields(m, p + ".");
            String role = mf.string("role").orElseThrow(() -> ApiError.badRequest(p + ".role", p + " has no role"));
            if (!role.equals("system") && !role.equals("user") && !role.equals("assistant")) {
                throw ApiError.unsupported(p + ".role", "role '" + role + "' is not supported (system, user, assistant)");
            }
            JsonNode images = mf.get("images");
            if (images != null && !(images.isArray() && images.isEmpty())) {
                throw ApiError.unsupported(p + ".images", "images are not supported: this server runs text models");
            }
            var msg = new LinkedHashMap<String, Object>();
            msg.put("role", role);
            msg.put("content", mf.string("content").orElse(""));
            messages.add(msg);
        }
        Options o = options(f, l);
        String createdAt = Instant.now().toString();
        if (messages.isEmpty()) { // Ollama's way to preload a model: answer at once
            HearthServer.sendJson(ex.res, new OllamaDto.ChatResponse(l.id(), createdAt, new OllamaDto.Message("assistant", ""),
                    true, "load", null, null, null, null, null, null));
            return;
        }
        int[] prompt = server.chatPrompt(l, messages);
        generate(ex, l, prompt, o, stream, true, createdAt, "messages");
    }

    void generate(Exchange ex) throws InterruptedException {
        Json.Fields f = Json.parseObject(server.body(ex));
        Loaded l = checkModel(f);
        rejectUnsupported(f);
        if (!f.string("suffix").orElse("").isEmpty()) throw ApiError.unsupported("suffix", "suffix (fill-in-the-middle) is not supported");
        if (f.has("template")) throw ApiError.unsupported("template", "per-request templates are not supported; start the server with --chat-template");
        JsonNode images = f.get("images");
        if (images != null && !(images.isArray() && images.isEmpty())) throw ApiError.unsupported("images", "images are not supported: this server runs text models");
        boolean stream = f.bool("stream").orElse(true);
        boolean raw = f.bool("raw").orElse(false);
        String text = f.string("prompt").orElse("");
        String system = f.string("system").orElse(null);
        Options o = options(f, l);
        String createdAt = Instant.now().toString();
        if (text.isEmpty() && !f.has("context")) {
            HearthServer.sendJson(ex.res, new OllamaDto.GenerateResponse(l.id(), createdAt, "", true, "load",
                    null, null, null, null, null, null, null));
            return;
        }
        int[] prompt;
        if (raw) {
            prompt = server.textPrompt(l, text);
        } else {
            var messages = new ArrayList<Map<String, Object>>();
            if (system != null) messages.add(Map.of("role", "system", "content", system));
            messages.add(Map.of("role", "user", "content", text));
            prompt = server.chatPrompt(l, messages);
        }
        // "context" continues an earlier /api/generate exchange: its tokens come first.
        JsonNode ctx = f.get("context");
        if (ctx != null) {
            if (!ctx.isArray()) throw ApiError.invalidType("context", "an array of token ids", Json.describe(ctx));
            int vocab = l.model().config().vocabSize();
            // The new prompt continues the old tokens: no second BOS in the middle.
            int skip = ctx.size() > 0 && prompt.length > 0 && prompt[0] == l.model().tokenizer().bos() ? 1 : 0;
            int[] all = new int[ctx.size() + prompt.length - skip];
            for (int i = 0; i < ctx.size(); i++) {
                JsonNode t = ctx.get(i);
                if (!t.isIntegralNumber() || t.asLong() < 0 || t.asLong() >= vocab) {
                    throw ApiError.invalidValue("context[" + i + "]", "context[" + i + "] is not a token id of this model");
                }
                all[i] = t.asInt();
            }
            System.arraycopy(prompt, skip, all, ctx.size(), prompt.length - skip);
            prompt = all;
        }
        generate(ex, l, prompt, o, stream, false, createdAt, "prompt");
    }

    private void generate(Exchange ex, Loaded l, int[] prompt, Options o, boolean stream, boolean chat, String createdAt,
                          String promptParam) throws InterruptedException {
        // Ollama stops at the end of the context rather than refusing a num_predict that does not fit.
        int room = l.scheduler().contextLength() - prompt.length;
        Integer max = o.maxTokens != null && room > 0 ? Integer.valueOf(Math.min(o.maxTokens, room)) : o.maxTokens;
        var opts = new HearthServer.Options(1, max, o.params, o.seed, o.stop, -1, false);
        GenerationRun run = server.launch(ex, l, List.of(prompt), opts, promptParam);
        var text = new StringBuilder();
        var generated = new ArrayList<Integer>();
        try {
            HearthServer.Stream s = stream ? new HearthServer.Stream(ex.res, "application/x-ndjson") : null;
            while (true) {
                switch (run.next()) {
                    case GenerationRun.Piece p -> {
                        text.append(p.text());
                        for (TokenEvent.Token t : p.tokens()) generated.add(t.id());
                        if (s != null && !p.text().isEmpty()) {
                            s.line(Json.bytes(chat
                                    ? new OllamaDto.ChatResponse(l.id(), Instant.now().toString(), new OllamaDto.Message("assistant", p.text()),
                                            false, null, null, null, null, null, null, null)
                                    : new OllamaDto.GenerateResponse(l.id(), Instant.now().toString(), p.text(), false, null,
                                            null, null, null, null, null, null, null)));
                        }
                    }
                    case GenerationRun.Finished fin -> {
                        GenerationResult r = fin.result();
                        if (r.finishReason() == FinishReason.CANCELLED) {
                            var e = ApiError.unavailable("shutting_down", "the server shut down before this response finished");
                            if (s == null) throw e;
                            s.line(Json.bytes(new OllamaDto.Error(e.getMessage())));
                            s.close();
                            return;
                        }
                        ex.completionTokens = r.generatedTokens();
                        server.logCompletion(text.toString());
                        long total = System.nanoTime() - ex.startNanos;
                        String reason = r.finishReason() == FinishReason.LENGTH ? "length" : "stop";
                        String body = s != null ? "" : text.toString();
                        Object last;
                        if (chat) {
                            last = new OllamaDto.ChatResponse(l.id(), Instant.now().toString(), new OllamaDto.Message("assistant", body),
                                    true, reason, total, 0L, r.promptTokens(), r.queueNanos() + r.prefillNanos(), r.generatedTokens(), r.decodeNanos());
                        } else {
                            int[] context = new int[prompt.length + generated.size()];
                            System.arraycopy(prompt, 0, context, 0, prompt.length);
                            for (int i = 0; i < generated.size(); i++) context[prompt.length + i] = generated.get(i);
                            last = new OllamaDto.GenerateResponse(l.id(), Instant.now().toString(), body, true, reason, context,
                                    total, 0L, r.promptTokens(), r.queueNanos() + r.prefillNanos(), r.generatedTokens(), r.decodeNanos());
                        }
                        if (s != null) {
                            s.line(Json.bytes(last));
                            s.close();
                        } else {
                            HearthServer.sendJson(ex.res, last);
                        }
                        return;
                    }
                    case GenerationRun.Failed fail -> {
                        HearthServer.LOG.log(System.Logger.Level.ERROR, "generation failed", fail.error());
                        if (s == null) throw new IllegalStateException("generation failed", fail.error());
                        s.line(Json.bytes(new OllamaDto.Error("generation failed on the server (" + fail.error().getClass().getSimpleName() + ")")));
                        s.close();
                        return;
                    }
                }
            }
        } finally {
            run.cancel();
            server.finished(ex);
        }
    }

    private record Options(Integer maxTokens, SamplerParams params, Long seed, List<String> stop) {}

    /** {@code options.*} with Ollama's defaults (temperature 0.8, top_k 40, top_p 0.9, repeat_penalty 1.1, num_predict -1). */
    private Options options(Json.Fields f, Loaded l) {
        Json.Fields o = f.object("options").orElse(new Json.Fields(Json.MAPPER.createObjectNode(), "options."));
        int context = l.scheduler().contextLength();
        long numPredict = o.integer("num_predict", -2, Integer.MAX_VALUE).orElse(-1L);
        if (numPredict == 0) throw ApiError.invalidValue("options.num_predict", "options.num_predict must be positive, or -1 for no limit");
        float temperature = o.number("temperature", 0, 100).orElse(0.8).floatValue();
        int topK = o.integer("top_k", 0, Integer.MAX_VALUE).orElse(40L).intValue();
        float topP = o.number("top_p", 0, 1).orElse(0.9).floatValue();
        float minP = o.number("min_p", 0, 1).orElse(0.0).floatValue();
        double repeat = o.number("repeat_penalty", 0, 100).orElse(1.1);
        if (repeat <= 0) throw ApiError.invalidValue("options.repeat_penalty", "options.repeat_penalty must be > 0 (1 = off)");
        int lastN = o.integer("repeat_last_n", -1, context).orElse(64L).intValue();
        float presence = o.number("presence_penalty", -100, 100).orElse(0.0).floatValue();
        float frequency = o.number("frequency_penalty", -100, 100).orElse(0.0).floatValue();
        Long seed = o.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE).orElse(null);
        if (seed != null && seed < 0) seed = null; // Ollama: -1 = random
        List<String> stop = o.stringOrStrings("stop", 16);
        o.integer("num_ctx", 1, Integer.MAX_VALUE); // type-checked; the context is fixed when the server starts
        var params = new SamplerParams(temperature, Math.min(topK, l.model().config().vocabSize()), topP, minP, (float) repeat,
                lastN, frequency, presence, 0L);
        return new Options(numPredict > 0 ? Integer.valueOf((int) numPredict) : null, params, seed, stop);
    }

    private static void rejectUnsupported(Json.Fields f) {
        JsonNode format = f.get("format");
        if (format != null && !(format.isTextual() && format.asText().isEmpty())) {
            throw ApiError.unsupported("format", "structured output ('format') is not supported by this server");
        }
        JsonNode tools = f.get("tools");
        if (tools != null && !(tools.isArray() && tools.isEmpty())) {
            throw ApiError.unsupported("tools", "tool calling is not supported by this server");
        }
        if (f.bool("think").orElse(false)) throw ApiError.unsupported("think", "thinking mode is not supported by this server");
    }

    private Loaded checkModel(Json.Fields f) {
        Loaded l = server.loaded();
        String name = f.string("model").or(() -> f.string("name")).orElse("");
        if (name.isEmpty()) throw ApiError.badRequest("model", "model is required");
        if (!l.matches(name)) {
            throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                    "model '" + name + "' not found; this server serves '" + l.id() + "'", 0);
        }
        return l;
    }

    // ------------------------------------------------------------------ embeddings

    void embed(Exchange ex) throws InterruptedException {
        Json.Fields f = Json.parseObject(server.body(ex));
        Loaded l = checkModel(f);
        JsonNode input = f.get("input");
        var texts = new ArrayList<String>();
        if (input == null) throw ApiError.badRequest("input", "input is required");
        if (input.isTextual()) {
            texts.add(input.asText());
        } else if (input.isArray()) {
            for (int i = 0; i < input.size(); i++) {
                if (!input.get(i).isTextual()) throw ApiError.invalidType("input[" + i + "]", "a string", Json.describe(input.get(i)));
                texts.add(input.get(i).asText());
            }
        } else {
            throw ApiError.invalidType("input", "a string or an array of strings", Json.describe(input));
        }
        boolean truncate = f.bool("truncate").orElse(true);
        int context = l.scheduler().contextLength();
        var futures = new ArrayList<CompletableFuture<float[]>>();
        try {
            for (String t : texts) {
                int[] tokens = l.model().tokenizer().encode(t, true, false);
                if (tokens.length == 0) throw ApiError.badRequest("input", "an input is empty after tokenization");
                if (tokens.length > context) {
                    if (!truncate) throw ApiError.badRequest("input", "input length " + tokens.length + " exceeds the context length " + context);
                    tokens = java.util.Arrays.copyOf(tokens, context);
                }
                ex.promptTokens += tokens.length;
                futures.add(l.scheduler().embed(tokens));
            }
            var out = new ArrayList<float[]>();
            for (var fu : futures) out.add(fu.get());
            long total = System.nanoTime() - ex.startNanos;
            HearthServer.sendJson(ex.res, new OllamaDto.Embed(l.id(), out, total, 0L, ex.promptTokens));
        } catch (QueueFullException e) {
            throw ApiError.busy(e.getMessage());
        } catch (ContextOverflowException e) {
            throw ApiError.badRequest("input", e.getMessage());
        } catch (IllegalStateException e) { // shutting down (CancellationException included)
            throw ApiError.unavailable("shutting_down", "the server is shutting down");
        } catch (ExecutionException e) {
            throw new IllegalStateException("embedding failed", e.getCause());
        } finally {
            for (var fu : futures) fu.cancel(false);
        }
    }

    // ------------------------------------------------------------------ model information

    void tags(Exchange ex) {
        Loaded l = server.loaded();
        String modified = Instant.ofEpochSecond(l.created()).toString();
        HearthServer.sendJson(ex.res, new OllamaDto.Tags(List.of(new OllamaDto.TagModel(l.id() + ":latest", l.id() + ":latest",
                modified, l.fileSize(), digest(l), details(l)))));
    }

    void ps(Exchange ex) {
        Loaded l = server.loaded();
        long size = l.fileSize() + l.scheduler().stats().kvBytesAllocated();
        HearthServer.sendJson(ex.res, new OllamaDto.Ps(List.of(new OllamaDto.PsModel(l.id() + ":latest", l.id() + ":latest",
                size, digest(l), details(l), Instant.now().plusSeconds(365L * 24 * 3600).toString(), 0L,
                l.scheduler().contextLength()))));
    }

    void show(Exchange ex) {
        Json.Fields f = Json.parseObject(server.body(ex));
        Loaded l = checkModel(f);
        ModelConfig c = l.model().config();
        String arch = c.architecture();
        var info = new LinkedHashMap<String, Object>();
        info.put("general.architecture", arch);
        info.put("general.name", l.id());
        info.put("general.parameter_count", parameters(l));
        info.put(arch + ".context_length", c.trainedContext());
        info.put(arch + ".embedding_length", c.dim());
        info.put(arch + ".block_count", c.layers());
        info.put(arch + ".feed_forward_length", c.ffnDim());
        info.put(arch + ".attention.head_count", c.heads());
        info.put(arch + ".attention.head_count_kv", c.kvHeads());
        info.put(arch + ".rope.freq_base", c.ropeTheta());
        info.put("tokenizer.ggml.model", l.model().tokenizer().modelType());
        String parameters = "num_ctx " + l.scheduler().contextLength();
        String modelfile = "# Modelfile generated by hearth\nFROM " + l.model().path().toAbsolutePath() + "\nTEMPLATE \"\"\""
                + l.model().chatTemplate().source() + "\"\"\"\nPARAMETER " + parameters + "\n";
        HearthServer.sendJson(ex.res, new OllamaDto.Show("", modelfile, parameters, l.model().chatTemplate().source(), details(l),
                info, List.of("completion", "embedding"), Instant.ofEpochSecond(l.created()).toString()));
    }

    void version(Exchange ex) {
        HearthServer.sendJson(ex.res, new OllamaDto.Version(HearthServer.VERSION));
    }

    private static OllamaDto.Details details(Loaded l) {
        String arch = l.model().config().architecture();
        return new OllamaDto.Details("", "gguf", arch, List.of(arch), parameterSize(parameters(l)), quantization(l));
    }

    private static long parameters(Loaded l) {
        long n = 0;
        for (GgufTensor t : l.model().file().tensors().values()) n += t.elements();
        return n;
    }

    /** "7.2B", "494.0M", "1.5K" as Ollama prints parameter counts. */
    static String parameterSize(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.1fB", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        if (n >= 1_000L) return String.format(Locale.ROOT, "%.1fK", n / 1e3);
        return Long.toString(n);
    }

    /** The tensor type holding the most bytes of the file (the matrices' quantization). */
    private static String quantization(Loaded l) {
        GgmlType best = null;
        long most = -1;
        for (var e : l.model().file().bytesByType().entrySet()) {
            if (e.getValue() > most) {
                most = e.getValue();
                best = e.getKey();
            }
        }
        return best == null ? "unknown" : best.name();
    }

    /** A stable identifier for the file (path, size, modification time): hashing gigabytes at start-up is not worth it. */
    private static String digest(Loaded l) {
        try {
            var md = MessageDigest.getInstance("SHA-256");
            md.update((l.model().path().toAbsolutePath() + "|" + l.fileSize() + "|" + l.created()).getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
