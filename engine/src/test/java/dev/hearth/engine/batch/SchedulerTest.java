package dev.hearth.engine.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hearth.engine.gguf.GgmlType;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.kernel.Parallel;
import dev.hearth.engine.model.ContextOverflowException;
import dev.hearth.engine.model.ModelConfig;
import dev.hearth.engine.model.Session;
import dev.hearth.engine.model.TinyModels;
import dev.hearth.engine.model.Transformer;
import dev.hearth.engine.model.Weights;
import dev.hearth.engine.sampling.Logprobs;
import dev.hearth.engine.sampling.Sampler;
import dev.hearth.engine.sampling.SamplerParams;
import dev.hearth.engine.tokenizer.Tokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The continuous-batching scheduler on a tiny generated Llama (Q8_0 matrices, 320 tokens, context 256). */
class SchedulerTest {
    static Parallel pool;
    static Transformer model;
    static Tokenizer tokenizer;
    static final int CONTEXT = 256;
    /** For sequences that must outlive what a test does meanwhile, however fast the machine. */
    static final int LONG_CONTEXT = 4096;

    @BeforeAll
    static void load() {
        GgufFile file = TinyModels.build(TinyModels.Spec.of("llama", GgmlType.Q8_0));
        ModelConfig config = ModelConfig.from(file);
        pool = new Parallel(2);
        model = new Transformer(config, new Weights(file, config), pool);
        tokenizer = Tokenizer.fromGguf(file);
    }

    @AfterAll
    static void close() {
        pool.close();
    }

    /** Collects one sequence's output. */
    static class Collector implements GenerationListener {
        final StringBuilder text = new StringBuilder();
        final List<String> pieces = new CopyOnWriteArrayList<>();
        final List<TokenEvent.Token> tokens = new CopyOnWriteArrayList<>();
        final AtomicInteger events = new AtomicInteger();
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();

        @Override
        public void onToken(TokenEvent e) {
            events.incrementAndGet();
            synchronized (text) {
                text.append(e.text());
            }
            pieces.add(e.text());
            tokens.addAll(e.tokens());
        }

        @Override
        public void onComplete(GenerationResult r) { done.complete(r); }

        @Override
        public void onError(Throwable t) { done.completeExceptionally(t); }

        GenerationResult result() throws Exception {
            return done.get(60, TimeUnit.SECONDS);
        }

        int[] ids() {
            return tokens.stream().mapToInt(TokenEvent.Token::id).toArray();
        }

        String text() {
            synchronized (text) {
                return text.toString();
            }
        }
    }

    /** Random prompt tokens that are plain text pieces (no BOS/EOS), reproducible from the seed. */
    static int[] prompt(long seed, int length) {
        var rnd = new SplittableRandom(seed);
        int[] p = new int[length];
        p[0] = 1; // BOS
        for (int i = 1; i < length; i++) p[i] = 3 + rnd.nextInt(317);
        return p;
    }

    static GenerationRequest greedy(int[] prompt, int maxTokens) {
        return GenerationRequest.of(prompt, maxTokens, SamplerParams.greedy()).withTopLogprobs(0);
    }

    /** A long prompt (prompt rows) and a short one (decode rows, {@code Transformer.isShortPrompt}), as in {@code Session}. */
    @ParameterizedTest
    @ValueSource(ints = {30, 6})
    void aloneMatchesSingleSequenceGeneration(int promptLength) throws Exception {
        int[] p = prompt(7, promptLength);
        int maxTokens = 20;
        // Reference: the single-sequence path of hearth run (Session + Sampler, batch of one per decode step).
        var session = new Session(model, CONTEXT);
        var sampler = new Sampler(SamplerParams.greedy(), model.config().vocabSize());
        float[] logits = session.feed(p);
        List<Integer> expected = new ArrayList<>();
        List<Float> expectedLogprobs = new ArrayList<>();
        for (int i = 0; i < maxTokens; i++) {
            float[] raw = logits.clone();
            int t = sampler.sample(logits);
            if (tokenizer.isEndOfGeneration(t)) break;
            expected.add(t);
            expectedLogprobs.add(Logprobs.of(raw, t, 0).logprob());
            if (i + 1 < maxTokens) logits = session.next(t);
        }
        try (var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(4, 16))) {
            var c = new Collector();
            s.submit(greedy(p, maxTokens), c);
            GenerationResult r = c.result();
            assertThat(c.ids()).containsExactly(expected.stream().mapToInt(Integer::intValue).toArray());
            // the same rows' kinds as Session's (a short prompt as decode rows): the same logits, bit for bit
            assertThat(c.tokens.stream().map(tk -> tk.logprobs().logprob()).toList()).containsExactlyElementsOf(expectedLogprobs);
            assertThat(r.generatedTokens()).isEqualTo(expected.size());
            assertThat(r.promptTokens()).isEqualTo(p.length);
            assertThat(r.finishReason()).isEqualTo(expected.size() == maxTokens ? FinishReason.LENGTH : FinishReason.STOP);
        }
    }

    /** The target's prompt long (prompt rows, fed in chunks) or short (decode rows), among prompts of both kinds. */
    @ParameterizedTest
    @ValueSource(ints = {37, 6})
    void greedyOutputDoesNotDependOnBatching(int promptLength) throws Exception {
        int maxTokens = 24;
        int[] target = prompt(99, promptLength);
        int[] alone;
        try (var s = new Scheduler(model, tokenizer, CONTEXT, new Scheduler.Config(17, 32, 64))) {
            var c = new Collector();
            s.submit(greedy(target, maxTokens).withIgnoreEos(true), c);
            c.result();
            alone = c.ids();
        }
        assertThat(alone).hasSize(maxTokens);
        try (var s = new Scheduler(model, tokenizer, CONTEXT, new Scheduler.Config(17, 32, 64))) {
            List<Collector> others = new ArrayList<>();
            // Others of different lengths start first, so the target joins a batch mid-flight and is prefilled in chunks.
            for (int i = 0; i < 8; i++) {
                var c = new Collector();
                s.submit(greedy(prompt(i, 5 + 11 * i), 10 + 3 * i).withIgnoreEos(true), c);
                others.add(c);
            }
            var t = new Collector();
            s.submit(greedy(target, maxTokens).withIgnoreEos(true), t);
            for (int i = 8; i < 16; i++) {
                var c = new Collector();
                s.submit(greedy(prompt(i, 3 + 7 * i), 5 + 2 * i).withIgnoreEos(true), c);
                others.add(c);
            }
            t.result();
            for (Collector c : others) c.result();
            assertThat(t.ids()).containsExactly(alone);
        }
    }

    @Test
    void everyRequestFinishesWithItsOwnBudgetAmongOthers() throws Exception {
        try (var s = new Scheduler(model, tokenizer, CONTEXT, new Scheduler.Config(6, 64, 32))) {
            List<Collector> cs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                var c = new Collector();
                s.submit(greedy(prompt(100 + i, 4 + 9 * i), 3 + i).withIgnoreEos(true), c);
                cs.add(c);
            }
            for (int i = 0; i < cs.size(); i++) {
                GenerationResult r = cs.get(i).result();
                assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
                assertThat(r.generatedTokens()).isEqualTo(3 + i);
                assertThat(cs.get(i).tokens).hasSize(3 + i);
            }
            awaitIdle(s);
            assertThat(s.stats().slotsAllocated()).isLessThanOrEqualTo(6);
            assertThat(s.stats().kvBytesAllocated()).isLessThanOrEqualTo(6 * s.kvBytesPerSequence());
            // every prompt token is a row, and every generated token but the last (sampled, not fed back)
            long rows = 0;
            for (int i = 0; i < 20; i++) rows += 4 + 9 * i + 3 + i - 1;
            assertThat(s.stats().forwardRows()).isEqualTo(rows);
            assertThat(s.stats().forwardHeapBytes()).isNotNegative();
        }
    }

    @Test
    void cancellationFreesTheSlotAtTheNextStep() throws Exception {
        try (var s = new Scheduler(model, tokenizer, LONG_CONTEXT, Scheduler.Config.of(1, 4))) {
            var a = new Collector();
            Scheduler.Handle h = s.submit(greedy(prompt(1, 10), 4000).withIgnoreEos(true), a);
            var b = new Collector();
            s.submit(greedy(prompt(2, 10), 5).withIgnoreEos(true), b);
            while (a.events.get() < 3) Thread.sleep(1);
            // stats are published after each step: a step that ran before b's submission may be the latest
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (s.stats().waiting() != 1 && System.nanoTime() < deadline) Thread.sleep(1);
            assertThat(s.stats().running()).isEqualTo(1);
            assertThat(s.stats().waiting()).isEqualTo(1);
            h.cancel();
            GenerationResult r = a.result();
            assertThat(r.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(r.generatedTokens()).isLessThan(4000);
            assertThat(h.isDone()).isTrue();
            // The single slot went to the waiting request, which runs to its end.
            assertThat(b.result().finishReason()).isEqualTo(FinishReason.LENGTH);
            awaitIdle(s);
            assertThat(s.stats().running()).isZero();
            assertThat(s.stats().kvBytesInUse()).isZero();
            assertThat(s.stats().slotsAllocated()).isEqualTo(1);
        }
    }

    @Test
    void cancellingAWaitingRequestTakesItOutOfTheQueue() throws Exception {
        try (var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(1, 4))) {
            var a = new Collector();
            Scheduler.Handle ha = s.submit(greedy(prompt(1, 10), 200).withIgnoreEos(true), a);
            var b = new Collector();
            Scheduler.Handle hb = s.submit(greedy(prompt(2, 10), 5), b);
            hb.cancel();
            GenerationResult rb = b.result();
            assertThat(rb.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(rb.generatedTokens()).isZero();
            assertThat(a.done).isNotDone();
            ha.cancel();
            assertThat(a.result().finishReason()).isEqualTo(FinishReason.CANCELLED);
        }
    }

    @Test
    void aFullQueueRejectsAtOnce() throws Exception {
        try (var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(1, 1))) {
            var a = new Collector();
            Scheduler.Handle ha = s.submit(greedy(prompt(1, 10), 200).withIgnoreEos(true), a);
            while (a.events.get() < 1) Thread.sleep(1);
            var b = new Collector();
            Scheduler.Handle hb = s.submit(greedy(prompt(2, 10), 5), b); // waits for the slot
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> s.submit(greedy(prompt(3, 10), 5), new Collector()))
                    .isInstanceOf(QueueFullException.class)
                    .hasMessageContaining("waiting queue (1 requests) is full");
            assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.MILLISECONDS.toNanos(200));
            ha.cancel();
            hb.cancel();
            a.result();
            b.result();
        }
    }

    @Test
    void promptPlusMaxTokensOverTheContextIsRejectedWithBothNumbers() {
        try (var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(1, 1))) {
            assertThatThrownBy(() -> s.submit(greedy(prompt(1, 200), 100), new Collector()))
                    .isInstanceOfSatisfying(ContextOverflowException.class, e -> {
                        assertThat(e.needed()).isEqualTo(300);
                        assertThat(e.context()).isEqualTo(CONTEXT);
                    })
                    .hasMessageContaining("300").hasMessageContaining("256");
            assertThat(s.stats().waiting()).isZero();
        }
    }

    @Test
    void longPromptsArePrefilledInChunksWithoutFreezingRunningStreams() throws Exception {
        try (var s = new Scheduler(model, tokenizer, CONTEXT, new Scheduler.Config(2, 4, 16))) {
            var a = new Collector();
            Scheduler.Handle ha = s.submit(greedy(prompt(1, 5), 240).withIgnoreEos(true), a);
            while (a.events.get() < 1) Thread.sleep(1);
            var b = new Collector() {
                volatile int aTokensAtFirst = -1;

                @Override
                public void onToken(TokenEvent e) {
                    if (aTokensAtFirst < 0) aTokensAtFirst = a.events.get();
                    super.onToken(e);
                }
            };
            int before = a.events.get();
            s.submit(greedy(prompt(2, 200), 2), b); // 200 prompt tokens at 16 per step: 13 steps of prefill
            b.result();
            // A generated a token in every one of B's prefill steps.
            assertThat(b.aTokensAtFirst - before).isGreaterThanOrEqualTo(12);
            ha.cancel();
            a.result();
        }
    }

    @Test
    void stopStringsAcrossTokenBoundariesEndGenerationAndAreNeverEmitted() throws Exception {
        int[] p = prompt(5, 12);
        String full;
        List<String> pieces;
        try (var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(2, 4))) {
            var c = new Collector();
            s.submit(greedy(p, 40).withIgnoreEos(true), c);
            c.result();
            full = c.text();
            pieces = c.pieces;
        }
        // A stop string made of the end of one piece and the start of the next, first occurring right there.
        String stop = null;
        int at = -1, offset = 0;
        for (int i = 0; i + 1 < pieces.size() && stop == null; i++) {
            offset += pieces.get(i).length();
            String a = pieces.get(i), b = pieces.get(i + 1);
            if (a.isEmpty() || b.isEmpty() || i < 3) continue;
            String candidate = a.substring(a.length() - 1) + b.substring(0, Math.min(2, b.length()));
            if (full.indexOf(candidate) == offset - 1) {
                stop = candidate;
                at = offset - 1;
            }
        }
        assertThat(stop).as("a stop string across a token boundary in %s", pieces).isNotNull();
        try (var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(2, 4))) {
            var c = new Collector();
            s.submit(greedy(p, 40).withIgnoreEos(true).withStop(List.of("never-in-this-text", stop)), c);
            GenerationResult r = c.result();
            assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(c.text()).isEqualTo(full.substring(0, at));
            for (String piece : c.pieces) assertThat(piece).doesNotContain(stop);
            // Released tokens never cover the stop text.
            assertThat(tokenizer.decode(c.ids(), false).length()).isLessThanOrEqualTo(at + 1);
        }
    }

    @Test
    void logprobsComeWithEveryTokenAndTheGreedyTokenIsTheMostLikely() throws Exception {
        try (var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(2, 4))) {
            var c = new Collector();
            s.submit(GenerationRequest.of(prompt(3, 9), 12, SamplerParams.greedy()).withTopLogprobs(3).withIgnoreEos(true), c);
            GenerationResult r = c.result();
            assertThat(c.tokens).hasSize(r.generatedTokens());
            for (TokenEvent.Token t : c.tokens) {
                assertThat(t.logprobs()).isNotNull();
                assertThat(t.logprobs().topIds()).hasSize(3);
                assertThat(t.logprobs().topIds()[0]).isEqualTo(t.id());
                assertThat(t.logprobs().logprob()).isLessThanOrEqualTo(0f);
            }
        }
    }

    @Test
    void seededSamplingIsReproducible() throws Exception {
        var params = new SamplerParams(0.9f, 40, 0.95f, 0.05f, 1f, 64, 0f, 0f, 1234L);
        int[][] runs = new int[2][];
        for (int k = 0; k < 2; k++) {
            try (var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(2, 4))) {
                var c = new Collector();
                s.submit(GenerationRequest.of(prompt(4, 9), 16, params).withTopLogprobs(0), c);
                c.result();
                runs[k] = c.ids();
            }
        }
        assertThat(runs[0]).isNotEmpty().containsExactly(runs[1]);
    }

    @Test
    void embeddingsAreUnitLengthMeanPooledAndDeterministic() throws Exception {
        try (var s = new Scheduler(model, tokenizer, CONTEXT, new Scheduler.Config(2, 4, 8))) {
            float[] a = s.embed(prompt(1, 30)).get(30, TimeUnit.SECONDS);
            float[] a2 = s.embed(prompt(1, 30)).get(30, TimeUnit.SECONDS);
            float[] b = s.embed(prompt(2, 30)).get(30, TimeUnit.SECONDS);
            assertThat(a).hasSize(model.config().dim()).containsExactly(a2);
            double norm = 0;
            for (float v : a) norm += v * v;
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            assertThat(a).isNotEqualTo(b);
            assertThatThrownBy(() -> s.embed(prompt(1, CONTEXT + 1))).isInstanceOf(ContextOverflowException.class);
        }
    }

    @Test
    void shutdownRefusesNewWorkAndCancelsWhatOutlivesTheGracePeriod() throws Exception {
        var s = new Scheduler(model, tokenizer, LONG_CONTEXT, Scheduler.Config.of(1, 4));
        var a = new Collector();
        s.submit(greedy(prompt(1, 10), 4000).withIgnoreEos(true), a);
        var b = new Collector();
        s.submit(greedy(prompt(2, 10), 5), b);
        while (a.events.get() < 1) Thread.sleep(1);
        boolean drained = s.shutdown(Duration.ofMillis(50));
        assertThat(drained).isFalse();
        assertThat(a.result().finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(b.result().finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThatThrownBy(() -> s.submit(greedy(prompt(1, 5), 2), new Collector())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shutdownLetsShortRequestsFinish() throws Exception {
        var s = new Scheduler(model, tokenizer, CONTEXT, Scheduler.Config.of(2, 4));
        var a = new Collector();
        s.submit(greedy(prompt(1, 10), 8).withIgnoreEos(true), a);
        assertThat(s.shutdown(Duration.ofSeconds(30))).isTrue();
        assertThat(a.result().finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    static void awaitIdle(Scheduler s) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((s.stats().running() > 0 || s.stats().waiting() > 0) && System.nanoTime() < deadline) Thread.sleep(2);
    }
}
