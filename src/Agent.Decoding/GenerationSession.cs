using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text;
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
    private readonly Lock _gate = new();
    private readonly Queue<GeneratedToken> _ready = new();
    private readonly List<TemptationEntry> _entries = [];
    private readonly List<TagLeak> _leaks = [];
    private readonly StringBuilder _text = new();
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private DecodingConstraints _constraints;
    private TaskCompletionSource<bool>? _waiter;
    private int _reading;
    private float[]? _mask;
    private char[] _chars = new char[16];

    internal GenerationSession(TagDecoder decoder, GenerationRequest request, string effectivePrompt, LlamaToken[] promptTokens)
    {
        _decoder = decoder;
        Request = request;
        EffectivePrompt = effectivePrompt;
        _constraints = request.Constraints;
        Tokens = [.. promptTokens.Select(t => t.Value)];
        PromptTokenCount = promptTokens.Length;
        OpenCounts = new int[decoder.Tags.Count];
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
            lock (_gate)
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
            lock (_gate)
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
            lock (_gate)
            {
                return new TemptationTrace(_decoder.TagNames, [.. _entries], [.. _leaks]);
            }
        }
    }

    /// <summary>The finished result (call after reading to the end).</summary>
    public GenerationResult Result => new(Text, Trace, StopReason, PromptTokenCount);

    // ---- state the decoder's loop owns (touched only on that thread, or under _gate where noted) ----
    internal List<int> Tokens { get; }

    internal int Fed { get; set; }

    internal int Sequence { get; set; } = -1;

    internal int Emitted { get; set; }

    internal int[] OpenCounts { get; }

    internal List<HeldToken> Held { get; } = [];

    internal Dictionary<int, HashSet<int>> Exclusions { get; } = [];

    /// <summary>This step's logit edits (token to new logit): bans, biases, exclusions. Reused from step to step.</summary>
    internal Dictionary<int, float> Edits { get; } = [];

    /// <summary>The logits before their edits, when the row was copied and masked (sampling). Reused from step to step.</summary>
    internal Dictionary<int, float> Originals { get; } = [];

    internal bool Wants { get; private set; }

    internal bool Finished => StopReason != StopReason.None;

    /// <summary>Whether a token is ready for the reader or the session finished.</summary>
    internal bool HasNews
    {
        get
        {
            lock (_gate)
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
        lock (_gate)
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
            _decoder.Release(this);
        }
    }

    /// <summary>Stops the session and gives its sequence back.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (!Finished)
            {
                StopReason = StopReason.Cancelled;
            }
        }

        _decoder.Release(this);
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
            lock (_gate)
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
            if (_decoder.TryStepInline(this))
            {
                continue;
            }

            lock (_gate)
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

            _decoder.Demand(this);
            try
            {
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (_gate)
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

    // ---- called by the decoder's loop ----
    internal DecodingConstraints ConstraintsForStep()
    {
        lock (_gate)
        {
            return _constraints;
        }
    }

    /// <summary>Turns a token's bytes into text, carrying an incomplete UTF-8 character over to the next token.</summary>
    internal string DecodeText(byte[] bytes)
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
    /// end with <paramref name="suffix"/> (what <c>TextTail(tailLength) + pending</c> would say, without building it).
    /// </summary>
    internal bool TextEndsWith(string pending, string suffix, int tailLength)
    {
        lock (_gate)
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
    }

    /// <summary>The session's reusable masked-logits row.</summary>
    internal float[] MaskBuffer(int length)
    {
        if (_mask is null || _mask.Length != length)
        {
            _mask = new float[length];
        }

        return _mask;
    }

    internal void Emit(int tokenId, string text, double tokenProbability, ImmutableArray<double> probabilities, string? leak)
    {
        lock (_gate)
        {
            var entry = new TemptationEntry(_entries.Count, tokenId, text, tokenProbability, probabilities);
            _entries.Add(entry);
            _text.Append(text);
            if (leak is not null)
            {
                _leaks.Add(new TagLeak(entry.Index, leak));
            }

            Emitted++;
            _ready.Enqueue(new GeneratedToken(tokenId, text, entry, leak));
        }
    }

    internal string TextTail(int length)
    {
        lock (_gate)
        {
            var start = Math.Max(0, _text.Length - length);
            return _text.ToString(start, _text.Length - start);
        }
    }

    internal void TrimText(int length)
    {
        lock (_gate)
        {
            _text.Length = Math.Max(0, length);
        }
    }

    internal int TextLength
    {
        get
        {
            lock (_gate)
            {
                return _text.Length;
            }
        }
    }

    internal void Finish(StopReason reason)
    {
        lock (_gate)
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
        lock (_gate)
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

    /// <summary>A token produced but held back while it may be the start of a banned multi-token tag.</summary>
    internal sealed record HeldToken(int TokenId, int Position, byte[] Bytes, double TokenProbability, ImmutableArray<double> Probabilities);
}
