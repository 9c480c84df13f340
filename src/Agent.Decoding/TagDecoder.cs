using System.Collections.Immutable;
using Agent.Decoding.Engine;
using Agent.Llama;

namespace Agent.Decoding;

/// <summary>
/// The tag-constrained decoder. Every step is decoded inside a required mode and with banned tags; before a banned
/// tag's opening token is set to -inf, its probability is recorded (the temptation). Concurrent
/// <see cref="GenerationSession"/>s are decoded together in one batch per step, each on its own sequence with its own
/// constraints and trace. Multi-token tags (models not trained with tag tokens) are monitored by a lookahead on spare
/// sequences of the same context, so the real sequences are untouched.
/// </summary>
/// <remarks>
/// This type is the front: it checks requests and builds the parts (namespace <c>Agent.Decoding.Engine</c>), each with
/// one job: <c>DecodeScheduler</c> (the loop, admissions, one batch and one decode per step), <c>StepConstraints</c>
/// (bans, biases, the required mode, require-inside, exclusions, compiled per step), <c>TemptationProbe</c> (the one
/// temptation measure, with its multi-token lookahead, used by generation and by <c>ScoreJob</c>), <c>TagGuard</c>
/// (hold, take back and resample a banned multi-token tag), <c>TokenSampler</c> (greedy or llama.cpp's chain) and
/// <c>StepPipeline</c>, which runs them in that order over each decoded row. Per-generation state lives in the
/// generation's own parts (<c>SequenceSlot</c>, <c>StepConstraints</c>, <c>TagGuard</c>, <c>TokenSampler</c>).
/// </remarks>
public sealed class TagDecoder : IDisposable
{
    private readonly DecoderOptions _options;
    private readonly PhaseClock _clock;
    private readonly bool[] _bannableByFirstToken;
    private readonly ScoreJob.Engine _scoreEngine;
    private readonly DecodeScheduler _scheduler;

    private TagDecoder(LlamaModel model, TagSet tags, DecoderOptions options, LlamaContext context)
    {
        Model = model;
        Tags = tags;
        _options = options;
        TagNames = [.. tags.Tags.Select(t => t.Name)];
        _bannableByFirstToken = StepConstraints.BannableByFirstToken(tags, model.Vocab);
        _clock = new PhaseClock(options.CollectProfile);

        // Sequences: 0 .. MaxParallel-1 for generations, MaxParallel for score mode, then the lookahead's spares.
        var batch = new LlamaBatch(options.BatchSize);
        var probe = new TemptationProbe(tags, context, batch, options.MaxParallel + 1, options.LookaheadSequences);
        _scoreEngine = new ScoreJob.Engine(context, batch, options.BatchSize, options.MaxParallel, probe, model.Vocab, TagNames);
        var pipeline = new StepPipeline(context, model.Vocab, probe, _clock, options.ContextSize);
        _scheduler = new DecodeScheduler(context, batch, pipeline, _clock, options.MaxParallel, options.BatchSize);
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
        ObjectDisposedException.ThrowIf(_scheduler.IsStopped, this);
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

        var session = new GenerationSession(this, _scheduler, request, prompt, tokens, new StepConstraints(Tags, _bannableByFirstToken));
        _scheduler.Enqueue(session);

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

        var job = new ScoreJob(_scoreEngine, promptTokens, continuationTokens, cancellationToken);
        _scheduler.Enqueue(job);
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
    public void Dispose() => _scheduler.Dispose();
}
