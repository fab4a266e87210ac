package dev.hearth.engine.batch;

import dev.hearth.engine.Model;
import dev.hearth.engine.kernel.JitWatch;
import dev.hearth.engine.kernel.Parallel;
import dev.hearth.engine.model.Batch;
import dev.hearth.engine.model.ContextOverflowException;
import dev.hearth.engine.model.KvCache;
import dev.hearth.engine.model.Transformer;
import dev.hearth.engine.sampling.Logprobs;
import dev.hearth.engine.sampling.Sampler;
import dev.hearth.engine.tokenizer.Tokenizer;
import dev.hearth.engine.tokenizer.Utf8StreamDecoder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Continuous batching: one thread owns the {@link Transformer} and generates for many sequences at once.
 * Each step it admits waiting requests into free slots, builds one {@link Batch} with one decode row per
 * running sequence plus up to {@link Config#stepTokens()} prompt tokens of sequences still prefilling (so a
 * long prompt is fed in chunks and never freezes running streams; short prompts first, as decode rows:
 * {@link Transformer#isShortPrompt}), runs one forward pass, samples each
 * sequence's next token and streams its text to its {@link GenerationListener}. Requests join and leave
 * between steps without disturbing the others.
 *
 * <p>A slot is a {@link KvCache} of the full context, allocated the first time it is used and reused after,
 * so KV memory is at most {@code maxSequences x kvBytesPerSequence}. Requests beyond the free slots wait in a
 * queue of {@link Config#queueCapacity()}; when that is full {@link #submit} fails at once with
 * {@link QueueFullException}.
 *
 * <p>Each sequence's rows depend only on its own tokens and cache, so with batch-invariant kernels a request's
 * output is the same alone or among others.
 */
public final class Scheduler implements AutoCloseable {
    /** Prompt tokens fed per step across all prefilling sequences, by default. */
    public static final int DEFAULT_STEP_TOKENS = 256;

    /**
     * @param maxSequences  sequences generated at once (slots)
     * @param queueCapacity requests that may wait for a slot (and embedding jobs waiting their turn)
     * @param stepTokens    prompt tokens fed per step, over all prefilling sequences
     */
    public record Config(int maxSequences, int queueCapacity, int stepTokens) {
        public Config {
            if (maxSequences < 1) throw new IllegalArgumentException("maxSequences must be at least 1, got " + maxSequences);
            if (queueCapacity < 0) throw new IllegalArgumentException("queueCapacity must be >= 0, got " + queueCapacity);
            if (stepTokens < 1) throw new IllegalArgumentException("stepTokens must be at least 1, got " + stepTokens);
        }

        public static Config of(int maxSequences, int queueCapacity) {
            return new Config(maxSequences, queueCapacity, DEFAULT_STEP_TOKENS);
        }
    }

    /**
     * A snapshot for gauges and tests.
     *
     * @param running          sequences holding a slot (prefilling or decoding)
     * @param waiting          requests queued for a slot, plus embedding jobs not finished
     * @param slotsAllocated   slots whose KV cache has been allocated (never more than maxSequences)
     * @param kvBytesAllocated bytes of all allocated KV caches
     * @param kvBytesInUse     bytes of KV cache holding positions of running sequences
     * @param kvBytesBudget    maxSequences x bytes per sequence: the most KV memory generation can take
     * @param steps            forward passes run
     * @param forwardRows      batch rows (prompt and decode tokens) those passes computed
     * @param forwardHeapBytes heap allocated by all threads of the JVM while they ran, or 0 where the JVM does not
     *                         count it: compiled code ~0.1-0.2 MB per row (mostly logits), code still interpreted or a
     *                         kernel whose compiled code boxes its vectors hundreds of MB (docs/kernels.md)
     */
    public record Stats(int running, int waiting, int slotsAllocated, long kvBytesAllocated, long kvBytesInUse,
                        long kvBytesBudget, long steps, long forwardRows, long forwardHeapBytes) {}

    /** A submitted request: cancel it, or ask whether it ended. */
    public interface Handle {
        long id();

        /** Ends the sequence at the next step boundary and frees its slot; its listener gets CANCELLED. */
        void cancel();

        boolean isDone();
    }

    private static final System.Logger LOG = System.getLogger("dev.hearth.engine");

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int context;
    private final Config config;
    private final long kvBytesPerSequence;
    private final long bytesPerPosition;
    /** Weight bytes a token reads: the scale of {@link #noteForward}'s check. */
    private final long weightBytesPerToken;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition idle = lock.newCondition();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();      // guarded by lock
    private final ArrayDeque<EmbedJob> embedWaiting = new ArrayDeque<>(); // guarded by lock
    private boolean wakeup;                                               // guarded by lock: a cancel to look at
    private int occupied;                                                 // guarded by lock: slots held by sequences
    private boolean idleNow;                                              // guarded by lock: the thread waits for work

    // Scheduler thread only.
    private final ArrayList<Sequence> running = new ArrayList<>();
    private final KvCache[] caches;
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private KvCache embedCache;
    private EmbedJob currentEmbed;
    private final Batch batch = new Batch();
    private Sequence[] rowSeq = new Sequence[64];

    private volatile boolean accepting = true;
    private volatile boolean stopping;
    private volatile Stats stats;
    private final AtomicLong ids = new AtomicLong();
    private long steps;
    private final Thread thread;
    // Scheduler thread only: heap allocated during forward passes (Stats), and the window noteForward checks.
    private long forwardRows, forwardHeapBytes, windowRows, windowHeapBytes;
    private int boxingWindows;
    private boolean boxingReported;

    /** A scheduler for a loaded model, with its context length and tokenizer. */
    public Scheduler(Model model, Config config) {
        this(model.transformer(), model.tokenizer(), model.contextLength(), config);
    }

    /** Starts the scheduler thread; {@code context} is each sequence's KV capacity in tokens. */
    public Scheduler(Transformer model, Tokenizer tokenizer, int context, Config config) {
        if (context < 2) throw new IllegalArgumentException("context must be at least 2 tokens, got " + context);
        this.model = model;
        this.tokenizer = tokenizer;
        this.context = context;
        this.config = config;
        this.kvBytesPerSequence = KvCache.bytesFor(model.config(), context);
        this.bytesPerPosition = KvCache.bytesFor(model.config(), 1);
        this.weightBytesPerToken = model.weights().bytesPerToken();
        this.caches = new KvCache[config.maxSequences()];
        for (int i = 0; i < caches.length; i++) freeSlots.add(i);
        this.stats = new Stats(0, 0, 0, 0, 0, kvBytesPerSequence * config.maxSequences(), 0, 0, 0);
        this.thread = Thread.ofPlatform().name("hearth-scheduler").daemon(true).unstarted(this::loop);
        thread.start();
    }

    /**
     * How many sequences fit a KV-cache memory budget, at least 1 and at most {@code cap}.
     *
     * @param budgetBytes bytes KV caches may take
     * @param perSequence bytes of one sequence's cache ({@link Model#kvBytesPerSequence()})
     */
    public static int sequencesFor(long budgetBytes, long perSequence, int cap) {
        long n = perSequence <= 0 ? cap : budgetBytes / perSequence;
        return (int) Math.max(1, Math.min(cap, n));
    }

    public Config config() { return config; }
    public int contextLength() { return context; }
    public Tokenizer tokenizer() { return tokenizer; }
    public long kvBytesPerSequence() { return kvBytesPerSequence; }
    public Stats stats() { return stats; }
    /** False once {@link #shutdown} began: new requests are refused. */
    public boolean accepting() { return accepting; }

    /**
     * Queues a request. The listener hears about it on the scheduler thread.
     *
     * @throws ContextOverflowException when prompt + maxTokens does not fit the context (nothing queued)
     * @throws QueueFullException       when the waiting queue is full (nothing queued)
     * @throws IllegalStateException    after {@link #shutdown} began
     */
    public Handle submit(GenerationRequest request, GenerationListener listener) {
        long needed = (long) request.prompt().length + request.maxTokens();
        if (needed > context) throw new ContextOverflowException((int) Math.min(Integer.MAX_VALUE, needed), context);
        int vocab = model.config().vocabSize();
        for (int t : request.prompt()) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
        }
        var seq = new Sequence(ids.incrementAndGet(), request, listener);
        lock.lock();
        try {
            if (!accepting) throw new IllegalStateException("the scheduler is shutting down and takes no new requests");
            if (waiting.size() >= config.queueCapacity() + Math.max(0, caches.length - occupied)) {
                throw new QueueFullException(config.queueCapacity());
            }
            waiting.add(seq);
            work.signal();
        } finally {
            lock.unlock();
        }
        return seq;
    }

    /**
     * Mean-pools the final hidden states (after the output norm) of {@code tokens} and L2-normalizes the
     * result. Runs on the scheduler thread between generation steps, in chunks of {@link Config#stepTokens()}.
     */
    public CompletableFuture<float[]> embed(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("nothing to embed: the input has no tokens");
        if (tokens.length > context) throw new ContextOverflowException(tokens.length, context);
        int vocab = model.config().vocabSize();
        for (int t : tokens) {
            if (t < 0 || t >= vocab) throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (0.." + (vocab - 1) + ")");
        }
        var job = new EmbedJob(tokens.clone(), model.config().dim());
        lock.lock();
        try {
            if (!accepting) throw new IllegalStateException("the scheduler is shutting down and takes no new requests");
            if (embedWaiting.size() >= Math.max(1, config.queueCapacity())) {
                throw new QueueFullException(config.queueCapacity());
            }
            embedWaiting.add(job);
            work.signal();
        } finally {
            lock.unlock();
        }
        return job.future;
    }

    /**
     * Stops taking requests, lets running and queued ones finish for up to {@code grace}, then cancels the
     * rest (their listeners get CANCELLED) and stops the thread.
     *
     * @return true when everything finished within the grace period
     */
    public boolean shutdown(Duration grace) {
        accepting = false;
        long deadline = System.nanoTime() + grace.toNanos();
        boolean drained;
        lock.lock();
        try {
            work.signal();
            while (true) {
                if (idleNow && waiting.isEmpty() && embedWaiting.isEmpty()) {
                    drained = true;
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || !thread.isAlive()) {
                    drained = false;
                    break;
                }
                idle.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
            }
            stopping = true;
            work.signal();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            drained = false;
            stopping = true;
        } finally {
            lock.unlock();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return drained;
    }

    /** Cancels everything still running or queued and stops the thread. */
    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    // ---------------------------------------------------------------- scheduler thread

    private void loop() {
        var admitted = new ArrayList<Sequence>();
        var dropped = new ArrayList<Sequence>();
        try {
            while (true) {
                admitted.clear();
                dropped.clear();
                lock.lock();
                try {
                    while (!stopping && running.isEmpty() && waiting.isEmpty() && embedWaiting.isEmpty()
                            && currentEmbed == null && !wakeup) {
                        publishStatsLocked();
                        idleNow = true;
                        idle.signalAll();
                        work.await();
                    }
                    idleNow = false;
                    wakeup = false;
                    if (stopping) break;
                    // Cancelled waiters leave the queue at once; the others take free slots in arrival order.
                    waiting.removeIf(s -> {
                        if (s.cancelled) dropped.add(s);
                        return s.cancelled;
                    });
                    while (!waiting.isEmpty() && occupied < caches.length) {
                        admitted.add(waiting.poll());
                        occupied++;
                    }
                    if (currentEmbed == null) currentEmbed = embedWaiting.poll();
                } finally {
                    lock.unlock();
                }
                long now = System.nanoTime();
                for (Sequence s : dropped) {
                    s.admitNanos = now;
                    finish(s, FinishReason.CANCELLED);
                }
                for (Sequence s : admitted) admit(s, now);
                try {
                    reapCancelled();
                    step();
                    embedStep();
                } catch (RuntimeException | Error t) {
                    // A bug or out of memory must not kill the thread that every request depends on:
                    // fail the sequences in flight, keep serving the others.
                    for (Sequence s : new ArrayList<>(running)) fail(s, t);
                }
                steps++;
                publishStats();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Shutdown: cancel what is left.
        for (Sequence s : new ArrayList<>(running)) finish(s, FinishReason.CANCELLED);
        List<Sequence> left;
        lock.lock();
        try {
            left = new ArrayList<>(waiting);
            waiting.clear();
            if (currentEmbed != null) embedWaiting.addFirst(currentEmbed);
            currentEmbed = null;
            for (EmbedJob j : embedWaiting) j.future.cancel(false);
            embedWaiting.clear();
            idleNow = true;
        } finally {
            lock.unlock();
        }
        for (Sequence s : left) {
            s.admitNanos = System.nanoTime();
            finish(s, FinishReason.CANCELLED);
        }
        publishStats();
        lock.lock();
        try {
            idle.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void admit(Sequence s, long now) {
        int slot = freeSlots.poll();
        s.slot = slot;
        s.admitNanos = now;
        running.add(s);
        try {
            if (caches[slot] == null) caches[slot] = new KvCache(model.config(), context);
            s.cache = caches[slot];
            s.sampler = new Sampler(s.request.sampling(), model.config().vocabSize());
            for (int t : s.request.prompt()) s.sampler.accept(t);
        } catch (RuntimeException | Error e) { // e.g. OutOfMemoryError for the cache: this request fails, not the server
            fail(s, e);
        }
    }

    private void reapCancelled() {
        for (int i = running.size() - 1; i >= 0; i--) {
            Sequence s = running.get(i);
            if (s.cancelled) finish(s, FinishReason.CANCELLED);
        }
    }

    /** One forward pass over every running sequence. */
    private void step() {
        if (running.isEmpty()) return;
        batch.clear();
        if (rowSeq.length < running.size() + config.stepTokens()) rowSeq = new Sequence[running.size() + config.stepTokens()];
        int rows = 0;
        for (Sequence s : running) {
            if (s.prefilled == s.request.prompt().length) {
                batch.addDecode(s.lastToken, s.position, s.cache);
                s.position++;
                s.stepped = steps;
                rowSeq[rows++] = s;
            }
        }
        // prompt tokens within the step's budget: short prompts first, as decode rows (Transformer.isShortPrompt), then
        // the others as prompt rows (decode rows come first in a batch)
        int budget = config.stepTokens();
        for (int pass = 0; pass < 2; pass++) {
            final boolean shortPrompts = pass == 0;
            for (Sequence s : running) {
                if (budget == 0) break;
                int[] prompt = s.request.prompt();
                if (s.prefilled == prompt.length || model.isShortPrompt(prompt.length) != shortPrompts) continue;
                int n = Math.min(budget, prompt.length - s.prefilled);
                for (int j = 0; j < n; j++) {
                    int p = s.prefilled + j;
                    boolean last = p == prompt.length - 1;
                    batch.addPromptToken(model, prompt.length, prompt[p], p, s.cache, last);
                    rowSeq[rows++] = last ? s : null;
                }
                s.prefilled += n;
                s.position = s.prefilled;
                s.stepped = steps;
                budget -= n;
            }
        }
        if (rows == 0) return;
        float[][] logits;
        long heapBefore = JitWatch.allocatedBytes();
        try {
            logits = model.forward(batch);
            noteForward(rows, heapBefore);
        } catch (RuntimeException | Error e) {
            // Every sequence with a row in this pass has an unknown cache now; the others are untouched.
            java.util.Arrays.fill(rowSeq, 0, rows, null);
            for (Sequence s : new ArrayList<>(running)) if (s.stepped == steps) fail(s, e);
            return;
        }
        // Sampling touches only each sequence's own sampler: spread it over the worker pool (with large
        // vocabularies and many sequences it is a real share of a step), then stream in order on this thread.
        final Sequence[] seqs = rowSeq;
        final int n = rows;
        model.pool().run(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                Sequence s = seqs[i];
                if (s != null && !s.done) s.sample(logits[i]);
            }
        });
        for (int i = 0; i < rows; i++) {
            Sequence s = rowSeq[i];
            rowSeq[i] = null;
            if (s == null || s.done) continue;
            try {
                if (s.sampleError != null) throw s.sampleError;
                next(s);
            } catch (RuntimeException e) {
                fail(s, e);
            }
        }
    }

    /** Takes the token {@code s} sampled and streams what it releases; ends the sequence when it should. */
    private void next(Sequence s) {
        long now = System.nanoTime();
        if (s.firstTokenNanos == 0) s.firstTokenNanos = now;
        GenerationRequest r = s.request;
        int token = s.sampled;
        if (!r.ignoreEos() && tokenizer.isEndOfGeneration(token)) {
            String tail = s.stop.push(s.decoder.flush());
            if (!s.stop.stopped()) tail += s.stop.flush();
            s.released += tail.length();
            List<TokenEvent.Token> toks = s.release(Long.MAX_VALUE);
            if (!tail.isEmpty() || !toks.isEmpty()) emit(s, tail, toks);
            finish(s, FinishReason.STOP);
            return;
        }
        s.generated++;
        s.sampler.accept(token);
        Logprobs.Result lp = s.sampledLogprobs;
        String piece = s.decoder.feed(tokenizer.tokenBytes(token, false));
        s.decoded += piece.length();
        s.pending.add(new Pending(new TokenEvent.Token(token, lp), s.decoded));
        String out = s.stop.push(piece);
        boolean last = s.generated >= r.maxTokens();
        if (last && !s.stop.stopped()) {
            // The budget is spent: whatever the decoder and the matcher hold is final text.
            String rest = s.decoder.flush();
            out += s.stop.push(rest);
            if (!s.stop.stopped()) out += s.stop.flush();
        }
        s.released += out.length();
        boolean stopped = s.stop.stopped();
        List<TokenEvent.Token> toks = s.release(stopped ? s.released : last ? Long.MAX_VALUE : s.released);
        emit(s, out, toks);
        if (s.done) return;
        if (stopped) {
            finish(s, FinishReason.STOP);
        } else if (last) {
            finish(s, FinishReason.LENGTH);
        } else {
            s.lastToken = token;
        }
    }

    private void emit(Sequence s, String text, List<TokenEvent.Token> tokens) {
        try {
            s.listener.onToken(new TokenEvent(text, tokens));
        } catch (RuntimeException e) {
            // A listener that cannot take output (e.g. its client went away) ends its sequence.
            finish(s, FinishReason.CANCELLED);
        }
    }

    private void finish(Sequence s, FinishReason reason) {
        if (s.done) return;
        release(s);
        long now = System.nanoTime();
        long first = s.firstTokenNanos == 0 ? now : s.firstTokenNanos;
        var result = new GenerationResult(reason, s.request.prompt().length, s.generated,
                s.admitNanos - s.submitNanos, first - s.admitNanos, now - first);
        try {
            s.listener.onComplete(result);
        } catch (RuntimeException ignored) {
            // the sequence is over either way
        }
    }

    private void fail(Sequence s, Throwable t) {
        if (s.done) return;
        release(s);
        try {
            s.listener.onError(t);
        } catch (RuntimeException ignored) {
            // the sequence is over either way
        }
    }

    private void release(Sequence s) {
        s.done = true;
        if (s.slot >= 0) {
            running.remove(s);
            freeSlots.push(s.slot);
            s.slot = -1;
            s.cache = null;
            lock.lock();
            try {
                occupied--;
            } finally {
                lock.unlock();
            }
        }
    }

    private void embedStep() {
        EmbedJob j = currentEmbed;
        if (j == null) return;
        if (j.future.isDone()) { // cancelled by the caller
            clearEmbed();
            return;
        }
        try {
            if (embedCache == null) embedCache = new KvCache(model.config(), context);
            int n = Math.min(config.stepTokens(), j.tokens.length - j.done);
            batch.clear();
            for (int k = 0; k < n; k++) batch.addPrompt(j.tokens[j.done + k], j.done + k, embedCache, true);
            float[][] hidden = model.hiddenStates(batch);
            for (int k = 0; k < n; k++) {
                float[] h = hidden[k];
                for (int d = 0; d < h.length; d++) j.sum[d] += h[d];
            }
            j.done += n;
            if (j.done == j.tokens.length) {
                float[] e = new float[j.sum.length];
                double norm = 0;
                for (int d = 0; d < e.length; d++) {
                    double m = j.sum[d] / j.tokens.length;
                    e[d] = (float) m;
                    norm += m * m;
                }
                norm = Math.sqrt(norm);
                if (norm > 0) for (int d = 0; d < e.length; d++) e[d] = (float) (e[d] / norm);
                clearEmbed();
                j.future.complete(e);
            }
        } catch (RuntimeException | Error e) {
            clearEmbed();
            j.future.completeExceptionally(e);
        }
    }

    private void clearEmbed() {
        currentEmbed = null;
    }

    /** Rows in a window of {@link #noteForward}'s check, and how many windows in a row must look like boxing before it warns. */
    static final int BOXING_WINDOW_ROWS = 256, BOXING_WINDOWS = 4;

    /** Counts a forward pass of {@code rows} rows that began when the JVM had allocated {@code heapBefore} bytes. */
    private void noteForward(int rows, long heapBefore) {
        if (heapBefore < 0) return;
        long bytes = JitWatch.allocatedBytes() - heapBefore;
        forwardRows += rows;
        forwardHeapBytes += bytes;
        windowRows += rows;
        windowHeapBytes += bytes;
        if (windowRows < BOXING_WINDOW_ROWS) return;
        boolean boxing = !Parallel.jitBusy() && JitWatch.boxing((double) windowHeapBytes / windowRows, weightBytesPerToken);
        boxingWindows = boxing ? boxingWindows + 1 : 0;
        if (boxingWindows >= BOXING_WINDOWS && !boxingReported) {
            boxingReported = true;
            LOG.log(System.Logger.Level.WARNING, String.format(java.util.Locale.ROOT,
                    "the forward pass allocates %.1f MB of heap per token (%.0f %% of the weight bytes a token reads): "
                    + "a kernel runs with its vectors boxed in this process (as the JIT compiled it, or not compiled), "
                    + "and tokens/s is below this machine's normal; a restart compiles it afresh "
                    + "(docs/kernels.md, \"The Q4_0 compile lottery\")",
                    windowHeapBytes / (double) windowRows / 1e6,
                    100.0 * windowHeapBytes / windowRows / weightBytesPerToken));
        }
        windowRows = 0;
        windowHeapBytes = 0;
    }

    private void publishStats() {
        lock.lock();
        try {
            publishStatsLocked();
        } finally {
            lock.unlock();
        }
    }

    private void publishStatsLocked() {
        long inUse = 0;
        for (Sequence s : running) inUse += (long) s.position * bytesPerPosition;
        int allocated = 0;
        for (KvCache c : caches) if (c != null) allocated++;
        long allocatedBytes = allocated * kvBytesPerSequence + (embedCache != null ? kvBytesPerSequence : 0);
        int queued = waiting.size() + embedWaiting.size() + (currentEmbed != null ? 1 : 0);
        stats = new Stats(running.size(), queued, allocated, allocatedBytes, inUse,
                kvBytesPerSequence * config.maxSequences(), steps, forwardRows, forwardHeapBytes);
    }

    // ---------------------------------------------------------------- state

    private record Pending(TokenEvent.Token token, long end) {}

    private final class Sequence implements Handle {
        final long id;
        final GenerationRequest request;
        final GenerationListener listener;
        final long submitNanos = System.nanoTime();
        volatile boolean cancelled;
        volatile boolean done;

        // scheduler thread only
        long admitNanos, firstTokenNanos;
        int slot = -1;
        KvCache cache;
        Sampler sampler;
        int prefilled, position, lastToken, generated;
        long stepped = -1; // the step that last gave this sequence a row
        final Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        final StopMatcher stop;
        final ArrayDeque<Pending> pending = new ArrayDeque<>();
        long decoded, released;

        Sequence(long id, GenerationRequest request, GenerationListener listener) {
            this.id = id;
            this.request = request;
            this.listener = listener;
            this.stop = new StopMatcher(request.stop());
        }

        // Set by sample(), possibly on a pool thread; read by the scheduler thread after pool.run returns.
        int sampled;
        Logprobs.Result sampledLogprobs;
        RuntimeException sampleError;

        /** Chooses the next token from {@code logits} (and its log-probabilities when asked for). */
        void sample(float[] logits) {
            try {
                float[] raw = request.topLogprobs() >= 0 ? logits.clone() : null;
                sampled = sampler.sample(logits);
                sampledLogprobs = raw != null ? Logprobs.of(raw, sampled, request.topLogprobs()) : null;
                sampleError = null;
            } catch (RuntimeException e) {
                sampleError = e;
            }
        }

        /** Tokens whose text ends at or before {@code limit} characters of output; with a stop, the rest are dropped. */
        List<TokenEvent.Token> release(long limit) {
            if (pending.isEmpty()) return List.of();
            var out = new ArrayList<TokenEvent.Token>(pending.size());
            while (!pending.isEmpty() && pending.peek().end() <= limit) out.add(pending.poll().token());
            if (stop.stopped()) pending.clear();
            return out;
        }

        @Override
        public long id() { return id; }

        @Override
        public void cancel() {
            if (done || cancelled) return;
            cancelled = true;
            lock.lock();
            try {
                wakeup = true;
                work.signal();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean isDone() { return done; }
    }

    private static final class EmbedJob {
        final int[] tokens;
        final double[] sum;
        final CompletableFuture<float[]> future = new CompletableFuture<>();
        int done;

        EmbedJob(int[] tokens, int dim) {
            this.tokens = tokens;
            this.sum = new double[dim];
        }
    }
}
