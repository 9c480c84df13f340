using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Agent.Llama.Native;
using LLama.Exceptions;
using LLama.Native;

namespace Agent.Llama;

/// <summary>
/// An inference context over a model: its KV cache (memory) for one or more sequences, decode, and logits.
/// It keeps its model alive. Not thread-safe: one thread decodes at a time.
/// </summary>
public sealed unsafe class LlamaContext : IDisposable
{
    private readonly SafeLLamaContextHandle _handle;
    private readonly IntPtr _memory;
    private bool _embeddingsOn;
    private bool _split;
    private int[] _outputIndex = [];
    private LlamaBatch? _withoutOutput;
    private LlamaBatch? _withOutput;

    private LlamaContext(LlamaModel model, SafeLLamaContextHandle handle)
    {
        Model = model;
        _handle = handle;
        _memory = NativeMethods.llama_get_memory(handle);
        ContextSize = (int)handle.ContextSize;
        BatchSize = (int)handle.BatchSize;
        MaxSequences = (int)handle.MaxSeq;
        VocabSize = model.Vocab.Count;
    }

    /// <summary>The model.</summary>
    public LlamaModel Model { get; }

    /// <summary>Tokens of context.</summary>
    public int ContextSize { get; }

    /// <summary>Most tokens per decode call.</summary>
    public int BatchSize { get; }

    /// <summary>Parallel sequences.</summary>
    public int MaxSequences { get; }

    /// <summary>Length of each logits row.</summary>
    public int VocabSize { get; }

    internal SafeLLamaContextHandle Handle => _handle;

    /// <summary>Creates a context.</summary>
    /// <exception cref="LlamaContextException">llama.cpp could not create it (for example, not enough memory for the context size).</exception>
    public static LlamaContext Create(LlamaModel model, LlamaContextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LlamaContextOptions();
        var p = LLamaContextParams.Default();
        if (options.ContextSize is { } n)
        {
            p.n_ctx = n;
        }

        if (options.BatchSize is { } b)
        {
            p.n_batch = b;
        }

        if (options.MicroBatchSize is { } ub)
        {
            p.n_ubatch = ub;
        }

        p.n_seq_max = options.MaxSequences;
        if (options.Threads is > 0)
        {
            p.n_threads = options.Threads.Value;
            p.n_threads_batch = options.Threads.Value;
        }

        if (options.ThreadsBatch is > 0)
        {
            p.n_threads_batch = options.ThreadsBatch.Value;
        }

        if (options.RopeFrequencyBase is { } rb)
        {
            p.rope_freq_base = rb;
        }

        if (options.RopeFrequencyScale is { } rs)
        {
            p.rope_freq_scale = rs;
        }

        if (options.FlashAttention is { } fa)
        {
            p.llama_flash_attn_type = fa ? LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_ENABLED : LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        }

        p.embeddings = options.Embeddings;
        if (options.Embeddings)
        {
            p.llama_pooling_type = LLamaPoolingType.None; // one vector per output token, not one per sequence
        }

        p.no_perf = options.NoPerformanceCounters;
        if (options.OffloadKqv is { } kqv)
        {
            p.offload_kqv = kqv;
        }

        if (options.UnifiedKvCache is { } unified)
        {
            p.kv_unified = unified;
        }

        if (options.OperationOffload is { } oo)
        {
            p.op_offload = oo;
        }

        if (options.FullSlidingWindowCache is { } swa)
        {
            p.swa_full = swa;
        }

        // A KV cache that cannot fit is refused here: llama.cpp's failed allocation of a huge cache can leave state that
        // crashes the process at exit, and the user deserves the reason before any native allocation.
        var contextTokens = p.n_ctx == 0 ? (long)model.TrainingContextSize : p.n_ctx;
        var kvBytes = contextTokens * model.LayerCount * (model.EmbeddingSize / Math.Max(1, model.HeadCount) * (long)model.HeadCountKv) * 2 * 2;
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (kvBytes > available)
        {
            throw new LlamaContextException(
                $"A context of {contextTokens} tokens for '{model.Path}' needs about {kvBytes / 1048576} MiB of KV cache but this machine has {available / 1048576} MiB. Lower Llama:ContextSize or the number of parallel sequences.");
        }

        NativeLog.BeginCapture();

        // With one KV cache shared by several sequences, llama.cpp compares the whole cache with the training context: when
        // each sequence's share fits, only a sequence that took more than its share could overflow, and bounding that is
        // the caller's job (TagDecoder caps each sequence at the training context). Log it at debug level, explained.
        var contextShare = contextTokens / Math.Max(1u, p.n_seq_max);
        using var expected = p.kv_unified && p.n_seq_max > 1 && contextShare <= model.TrainingContextSize
            ? NativeLog.Expect("n_ctx_seq (", $"one KV cache of {contextTokens} tokens shared by {p.n_seq_max} sequences, about {contextShare} each; the training context is {model.TrainingContextSize}")
            : default;
        SafeLLamaContextHandle handle;
        try
        {
            // LLamaSharp's handle takes a reference on the model handle, so the context cannot outlive its model.
            handle = SafeLLamaContextHandle.Create(model.Handle, p);
        }
        catch (RuntimeError e)
        {
            throw new LlamaContextException(
                $"llama.cpp could not create a context of {p.n_ctx} tokens x {p.n_seq_max} sequences for '{model.Path}': {NativeLog.CapturedProblems()}. Lower Llama:ContextSize or the number of parallel sequences.", e);
        }

        return new LlamaContext(model, handle) { ExtractsEmbeddings = options.Embeddings, _embeddingsOn = options.Embeddings };
    }

    /// <summary>Decodes a batch: appends its tokens to their sequences' memory and computes the requested logits.</summary>
    /// <exception cref="ArgumentException">A token id is outside the vocabulary, a sequence id is out of range, or the batch is empty or too big.</exception>
    /// <exception cref="LlamaDecodeException">llama_decode failed (no room in the KV cache, aborted, or an internal error).</exception>
    public void Decode(LlamaBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var native = batch.Native;
        if (native.n_tokens == 0)
        {
            throw new ArgumentException("The batch is empty.", nameof(batch));
        }

        if (native.n_tokens > BatchSize)
        {
            throw new ArgumentException($"The batch has {native.n_tokens} tokens; this context decodes at most {BatchSize} per call (Llama:BatchSize).", nameof(batch));
        }

        for (var i = 0; i < native.n_tokens; i++)
        {
            var token = (int)native.tokens[i];
            if ((uint)token >= (uint)VocabSize)
            {
                throw new ArgumentException($"Token id {token} at batch index {i} is out of range: the vocabulary has tokens 0 to {VocabSize - 1}.", nameof(batch));
            }

            for (var s = 0; s < native.n_seq_id[i]; s++)
            {
                var seq = native.seq_id[i][s].Value;
                if ((uint)seq >= (uint)MaxSequences)
                {
                    throw new ArgumentException($"Sequence id {seq} at batch index {i} is out of range: this context holds sequences 0 to {MaxSequences - 1}.", nameof(batch));
                }
            }
        }

        if (!ExtractsEmbeddings)
        {
            DecodeNative(native, batch);
            return;
        }

        // llama.cpp outputs EVERY token of a batch while embeddings are on (logits over the whole vocabulary and the hidden
        // state of each prompt token), which a long prompt pays for though only its last row is read. So embeddings are
        // switched on only for rows that want output: a batch that mixes the two is decoded as its rows without output,
        // then its rows with output, when no sequence has a row without output after one with (always true of a prompt
        // followed by its last token); otherwise as one batch with every row output.
        _split = false;
        var outputs = 0;
        var ordered = true;
        Span<bool> seenOutput = MaxSequences <= 256 ? stackalloc bool[MaxSequences] : new bool[MaxSequences];
        for (var i = 0; i < native.n_tokens; i++)
        {
            var wants = native.logits[i] != 0;
            outputs += wants ? 1 : 0;
            for (var s = 0; s < native.n_seq_id[i]; s++)
            {
                ref var seen = ref seenOutput[native.seq_id[i][s].Value];
                ordered &= wants || !seen;
                seen |= wants;
            }
        }

        if (outputs == 0 || outputs == native.n_tokens || !ordered)
        {
            SetEmbeddings(outputs > 0);
            DecodeNative(native, batch);
            return;
        }

        _withoutOutput ??= new LlamaBatch(BatchSize, batch.MaxSequencesPerToken);
        _withOutput ??= new LlamaBatch(BatchSize, batch.MaxSequencesPerToken);
        if (_withoutOutput.MaxSequencesPerToken < batch.MaxSequencesPerToken)
        {
            _withoutOutput.Dispose();
            _withOutput.Dispose();
            _withoutOutput = new LlamaBatch(BatchSize, batch.MaxSequencesPerToken);
            _withOutput = new LlamaBatch(BatchSize, batch.MaxSequencesPerToken);
        }

        _withoutOutput.Clear();
        _withOutput.Clear();
        if (_outputIndex.Length < native.n_tokens)
        {
            _outputIndex = new int[BatchSize];
        }

        Span<LlamaSeqId> sequences = stackalloc LlamaSeqId[batch.MaxSequencesPerToken];
        for (var i = 0; i < native.n_tokens; i++)
        {
            var count = native.n_seq_id[i];
            for (var s = 0; s < count; s++)
            {
                sequences[s] = new LlamaSeqId(native.seq_id[i][s].Value);
            }

            var wants = native.logits[i] != 0;
            var index = (wants ? _withOutput : _withoutOutput).Add(new LlamaToken((int)native.tokens[i]), new LlamaPos(native.pos[i].Value), sequences[..count], wants);
            _outputIndex[i] = wants ? index : -1;
        }

        SetEmbeddings(false);
        DecodeNative(_withoutOutput.Native, _withoutOutput);
        SetEmbeddings(true);
        DecodeNative(_withOutput.Native, _withOutput);
        _split = true;
    }

    private void SetEmbeddings(bool on)
    {
        if (_embeddingsOn != on)
        {
            _handle.SetEmbeddings(on);
            _embeddingsOn = on;
        }
    }

    /// <summary>The index in the batch llama.cpp last decoded of the row <paramref name="batchIndex"/> of the caller's batch (-1 stays -1: the last output); null for a row that had no output.</summary>
    internal int? NativeIndex(int batchIndex) => !_split || batchIndex < 0 ? batchIndex
        : batchIndex < _outputIndex.Length && _outputIndex[batchIndex] >= 0 ? _outputIndex[batchIndex] : null;

    private void DecodeNative(LLamaNativeBatch native, LlamaBatch owner)
    {
        NativeLog.BeginCapture();
        var code = NativeMethods.llama_decode(_handle, native);
        GC.KeepAlive(owner);
        if (code != 0)
        {
            var meaning = code switch
            {
                1 => "no room in the KV cache for this batch (the context is full: shorten the prompt, raise Llama:ContextSize, or remove old tokens)",
                2 => "decoding was aborted",
                -1 => "the batch was invalid",
                _ => "llama.cpp failed internally",
            };
            throw new LlamaDecodeException($"llama_decode returned {code}: {meaning}. {NativeLog.CapturedProblems()}");
        }
    }

    /// <summary>
    /// The logits of the token at <paramref name="batchIndex"/> of the last decoded batch (-1 = last token with logits),
    /// as a span over llama.cpp's own buffer (no copy). Valid until the next <see cref="Decode"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">That token did not ask for logits.</exception>
    public ReadOnlySpan<float> GetLogits(int batchIndex)
    {
        if (NativeIndex(batchIndex) is { } index)
        {
            try
            {
                return _handle.GetLogitsIth(index);
            }
            catch (GetLogitsInvalidIndexException)
            {
            }
        }

        throw new InvalidOperationException(
            $"There are no logits for batch index {batchIndex}: add that token with wantLogits: true and decode first.");
    }

    /// <summary>
    /// The last layer's hidden state (after the output norm, the vector the output projection reads) of the token at
    /// <paramref name="batchIndex"/> of the last decoded batch, as a span over llama.cpp's own buffer (no copy); the
    /// context must have been created with <see cref="LlamaContextOptions.Embeddings"/>. Valid until the next
    /// <see cref="Decode"/>. A causal model's logits stay available beside it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The context does not extract embeddings, or that token did not ask for output.</exception>
    public ReadOnlySpan<float> GetEmbeddings(int batchIndex)
    {
        if (!ExtractsEmbeddings)
        {
            throw new InvalidOperationException("This context does not extract embeddings: create it with LlamaContextOptions.Embeddings = true.");
        }

        // LLamaSharp's GetEmbeddingsIth returns a span over a null pointer (it only Debug.Asserts) for a row without output.
        var embeddings = NativeIndex(batchIndex) is { } index ? _handle.GetEmbeddingsIth(index) : default;
        if (Unsafe.IsNullRef(ref MemoryMarshal.GetReference(embeddings)))
        {
            throw new InvalidOperationException(
                $"There are no embeddings for batch index {batchIndex}: add that token with wantLogits: true and decode first.");
        }

        return embeddings;
    }

    /// <summary>Whether <see cref="GetEmbeddings"/> has something to read (the context was created with embeddings on).</summary>
    public bool ExtractsEmbeddings { get; private init; }

    /// <summary>Removes positions [from, to) of a sequence from memory (to = -1: to the end; sequence -1: all sequences).</summary>
    public bool RemoveTokens(LlamaSeqId sequence, LlamaPos from, LlamaPos to) =>
        NativeApi.llama_memory_seq_rm(Memory, (LLamaSeqId)sequence.Value, from.Value, to.Value);

    /// <summary>Removes a whole sequence from memory.</summary>
    public void ClearSequence(LlamaSeqId sequence) => Live.MemorySequenceRemove((LLamaSeqId)sequence.Value, -1, -1);

    /// <summary>Makes <paramref name="destination"/> share positions [from, to) of <paramref name="source"/> (no copy of the cache data).</summary>
    public void CopySequence(LlamaSeqId source, LlamaSeqId destination, LlamaPos from, LlamaPos to) =>
        Live.MemorySequenceCopy((LLamaSeqId)source.Value, (LLamaSeqId)destination.Value, from.Value, to.Value);

    /// <summary>Removes every sequence except this one.</summary>
    public void KeepOnlySequence(LlamaSeqId sequence) => Live.MemorySequenceKeep((LLamaSeqId)sequence.Value);

    /// <summary>Empties the memory of all sequences.</summary>
    public void ClearMemory() => Live.MemoryClear(true);

    /// <summary>Highest position a sequence holds, or -1 when empty.</summary>
    public int SequencePositionMax(LlamaSeqId sequence) => (int)Live.MemorySequenceMaxPosition((LLamaSeqId)sequence.Value);

    /// <summary>Serialises one sequence's memory (to park and restore a run).</summary>
    public byte[] SaveSequenceState(LlamaSeqId sequence)
    {
        var size = _handle.GetStateSize((LLamaSeqId)sequence.Value);
        var data = new byte[(int)size];
        fixed (byte* d = data)
        {
            var written = _handle.GetState(d, size, (LLamaSeqId)sequence.Value);
            return written == size ? data : data[..(int)written];
        }
    }

    /// <summary>Restores a sequence's memory saved by <see cref="SaveSequenceState"/> into <paramref name="sequence"/>.</summary>
    /// <exception cref="ArgumentException">The state does not fit this context or model.</exception>
    public void LoadSequenceState(LlamaSeqId sequence, ReadOnlySpan<byte> state)
    {
        if (state.IsEmpty)
        {
            throw new ArgumentException("The state is empty.", nameof(state));
        }

        nuint read;
        NativeLog.BeginCapture();
        fixed (byte* s = state)
        {
            read = _handle.SetState(s, (nuint)state.Length, (LLamaSeqId)sequence.Value);
        }

        if (read == 0)
        {
            throw new ArgumentException($"llama.cpp refused the sequence state ({state.Length} bytes): {NativeLog.CapturedProblems()}. It was saved from another model or a context of another shape.", nameof(state));
        }
    }

    /// <summary>Sets the CPU threads used for generation and for batches.</summary>
    public void SetThreads(int threads, int threadsBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threadsBatch, 1);
        _handle.GenerationThreads = threads;
        _handle.BatchThreads = threadsBatch;
    }

    /// <summary>llama.cpp's performance counters.</summary>
    public LlamaPerformance Performance
    {
        get
        {
            var p = _handle.GetTimings();

            // LLamaSharp keeps n_reused private: read it at its offset in llama_perf_context_data (NativeAbiTests checks it).
            var reused = MemoryMarshal.Read<int>(MemoryMarshal.AsBytes(new ReadOnlySpan<LLamaPerfContextTimings>(ref p))[PerfReusedOffset..]);
            return new LlamaPerformance(p.Loading.TotalMilliseconds, p.PromptEval.TotalMilliseconds, p.PrompTokensEvaluated, p.Eval.TotalMilliseconds, p.TokensEvaluated, reused);
        }
    }

    /// <summary>Offset of <c>n_reused</c> in <c>struct llama_perf_context_data</c> (doubles t_start, t_load, t_p_eval, t_eval; ints n_p_eval, n_eval).</summary>
    internal const int PerfReusedOffset = 40;

    /// <summary>Resets the performance counters.</summary>
    public void ResetPerformance() => _handle.ResetTimings();

    private SafeLLamaContextHandle Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle;
        }
    }

    private IntPtr Memory
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _memory;
        }
    }

    /// <summary>Frees the context (and releases its hold on the model).</summary>
    public void Dispose()
    {
        _handle.Dispose();
        _withoutOutput?.Dispose();
        _withOutput?.Dispose();
    }
}
