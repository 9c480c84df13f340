using System.Runtime.CompilerServices;
using System.Text;
using Agent.Decoding.Engine;
using Agent.Llama;

namespace Agent.Decoding;

/// <summary>
/// One running generation on a <see cref="TagDecoder"/>. Tokens are produced on demand: each step of
/// <see cref="ReadAllAsync"/> asks the decoder for the next token, so a constraint changed with
/// <see cref="UpdateConstraints"/> between two tokens takes effect at the very next token.
/// Several sessions of one decoder are decoded together in one batch per step.
/// </summary>
public sealed class GenerationSession : IAsyncDisposable
{
    private readonly TagDecoder _decoder;
    private readonly DecodeScheduler _scheduler;
    private readonly Lock _sync = new();
    private readonly Queue<GeneratedToken> _ready = new();
    private readonly List<TemptationEntry> _entries = [];
    private readonly List<TagLeak> _leaks = [];
    private readonly StringBuilder _text = new();
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private readonly int[] _openCounts;
    private DecodingConstraints _constraints;
    private TaskCompletionSource<bool>? _waiter;
    private int _reading;
    private char[] _chars = new char[16];

    internal GenerationSession(TagDecoder decoder, DecodeScheduler scheduler, GenerationRequest request, string effectivePrompt, LlamaToken[] promptTokens, StepConstraints stepConstraints)
    {
        _decoder = decoder;
        _scheduler = scheduler;
        Request = request;
        EffectivePrompt = effectivePrompt;
        _constraints = request.Constraints;
        PromptTokenCount = promptTokens.Length;
        _openCounts = new int[decoder.Tags.Count];
        Slot = new SequenceSlot(promptTokens);
        StepConstraints = stepConstraints;
        Sampler = new TokenSampler(request.Sampling);
    }

    /// <summary>The request.</summary>
    public GenerationRequest Request { get; }

    /// <summary>The prompt as decoded: the request's prompt with the required mode (and require-inside tags) applied.</summary>
    public string EffectivePrompt { get; }

    /// <summary>Tokens of the effective prompt.</summary>
    public int PromptTokenCount { get; }

    /// <summary>The constraints in force for the next token.</summary>
    public DecodingConstraints Constraints
    {
        get
        {
            lock (_sync)
            {
                return _constraints;
            }
        }
    }

    /// <summary>Why it stopped, or <see cref="StopReason.None"/> while running.</summary>
    public StopReason StopReason { get; private set; }

    /// <summary>The text generated so far (without a matched stop string).</summary>
    public string Text
    {
        get
        {
            lock (_sync)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>The trace of the tokens generated so far.</summary>
    public TemptationTrace Trace
    {
        get
        {
            lock (_sync)
            {
                return new TemptationTrace(_decoder.TagNames, [.. _entries], [.. _leaks]);
            }
        }
    }

    /// <summary>The finished result (call after reading to the end).</summary>
    public GenerationResult Result => new(Text, Trace, StopReason, PromptTokenCount);

    // ---- the parts that own this generation's state (touched only by whoever holds the decoder's engine) ----

    /// <summary>The scheduler's part: the sequence, its tokens, how many the context has seen.</summary>
    internal SequenceSlot Slot { get; }

    /// <summary>The constraints compiled for the current step.</summary>
    internal StepConstraints StepConstraints { get; }

    /// <summary>The multi-token tag guard: held tokens and exclusions.</summary>
    internal TagGuard Guard { get; } = new();

    /// <summary>Token choice: greedy, or the masked row and the sampler chain.</summary>
    internal TokenSampler Sampler { get; }

    internal bool Wants { get; private set; }

    internal bool Finished => StopReason != StopReason.None;

    /// <summary>Whether a token is ready for the reader or the session finished.</summary>
    internal bool HasNews
    {
        get
        {
            lock (_sync)
            {
                return _ready.Count > 0 || Finished;
            }
        }
    }

    /// <summary>Replaces the constraints; the next token is decoded under the new ones.</summary>
    /// <exception cref="UnknownTagException">The new constraints name a tag that is not configured.</exception>
    public void UpdateConstraints(Func<DecodingConstraints, DecodingConstraints> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_sync)
        {
            var next = update(_constraints);
            _decoder.Validate(next);
            _constraints = next;
        }
    }

    /// <summary>Streams the generated tokens with their trace entries; cancellation is honoured between tokens.</summary>
    public async IAsyncEnumerable<GeneratedToken> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) == 1)
        {
            throw new InvalidOperationException("A generation session can be read once.");
        }

        try
        {
            while (true)
            {
                var next = await NextAsync(cancellationToken).ConfigureAwait(false);
                if (next is null)
                {
                    yield break;
                }

                yield return next;
            }
        }
        finally
        {
            _scheduler.Release(this);
        }
    }

    /// <summary>Stops the session and gives its sequence back.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_sync)
        {
            if (!Finished)
            {
                StopReason = StopReason.Cancelled;
            }
        }

        _scheduler.Release(this);
        return ValueTask.CompletedTask;
    }

    private async Task<GeneratedToken?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                Finish(StopReason.Cancelled);
                cancellationToken.ThrowIfCancellationRequested();
            }

            TaskCompletionSource<bool> waiter;
            lock (_sync)
            {
                if (_ready.TryDequeue(out var token))
                {
                    return token;
                }

                if (Finished)
                {
                    return null;
                }
            }

            // The only generation on the decoder: step it right here, no thread hand-off.
            if (_scheduler.TryStepInline(this))
            {
                continue;
            }

            lock (_sync)
            {
                if (_ready.TryDequeue(out var token))
                {
                    return token;
                }

                if (Finished)
                {
                    return null;
                }

                // Synchronous continuations: the reader's next demand is made on the decoder's thread, without a thread hop per
                // token (see Wake, which hands the final completion to the thread pool instead).
                waiter = _waiter = new TaskCompletionSource<bool>(TaskCreationOptions.None);
                Wants = true;
            }

            _scheduler.Demand(this);
            try
            {
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_sync)
                {
                    Wants = false;
                    if (!Finished)
                    {
                        StopReason = StopReason.Cancelled;
                    }
                }

                throw;
            }
        }
    }

    // ---- called by whoever holds the decoder's engine ----
    internal DecodingConstraints ConstraintsForStep()
    {
        lock (_sync)
        {
            return _constraints;
        }
    }

    /// <summary>Emits every token the guard held, in order (text, leak bookkeeping, trace entry), and forgets them.</summary>
    internal void EmitHeld()
    {
        foreach (var held in Guard.Held)
        {
            Emit(held);
        }

        Guard.ClearHeld();
    }

    /// <summary>Finishes the generation when a stop string appeared (trimming it off), or at its token limit, or when its context is full.</summary>
    internal void EndIfDone(int contextSize)
    {
        lock (_sync)
        {
            foreach (var stop in Request.StopStrings)
            {
                if (stop.Length == 0)
                {
                    continue;
                }

                var start = Math.Max(0, _text.Length - (stop.Length + 32));
                var tail = _text.ToString(start, _text.Length - start);
                var at = tail.IndexOf(stop, StringComparison.Ordinal);
                if (at >= 0)
                {
                    _text.Length = Math.Max(0, _text.Length - (tail.Length - at));
                    Finish(StopReason.StopString);
                    return;
                }
            }

            if (_entries.Count >= Request.MaxTokens)
            {
                Finish(StopReason.MaxTokens);
            }
            else if (Slot.Tokens.Count >= contextSize)
            {
                Finish(StopReason.ContextFull);
            }
        }
    }

    /// <summary>One token's text, the tag it opened or closed (a closing without an opening is a leak), its trace entry.</summary>
    private void Emit(HeldToken held)
    {
        lock (_sync)
        {
            var text = DecodeText(held.Bytes);
            string? leak = null;
            foreach (var tag in _decoder.Tags.Tags)
            {
                if (TextEndsWith(text, tag.OpenText, 64))
                {
                    _openCounts[tag.Index]++;
                }
                else if (TextEndsWith(text, tag.CloseText, 64))
                {
                    if (_openCounts[tag.Index] > 0)
                    {
                        _openCounts[tag.Index]--;
                    }
                    else
                    {
                        leak = tag.Name;
                    }
                }
            }

            var entry = new TemptationEntry(_entries.Count, held.TokenId, text, held.TokenProbability, held.Probabilities);
            _entries.Add(entry);
            _text.Append(text);
            if (leak is not null)
            {
                _leaks.Add(new TagLeak(entry.Index, leak));
            }

            _ready.Enqueue(new GeneratedToken(held.TokenId, text, entry, leak));
        }
    }

    /// <summary>Turns a token's bytes into text, carrying an incomplete UTF-8 character over to the next token.</summary>
    private string DecodeText(byte[] bytes)
    {
        var needed = Encoding.UTF8.GetMaxCharCount(bytes.Length) + 2;
        if (_chars.Length < needed)
        {
            _chars = new char[needed];
        }

        var n = _utf8.GetChars(bytes, 0, bytes.Length, _chars, 0, flush: false);
        return n == 0 ? string.Empty : new string(_chars, 0, n);
    }

    /// <summary>
    /// Whether the last <paramref name="tailLength"/> characters of the text so far, followed by <paramref name="pending"/>,
    /// end with <paramref name="suffix"/>, without building that string.
    /// </summary>
    private bool TextEndsWith(string pending, string suffix, int tailLength)
    {
        var fromText = suffix.Length - pending.Length;
        if (fromText > Math.Min(tailLength, _text.Length))
        {
            return false;
        }

        if (fromText <= 0)
        {
            return pending.EndsWith(suffix, StringComparison.Ordinal);
        }

        if (!suffix.AsSpan(fromText).SequenceEqual(pending))
        {
            return false;
        }

        for (var k = 1; k <= fromText; k++)
        {
            if (_text[^k] != suffix[fromText - k])
            {
                return false;
            }
        }

        return true;
    }

    internal void Finish(StopReason reason)
    {
        lock (_sync)
        {
            if (!Finished)
            {
                StopReason = reason;
            }
        }
    }

    /// <summary>Wakes the reader when a token is ready or the session finished; returns whether it still wants a token.</summary>
    internal void Wake()
    {
        TaskCompletionSource<bool>? waiter = null;
        var finished = false;
        lock (_sync)
        {
            if (_ready.Count > 0 || Finished)
            {
                Wants = false;
                waiter = _waiter;
                _waiter = null;
                finished = Finished;
            }
        }

        if (waiter is null)
        {
            return;
        }

        if (finished)
        {
            // Whatever the reader does after the last token (run a tool, write a store) must not run on the decoder's thread.
            ThreadPool.UnsafeQueueUserWorkItem(static w => w.TrySetResult(true), waiter, preferLocal: false);
        }
        else
        {
            waiter.TrySetResult(true);
        }
    }
}
