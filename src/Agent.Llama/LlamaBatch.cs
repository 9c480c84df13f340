using Agent.Llama.Native;
using LLama.Native;

namespace Agent.Llama;

/// <summary>
/// Tokens to decode in one call: each with its position, its sequence id(s) and whether its logits are wanted.
/// Several sequences may share one batch (parallel generation). Reuse it across steps with <see cref="Clear"/>.
/// </summary>
public sealed unsafe class LlamaBatch : IDisposable
{
    private readonly SafeLlamaBatchHandle _handle;

    /// <summary>Creates a batch for up to <paramref name="capacity"/> tokens.</summary>
    /// <param name="capacity">Most tokens it can hold.</param>
    /// <param name="maxSequencesPerToken">Most sequence ids one token may belong to.</param>
    public LlamaBatch(int capacity, int maxSequencesPerToken = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSequencesPerToken, 1);
        LlamaRuntime.EnsureInitialized();
        _handle = SafeLlamaBatchHandle.Create(capacity, maxSequencesPerToken);
        Capacity = capacity;
        MaxSequencesPerToken = maxSequencesPerToken;
    }

    /// <summary>Most tokens it can hold.</summary>
    public int Capacity { get; }

    /// <summary>Most sequence ids per token.</summary>
    public int MaxSequencesPerToken { get; }

    /// <summary>Tokens added since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a token of one sequence; returns its index in the batch (the index to read its logits with).</summary>
    /// <exception cref="InvalidOperationException">The batch is full.</exception>
    public int Add(LlamaToken token, LlamaPos position, LlamaSeqId sequence, bool wantLogits)
    {
        ReadOnlySpan<LlamaSeqId> one = [sequence];
        return Add(token, position, one, wantLogits);
    }

    /// <summary>Adds a token shared by several sequences.</summary>
    /// <exception cref="InvalidOperationException">The batch is full.</exception>
    /// <exception cref="ArgumentException">No sequence, or more than <see cref="MaxSequencesPerToken"/>.</exception>
    public int Add(LlamaToken token, LlamaPos position, ReadOnlySpan<LlamaSeqId> sequences, bool wantLogits)
    {
        if (Count >= Capacity)
        {
            throw new InvalidOperationException($"The batch is full ({Capacity} tokens); decode it and Clear() it first.");
        }

        if (sequences.IsEmpty || sequences.Length > MaxSequencesPerToken)
        {
            throw new ArgumentException($"A token needs 1 to {MaxSequencesPerToken} sequence ids, got {sequences.Length}.", nameof(sequences));
        }

        var batch = _handle.Batch;
        var i = Count;
        batch->tokens[i] = token.Value;
        batch->pos[i] = position.Value;
        batch->n_seq_id[i] = sequences.Length;
        for (var s = 0; s < sequences.Length; s++)
        {
            batch->seq_id[i][s] = (LLamaSeqId)sequences[s].Value;
        }

        batch->logits[i] = wantLogits ? (byte)1 : (byte)0;
        Count = i + 1;
        return i;
    }

    /// <summary>Empties the batch.</summary>
    public void Clear() => Count = 0;

    /// <summary>The token at an index.</summary>
    public LlamaToken TokenAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return new LlamaToken((int)_handle.Batch->tokens[index]);
    }

    /// <summary>The sequence id(s) of the token at an index (first one).</summary>
    public LlamaSeqId SequenceAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return new LlamaSeqId(_handle.Batch->seq_id[index][0].Value);
    }

    internal LLamaNativeBatch Native
    {
        get
        {
            var copy = *_handle.Batch;
            copy.n_tokens = Count;
            return copy;
        }
    }

    internal bool WantsLogits(int index) => _handle.Batch->logits[index] != 0;

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
