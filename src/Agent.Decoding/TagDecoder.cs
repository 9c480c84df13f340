using System.Collections.Immutable;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Agent.Llama;

namespace Agent.Decoding;

/// <summary>
/// The tag-constrained decoder. Every step is decoded inside a required mode and with banned tags; before a banned
/// tag's opening token is set to -inf, its probability is recorded (the temptation). One loop thread owns the llama
/// context; concurrent <see cref="GenerationSession"/>s are decoded together in one batch per step, each on its own
/// sequence with its own constraints and trace. Multi-token tags (models not trained with tag tokens) are monitored by a
/// lookahead on spare sequences of the same context, so the real sequences are untouched.
/// </summary>
public sealed class TagDecoder : IDisposable
{
    private const int GatherMilliseconds = 2;

    private readonly LlamaContext _context;
    private readonly DecoderOptions _options;
    private readonly Lock _gate = new();
    private readonly Lock _engine = new(); // held by whoever touches the context: the loop, or a reader stepping inline
    private readonly HashSet<GenerationSession> _demands = [];
    private readonly Queue<GenerationSession> _waiting = new();
    private readonly Queue<GenerationSession> _releases = new();
    private readonly Queue<ScoreJob> _scores = new();
    private readonly Stack<int> _freeSequences = new();
    private readonly HashSet<GenerationSession> _active = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _loop;
    private readonly ResolvedTag[] _multiTokenTags;
    private readonly int _scoreSequence;
    private readonly int _firstSpareSequence;
    private readonly byte[]?[] _pieces;
    private readonly LlamaBatch _batch;
    private readonly Dictionary<GenerationSession, LlamaSamplerChain> _samplers = [];
    private readonly PhaseClock _clock;
    private static readonly List<IReadOnlyList<LlamaToken>> NoSequences = [];
    private readonly List<GenerationSession> _inline = [null!];
    private readonly List<GenerationSession> _ready = [];
    private readonly List<GenerationSession> _finishedDemands = [];
    private readonly Dictionary<GenerationSession, int> _logitIndex = [];
    private readonly List<Prepared> _prepared = [];
    private Exception? _fault;
    private bool _disposeOnExit;

    private TagDecoder(LlamaModel model, TagSet tags, DecoderOptions options, LlamaContext context)
    {
        Model = model;
        Tags = tags;
        _options = options;
        _context = context;
        TagNames = [.. tags.Tags.Select(t => t.Name)];
        _multiTokenTags = [.. tags.Tags.Where(t => t.Open.Count > 1)];
        _scoreSequence = options.MaxParallel;
        _firstSpareSequence = options.MaxParallel + 1;
        for (var s = options.MaxParallel - 1; s >= 0; s--)
        {
            _freeSequences.Push(s);
        }

        _pieces = new byte[]?[model.Vocab.Count];
        _batch = new LlamaBatch(options.BatchSize);
        _clock = new PhaseClock(options.CollectProfile);
        _loop = new Thread(Run) { IsBackground = true, Name = "tag-decoder" };
        _loop.Start();
    }

    /// <summary>The model.</summary>
    public LlamaModel Model { get; }

    /// <summary>The resolved tags, in trace-column order.</summary>
    public TagSet Tags { get; }

    /// <summary>Tag names in trace-column order.</summary>
    public ImmutableArray<string> TagNames { get; }

    /// <summary>Tokens of context per sequence.</summary>
    public int ContextSize => _options.ContextSize;

    /// <summary>Creates a decoder with its own context over <paramref name="model"/>.</summary>
    /// <exception cref="LlamaContextException">The context does not fit in memory.</exception>
    public static TagDecoder Create(LlamaModel model, TagSet tags, DecoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tags);
        options ??= new DecoderOptions();
        var context = LlamaContext.Create(model, ContextOptionsFor(options));
        return new TagDecoder(model, tags, options, context);
    }

    /// <summary>
    /// The llama context a decoder with <paramref name="options"/> creates: one sequence per parallel generation, one for
    /// score mode and the lookahead's spare sequences, in one unified KV buffer. Use it to size memory, or to give a
    /// comparison the very same context.
    /// </summary>
    public static LlamaContextOptions ContextOptionsFor(DecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LlamaContextOptions
        {
            // One unified KV buffer: the lookahead shares a sequence's cells (seq_cp) instead of copying them.
            ContextSize = (uint)(options.ContextSize * (options.MaxParallel + 1) + 64 * options.LookaheadSequences),
            BatchSize = (uint)options.BatchSize,
            MicroBatchSize = (uint)options.BatchSize,
            MaxSequences = (uint)(options.MaxParallel + 1 + options.LookaheadSequences),
            UnifiedKvCache = true,
            Threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            NoPerformanceCounters = true,
        };
    }

    /// <summary>Starts a generation; read it with <see cref="GenerationSession.ReadAllAsync"/>.</summary>
    /// <exception cref="UnknownTagException">The constraints name a tag that is not configured, or the required mode is not a mode tag.</exception>
    /// <exception cref="ArgumentException">The prompt does not fit the context.</exception>
    public GenerationSession Start(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        Validate(request.Constraints);
        if (request.MaxTokens < 1)
        {
            throw new ArgumentException($"MaxTokens must be at least 1, got {request.MaxTokens}.", nameof(request));
        }

        var prompt = ApplyConstraintsToPrompt(request.Prompt, request.Constraints);
        var tokens = Model.Vocab.Tokenize(prompt, addSpecial: false, parseSpecial: true);
        if (tokens.Length >= ContextSize)
        {
            throw new ArgumentException(
                $"The prompt is {tokens.Length} tokens long; the context holds {ContextSize} tokens per sequence. Shorten the prompt or raise Llama:ContextSize.", nameof(request));
        }

        var session = new GenerationSession(this, request, prompt, tokens);
        lock (_gate)
        {
            ThrowIfFaulted();
            _waiting.Enqueue(session);
        }

        // No signal: the session gets its sequence when its reader first asks for a token (inline or through the loop).
        return session;
    }

    /// <summary>Generates to the end and returns the text and trace.</summary>
    public async Task<GenerationResult> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        var session = Start(request);
        await foreach (var _ in session.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
        }

        return session.Result;
    }

    /// <summary>
    /// Score mode (teacher forcing): the trace the model would have produced while generating <paramref name="continuation"/>
    /// after <paramref name="prompt"/>, token by token. The required mode of <paramref name="constraints"/> is applied to the prompt.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt or continuation is empty, or both do not fit the context.</exception>
    public Task<TemptationTrace> ScoreAsync(string prompt, string continuation, DecodingConstraints? constraints = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(continuation))
        {
            throw new ArgumentException("The continuation to score is empty.", nameof(continuation));
        }

        return ScoreAsync(prompt, Model.Vocab.Tokenize(continuation, addSpecial: false, parseSpecial: true), constraints, cancellationToken);
    }

    /// <summary>Score mode over given continuation tokens (for example the exact tokens of an earlier generation).</summary>
    /// <exception cref="ArgumentException">The prompt or continuation is empty, a token is outside the vocabulary, or both do not fit the context.</exception>
    public Task<TemptationTrace> ScoreAsync(string prompt, IReadOnlyList<LlamaToken> continuation, DecodingConstraints? constraints = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (string.IsNullOrEmpty(prompt))
        {
            throw new ArgumentException("The prompt is empty.", nameof(prompt));
        }

        if (continuation.Count == 0)
        {
            throw new ArgumentException("The continuation to score is empty.", nameof(continuation));
        }

        foreach (var token in continuation)
        {
            if ((uint)token.Value >= (uint)Model.Vocab.Count)
            {
                throw new ArgumentException($"Token id {token.Value} is outside the vocabulary of {Model.Vocab.Count} tokens.", nameof(continuation));
            }
        }

        constraints ??= DecodingConstraints.None;
        Validate(constraints);
        var promptTokens = Model.Vocab.Tokenize(ApplyConstraintsToPrompt(prompt, constraints), addSpecial: false, parseSpecial: true);
        var continuationTokens = continuation.ToArray();
        if (promptTokens.Length + continuationTokens.Length > ContextSize)
        {
            throw new ArgumentException(
                $"Prompt ({promptTokens.Length} tokens) and continuation ({continuationTokens.Length}) do not fit the context of {ContextSize} tokens.", nameof(continuation));
        }

        var job = new ScoreJob(promptTokens, continuationTokens, cancellationToken);
        lock (_gate)
        {
            ThrowIfFaulted();
            _scores.Enqueue(job);
        }

        _signal.Release();
        return job.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Checks that constraints only name configured tags and that the required mode is a mode tag.</summary>
    /// <exception cref="UnknownTagException">They do not.</exception>
    public void Validate(DecodingConstraints constraints)
    {
        ArgumentNullException.ThrowIfNull(constraints);
        if (constraints.RequiredMode is { } mode && Tags[mode].Kind != TagKind.Mode)
        {
            throw new UnknownTagException($"Required mode '{mode}' is not a mode tag; mode tags: {string.Join(", ", Tags.Tags.Where(t => t.Kind == TagKind.Mode).Select(t => t.Name))}.");
        }

        foreach (var name in constraints.Rules.Keys)
        {
            _ = Tags[name];
        }
    }

    /// <summary>
    /// The prompt as decoded: when a mode is required and the prompt's last mode tag is another one (or it has none),
    /// the required mode tag starts a new turn at its end (at its start when it has no mode tag at all); each
    /// require-inside tag is opened at the end.
    /// </summary>
    public string ApplyConstraintsToPrompt(string prompt, DecodingConstraints constraints)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(constraints);
        var result = prompt;
        if (constraints.RequiredMode is { } required)
        {
            var last = -1;
            string? lastMode = null;
            foreach (var tag in Tags.Tags.Where(t => t.Kind == TagKind.Mode))
            {
                var at = prompt.LastIndexOf(tag.OpenText, StringComparison.Ordinal);
                if (at > last)
                {
                    last = at;
                    lastMode = tag.Name;
                }
            }

            var open = Tags[required].OpenText;
            if (lastMode is null)
            {
                result = open + prompt;
            }
            else if (lastMode != required)
            {
                result = prompt + open;
            }
        }

        foreach (var (name, rule) in constraints.Rules)
        {
            if (rule.Rule == TagRule.RequireInside && !result.EndsWith(Tags[name].OpenText, StringComparison.Ordinal))
            {
                result += Tags[name].OpenText;
            }
        }

        return result;
    }

    /// <summary>Where the time went since the last call, by phase (empty unless <see cref="DecoderOptions.CollectProfile"/> is set).</summary>
    public DecoderProfile TakeProfile() => _clock.Take();

    /// <summary>Stops the loop and frees the context.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _signal.Release();
        if (Thread.CurrentThread == _loop)
        {
            // Called from a reader's continuation on the loop itself: the loop frees everything when it returns.
            _disposeOnExit = true;
            return;
        }

        _loop.Join();
        lock (_engine)
        {
            // A reader stepping inline finishes its step first; later ones see the stop and go no further.
            FreeResources();
        }
    }

    private void FreeResources()
    {
        foreach (var sampler in _samplers.Values)
        {
            sampler.Dispose();
        }

        _batch.Dispose();
        _context.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }

    internal void Demand(GenerationSession session)
    {
        lock (_gate)
        {
            if (_fault is not null)
            {
                session.Finish(StopReason.Cancelled);
                session.Wake();
                return;
            }

            _demands.Add(session);
        }

        _signal.Release();
    }

    internal void Release(GenerationSession session)
    {
        lock (_gate)
        {
            _releases.Enqueue(session);
        }

        if (!_stop.IsCancellationRequested)
        {
            _signal.Release();
        }
    }

    private void ThrowIfFaulted()
    {
        if (_fault is not null)
        {
            throw new InvalidOperationException($"The decoder stopped after an error: {_fault.Message}", _fault);
        }
    }

    // ------------------------------------------------------------------ the loop

    /// <summary>
    /// Steps <paramref name="session"/> on the calling thread when it is the decoder's only active generation and nothing
    /// else waits (no other demand, no score job): no hand-off to the loop thread and back, per token or per generation.
    /// Returns false, having done nothing, when the caller must demand through the loop instead (another session is active,
    /// the engine is busy, or the caller is the loop thread itself). Constraints are read at each step, exactly as the loop
    /// reads them.
    /// </summary>
    internal bool TryStepInline(GenerationSession session)
    {
        if (Thread.CurrentThread == _loop || _stop.IsCancellationRequested || !_engine.TryEnter())
        {
            return false;
        }

        try
        {
            lock (_gate)
            {
                if (_fault is not null || _stop.IsCancellationRequested)
                {
                    return false;
                }

                Admit();
                if (session.Sequence < 0 || session.Finished || _active.Count != 1 || _demands.Count > 0 || _scores.Count > 0)
                {
                    return false;
                }
            }

            _clock.Start();
            _inline[0] = session;
            Step(_inline);
            return true;
        }
#pragma warning disable CA1031 // the same as in the loop: every waiting caller fails instead of the decoder dying silently
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
            return true;
        }
        finally
        {
            _inline[0] = null!;
            _engine.Exit();
        }
    }

    private void Run()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                _signal.Wait(_stop.Token);
                lock (_gate)
                {
                    if (_fault is not null)
                    {
                        return;
                    }

                    if (_releases.Count == 0 && _waiting.Count == 0 && _scores.Count == 0 && _demands.Count == 0)
                    {
                        continue; // nothing for the engine (a reader stepping inline already did it)
                    }
                }

                lock (_engine)
                {
                    _clock.Start();
                    Iterate();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the loop must fail every waiting caller instead of dying silently
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
        }
        finally
        {
            if (_disposeOnExit)
            {
                lock (_engine)
                {
                    FreeResources();
                }
            }
        }
    }

    /// <summary>One turn of the loop, under the engine lock: admissions and releases, score jobs, then one batched step.</summary>
    private void Iterate()
    {
        ScoreJob[] scores;
        lock (_gate)
        {
            Admit();
            scores = _scores.Count == 0 ? [] : [.. _scores];
            _scores.Clear();
        }

        foreach (var job in scores)
        {
            RunScore(job);
        }

        GatherDemands();
        _ready.Clear();
        lock (_gate)
        {
            foreach (var s in _demands)
            {
                if (s.Finished)
                {
                    _finishedDemands.Add(s);
                }
                else if (s.Sequence >= 0)
                {
                    _ready.Add(s);
                }
            }

            foreach (var finished in _finishedDemands)
            {
                _demands.Remove(finished);
                finished.Wake();
            }

            _finishedDemands.Clear();
        }

        if (_ready.Count > 0)
        {
            _clock.Lap(DecoderPhase.Schedule);
            Step(_ready);
        }

        lock (_gate)
        {
            foreach (var s in _demands)
            {
                if (s.Sequence >= 0)
                {
                    _signal.Release();
                    break;
                }
            }
        }
    }

    /// <summary>Under <see cref="_gate"/> and the engine: frees the sequences of released sessions and gives free ones to waiting sessions.</summary>
    private void Admit()
    {
        while (_releases.TryDequeue(out var released))
        {
            if (_active.Remove(released) && released.Sequence >= 0)
            {
                _context.ClearSequence(new LlamaSeqId(released.Sequence));
                _freeSequences.Push(released.Sequence);
                released.Sequence = -1;
            }

            _demands.Remove(released);
            if (_samplers.Remove(released, out var sampler))
            {
                sampler.Dispose();
            }
        }

        while (_freeSequences.Count > 0 && _waiting.TryDequeue(out var next))
        {
            if (next.Finished)
            {
                continue;
            }

            next.Sequence = _freeSequences.Pop();
            _active.Add(next);
        }
    }

    /// <summary>After an error in a step: the decoder stops, and every waiting caller learns it.</summary>
    private void Fail(Exception e)
    {
        List<GenerationSession> waiting;
        List<ScoreJob> scores;
        lock (_gate)
        {
            _fault ??= e;
            waiting = [.. _demands, .. _active, .. _waiting];
            scores = [.. _scores];
            _scores.Clear();
        }

        foreach (var session in waiting)
        {
            session.Finish(StopReason.Cancelled);
            session.Wake();
        }

        foreach (var job in scores)
        {
            job.Completion.TrySetException(e);
        }

        _signal.Release(); // the loop sees the fault and ends
    }

    /// <summary>Waits a moment for every active session to ask for its next token, so they share one batch.</summary>
    private void GatherDemands()
    {
        var deadline = Environment.TickCount64 + GatherMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            lock (_gate)
            {
                if (_demands.Count == 0 || _active.All(s => s.Finished || _demands.Contains(s)))
                {
                    return;
                }
            }

            Thread.Yield();
        }
    }

    private void Step(List<GenerationSession> sessions)
    {
        _batch.Clear();
        var logitIndex = _logitIndex;
        logitIndex.Clear();
        var budget = _options.BatchSize;
        foreach (var s in sessions)
        {
            var pending = s.Tokens.Count - s.Fed;
            var take = Math.Min(pending, budget - _batch.Count);
            if (take <= 0)
            {
                continue;
            }

            for (var i = 0; i < take; i++)
            {
                var position = s.Fed + i;
                var last = position == s.Tokens.Count - 1;
                var index = _batch.Add(new LlamaToken(s.Tokens[position]), new LlamaPos(position), new LlamaSeqId(s.Sequence), last);
                if (last)
                {
                    logitIndex[s] = index;
                }
            }

            s.Fed += take;
        }

        if (_batch.Count == 0)
        {
            return;
        }

        _clock.Lap(DecoderPhase.Batch);
        _context.Decode(_batch);
        _clock.CountStep();
        _clock.Lap(DecoderPhase.Decode);
        var prepared = _prepared;
        prepared.Clear();
        foreach (var (s, index) in logitIndex)
        {
            prepared.Add(Prepare(s, _context.GetLogits(index)));
        }

        if (_multiTokenTags.Length > 0)
        {
            Lookahead(prepared);
            _clock.Lap(DecoderPhase.Lookahead);
        }

        foreach (var p in prepared)
        {
            Choose(p);
            _clock.Lap(DecoderPhase.Trace);
            if (p.Session.HasNews)
            {
                // Served: its next token waits for its next demand (made in Wake when the reader continues inline), so a
                // constraint changed in between applies to it. A session still holding tokens keeps its demand.
                lock (_gate)
                {
                    _demands.Remove(p.Session);
                }
            }

            p.Session.Wake();
            _clock.Lap(DecoderPhase.Handoff);
        }

        prepared.Clear();
    }

    /// <summary>
    /// Temptation before bans, then the logit edits (bans, biases, exclusions) of one session. Greedy chooses here, before
    /// any lookahead decode replaces the row: from the argmax the log-sum-exp pass found and the few edited logits, without
    /// copying the row unless the argmax itself was edited. Sampling gets the masked copy of the row for its chain.
    /// </summary>
    private Prepared Prepare(GenerationSession s, ReadOnlySpan<float> raw)
    {
        var constraints = s.ConstraintsForStep();
        var lse = LogSoftmax.LogSumExp(raw, out var top);
        _clock.Lap(DecoderPhase.LogSumExp);
        var probabilities = new double[Tags.Count];
        foreach (var tag in Tags.Tags)
        {
            probabilities[tag.Index] = LogSoftmax.Probability(raw, tag.OpenToken.Value, lse);
        }

        var edits = s.Edits;
        edits.Clear();
        List<IReadOnlyList<LlamaToken>>? bannedSequences = null;
        foreach (var tag in Tags.Tags)
        {
            var rule = constraints.RuleFor(tag.Name);
            var banOpen = rule.Rule == TagRule.Ban
                || (tag.Kind == TagKind.Mode && constraints.RequiredMode is { } mode && mode != tag.Name);
            if (banOpen)
            {
                if (tag.Open.Count == 1 || FirstTokenIsTagOnly(tag))
                {
                    edits[tag.OpenToken.Value] = float.NegativeInfinity;
                }
                else
                {
                    (bannedSequences ??= []).Add(tag.Open);
                }
            }
            else if (rule.Rule == TagRule.Bias)
            {
                var token = tag.OpenToken.Value;
                edits[token] = (edits.TryGetValue(token, out var current) ? current : raw[token]) + rule.Bias;
            }
            else if (rule.Rule == TagRule.RequireInside)
            {
                if (tag.Close.Count == 1)
                {
                    edits[tag.Close[0].Value] = float.NegativeInfinity;
                }
                else
                {
                    (bannedSequences ??= []).Add(tag.Close);
                }
            }
        }

        if (s.Exclusions.TryGetValue(s.Tokens.Count, out var excluded))
        {
            foreach (var token in excluded)
            {
                edits[token] = float.NegativeInfinity;
            }
        }

        _clock.Lap(DecoderPhase.Mask);
        var prepared = new Prepared(s, lse, probabilities, bannedSequences ?? NoSequences);
        if (s.Request.Sampling.IsGreedy && !edits.ContainsKey(top))
        {
            // Every unedited logit is at most raw[top]; only an edited one (a positive bias) can beat it.
            var best = top;
            var bestValue = raw[top];
            foreach (var (token, value) in edits)
            {
                if (value > bestValue || (value == bestValue && token < best))
                {
                    best = token;
                    bestValue = value;
                }
            }

            if (float.IsNegativeInfinity(bestValue))
            {
                throw new InvalidOperationException("Every token is banned at this step; the constraints leave nothing to generate.");
            }

            prepared.Token = best;
            prepared.TokenLogit = raw[best];
        }
        else
        {
            var masked = s.MaskBuffer(raw.Length);
            raw.CopyTo(masked);
            var originals = s.Originals;
            originals.Clear();
            foreach (var (token, value) in edits)
            {
                originals[token] = raw[token];
                masked[token] = value;
            }

            prepared.Masked = masked;
            if (s.Request.Sampling.IsGreedy)
            {
                var token = TensorPrimitives.IndexOfMax<float>(masked);
                if (float.IsNegativeInfinity(masked[token]))
                {
                    throw new InvalidOperationException("Every token is banned at this step; the constraints leave nothing to generate.");
                }

                prepared.Token = token;
                prepared.TokenLogit = raw[token];
            }
        }

        _clock.Lap(DecoderPhase.Select);
        return prepared;
    }

    /// <summary>A multi-token tag's first token can be banned alone when it already spells the whole tag name.</summary>
    private bool FirstTokenIsTagOnly(ResolvedTag tag)
    {
        var first = Model.Vocab.TokenToPiece(tag.OpenToken, special: true);
        return first.Length >= tag.OpenText.Length - 1 && tag.OpenText.StartsWith(first, StringComparison.Ordinal);
    }

    /// <summary>Multi-token temptation: p(t1) * p(t2|t1) * ..., read from a spare sequence that shares the session's cells.</summary>
    private void Lookahead(List<Prepared> prepared)
    {
        var work = new List<(Prepared P, ResolvedTag Tag)>();
        foreach (var p in prepared)
        {
            foreach (var tag in _multiTokenTags)
            {
                work.Add((p, tag));
            }
        }

        for (var start = 0; start < work.Count; start += _options.LookaheadSequences)
        {
            var chunk = work.GetRange(start, Math.Min(_options.LookaheadSequences, work.Count - start));
            var factors = LookaheadChunk(chunk.Select(w => (w.P.Session.Sequence, w.P.Session.Tokens.Count, (IReadOnlyList<LlamaToken>)w.Tag.Open)).ToList());
            for (var i = 0; i < chunk.Count; i++)
            {
                chunk[i].P.Probabilities[chunk[i].Tag.Index] *= factors[i];
            }
        }
    }

    /// <summary>
    /// For each (sequence, position, tag tokens): copies the sequence's cells below position onto a spare sequence,
    /// decodes the tag's tokens after it, and returns p(t2|t1) * ... * p(tk|t1..tk-1). The spare sequences are cleared.
    /// </summary>
    private double[] LookaheadChunk(List<(int Sequence, int Position, IReadOnlyList<LlamaToken> Tokens)> items)
    {
        _batch.Clear();
        var rows = new List<(int Item, int BatchIndex, LlamaToken Next)>();
        for (var i = 0; i < items.Count; i++)
        {
            var (sequence, position, tokens) = items[i];
            var spare = new LlamaSeqId(_firstSpareSequence + i);
            _context.ClearSequence(spare);
            _context.CopySequence(new LlamaSeqId(sequence), spare, new LlamaPos(0), new LlamaPos(position));
            for (var j = 0; j < tokens.Count - 1; j++)
            {
                var index = _batch.Add(tokens[j], new LlamaPos(position + j), spare, wantLogits: true);
                rows.Add((i, index, tokens[j + 1]));
            }
        }

        var factors = Enumerable.Repeat(1.0, items.Count).ToArray();
        if (_batch.Count > 0)
        {
            _context.Decode(_batch);
            foreach (var (item, index, next) in rows)
            {
                var logits = _context.GetLogits(index);
                factors[item] *= LogSoftmax.Probability(logits, next.Value, LogSoftmax.LogSumExp(logits));
            }
        }

        for (var i = 0; i < items.Count; i++)
        {
            _context.ClearSequence(new LlamaSeqId(_firstSpareSequence + i));
        }

        return factors;
    }

    private void Choose(Prepared p)
    {
        var s = p.Session;
        var token = p.Token;
        var tokenLogit = p.TokenLogit;
        if (token < 0)
        {
            var masked = p.Masked!;
            if (!_samplers.TryGetValue(s, out var chain))
            {
                var o = s.Request.Sampling;
                chain = LlamaSamplerChain.Stochastic(o.Seed, o.Temperature, o.TopK > 0 ? o.TopK : masked.Length, o.TopP, o.MinP);
                _samplers[s] = chain;
            }

            token = chain.Sample(masked).Value;
            tokenLogit = s.Originals.TryGetValue(token, out var original) ? original : masked[token];
            _clock.Lap(DecoderPhase.Select);
        }

        _clock.CountToken();
        var position = s.Tokens.Count;
        var probabilities = ImmutableCollectionsMarshal.AsImmutableArray(p.Probabilities); // a fresh array, never written after this
        var tokenProbability = Math.Exp(tokenLogit - p.LogSumExp);

        if (Model.Vocab.IsEndOfGeneration(new LlamaToken(token)))
        {
            FlushHeld(s);
            s.Finish(StopReason.EndOfGeneration);
            return;
        }

        s.Tokens.Add(token);
        s.Held.Add(new GenerationSession.HeldToken(token, position, Piece(token), tokenProbability, probabilities));

        // A banned multi-token tag just completed: take its tokens back and resample its first position without its first token.
        foreach (var banned in p.BannedSequences)
        {
            if (EndsWith(s.Held, banned))
            {
                Backtrack(s, banned);
                return;
            }
        }

        if (p.BannedSequences.Any(b => IsProperPrefixOfSuffix(s.Held, b)))
        {
            return; // hold: it may still become a banned tag; the reader's demand stays open
        }

        FlushHeld(s);
        CheckStops(s);
    }

    /// <summary>A token's bytes, asked of llama.cpp once per token id (the arrays are shared: never write to them).</summary>
    private byte[] Piece(int token) => _pieces[token] ??= Model.Vocab.TokenToBytes(new LlamaToken(token));

    private void Backtrack(GenerationSession s, IReadOnlyList<LlamaToken> banned)
    {
        var first = s.Held[^banned.Count];
        s.Held.RemoveRange(s.Held.Count - banned.Count, banned.Count);
        var position = first.Position;
        s.Tokens.RemoveRange(position, s.Tokens.Count - position);
        if (!s.Exclusions.TryGetValue(position, out var excluded))
        {
            s.Exclusions[position] = excluded = [];
        }

        excluded.Add(first.TokenId);

        // Re-decode the token before the tag to get the logits at its position again.
        s.Fed = Math.Min(s.Fed, position - 1);
        _context.RemoveTokens(new LlamaSeqId(s.Sequence), new LlamaPos(position - 1), new LlamaPos(-1));
    }

    private void FlushHeld(GenerationSession s)
    {
        foreach (var held in s.Held)
        {
            var text = s.DecodeText(held.Bytes);
            string? leak = null;
            foreach (var tag in Tags.Tags)
            {
                if (s.TextEndsWith(text, tag.OpenText, 64))
                {
                    s.OpenCounts[tag.Index]++;
                }
                else if (s.TextEndsWith(text, tag.CloseText, 64))
                {
                    if (s.OpenCounts[tag.Index] > 0)
                    {
                        s.OpenCounts[tag.Index]--;
                    }
                    else
                    {
                        leak = tag.Name;
                    }
                }
            }

            s.Emit(held.TokenId, text, held.TokenProbability, held.Probabilities, leak);
        }

        s.Held.Clear();
    }

    private void CheckStops(GenerationSession s)
    {
        foreach (var stop in s.Request.StopStrings)
        {
            if (stop.Length == 0)
            {
                continue;
            }

            var tail = s.TextTail(stop.Length + 32);
            var at = tail.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0)
            {
                s.TrimText(s.TextLength - (tail.Length - at));
                s.Finish(StopReason.StopString);
                return;
            }
        }

        if (s.Emitted >= s.Request.MaxTokens)
        {
            s.Finish(StopReason.MaxTokens);
        }
        else if (s.Tokens.Count >= ContextSize)
        {
            s.Finish(StopReason.ContextFull);
        }
    }

    private static bool EndsWith(List<GenerationSession.HeldToken> held, IReadOnlyList<LlamaToken> sequence)
    {
        if (held.Count < sequence.Count)
        {
            return false;
        }

        for (var i = 0; i < sequence.Count; i++)
        {
            if (held[held.Count - sequence.Count + i].TokenId != sequence[i].Value)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsProperPrefixOfSuffix(List<GenerationSession.HeldToken> held, IReadOnlyList<LlamaToken> sequence)
    {
        for (var length = Math.Min(held.Count, sequence.Count - 1); length >= 1; length--)
        {
            var match = true;
            for (var i = 0; i < length && match; i++)
            {
                match = held[held.Count - length + i].TokenId == sequence[i].Value;
            }

            if (match)
            {
                return true;
            }
        }

        return false;
    }

    // ------------------------------------------------------------------ score mode

    private void RunScore(ScoreJob job)
    {
        if (job.CancellationToken.IsCancellationRequested)
        {
            job.Completion.TrySetCanceled(job.CancellationToken);
            return;
        }

        try
        {
            job.Completion.TrySetResult(Score(job.Prompt, job.Continuation));
        }
#pragma warning disable CA1031 // handed to the caller
        catch (Exception e)
#pragma warning restore CA1031
        {
            job.Completion.TrySetException(e);
        }
        finally
        {
            _context.ClearSequence(new LlamaSeqId(_scoreSequence));
        }
    }

    private TemptationTrace Score(LlamaToken[] prompt, LlamaToken[] continuation)
    {
        var sequence = new LlamaSeqId(_scoreSequence);
        _context.ClearSequence(sequence);
        var all = prompt.Concat(continuation).ToArray();
        var probabilities = new double[continuation.Length][];
        var tokenProbabilities = new double[continuation.Length];
        var firstRow = prompt.Length - 1;
        for (var start = 0; start < all.Length - 1; start += _options.BatchSize)
        {
            _batch.Clear();
            var end = Math.Min(all.Length - 1, start + _options.BatchSize);
            for (var i = start; i < end; i++)
            {
                _batch.Add(all[i], new LlamaPos(i), sequence, wantLogits: i >= firstRow);
            }

            _context.Decode(_batch);
            for (var i = Math.Max(start, firstRow); i < end; i++)
            {
                var logits = _context.GetLogits(i - start);
                var lse = LogSoftmax.LogSumExp(logits);
                var row = new double[Tags.Count];
                foreach (var tag in Tags.Tags)
                {
                    row[tag.Index] = LogSoftmax.Probability(logits, tag.OpenToken.Value, lse);
                }

                var k = i - firstRow;
                probabilities[k] = row;
                tokenProbabilities[k] = LogSoftmax.Probability(logits, continuation[k].Value, lse);
            }
        }

        if (_multiTokenTags.Length > 0)
        {
            var work = new List<(int Row, ResolvedTag Tag)>();
            for (var k = 0; k < continuation.Length; k++)
            {
                foreach (var tag in _multiTokenTags)
                {
                    work.Add((k, tag));
                }
            }

            for (var start = 0; start < work.Count; start += _options.LookaheadSequences)
            {
                var chunk = work.GetRange(start, Math.Min(_options.LookaheadSequences, work.Count - start));
                var factors = LookaheadChunk(chunk.Select(w => (_scoreSequence, firstRow + 1 + w.Row, (IReadOnlyList<LlamaToken>)w.Tag.Open)).ToList());
                for (var i = 0; i < chunk.Count; i++)
                {
                    probabilities[chunk[i].Row][chunk[i].Tag.Index] *= factors[i];
                }
            }
        }

        var decoder = System.Text.Encoding.UTF8.GetDecoder();
        var entries = ImmutableArray.CreateBuilder<TemptationEntry>(continuation.Length);
        for (var k = 0; k < continuation.Length; k++)
        {
            var bytes = Model.Vocab.TokenToBytes(continuation[k]);
            var chars = new char[bytes.Length + 4];
            var n = decoder.GetChars(bytes, 0, bytes.Length, chars, 0, flush: k == continuation.Length - 1);
            entries.Add(new TemptationEntry(k, continuation[k].Value, new string(chars, 0, n), tokenProbabilities[k], ImmutableArray.Create(probabilities[k])));
        }

        return new TemptationTrace(TagNames, entries.MoveToImmutable(), []);
    }

    /// <summary>One session's step between decode and choice: temptation, the chosen token (greedy) or the masked row (sampling).</summary>
    private sealed record Prepared(GenerationSession Session, double LogSumExp, double[] Probabilities, List<IReadOnlyList<LlamaToken>> BannedSequences)
    {
        /// <summary>The greedy choice, or -1: sample from <see cref="Masked"/>.</summary>
        public int Token { get; set; } = -1;

        /// <summary>The chosen token's logit before bans and biases.</summary>
        public float TokenLogit { get; set; }

        public float[]? Masked { get; set; }
    }

    private sealed record ScoreJob(LlamaToken[] Prompt, LlamaToken[] Continuation, CancellationToken CancellationToken)
    {
        public TaskCompletionSource<TemptationTrace> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
