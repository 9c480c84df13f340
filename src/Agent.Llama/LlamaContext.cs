using Agent.Llama.Native;

namespace Agent.Llama;

/// <summary>
/// An inference context over a model: its KV cache (memory) for one or more sequences, decode, and logits.
/// It keeps its model alive. Not thread-safe: one thread decodes at a time.
/// </summary>
public sealed unsafe class LlamaContext : IDisposable
{
    private readonly SafeLlamaContextHandle _handle;
    private readonly IntPtr _memory;
    private bool _embeddingsOn;
    private bool _split;
    private int[] _outputIndex = [];
    private LlamaBatch? _withoutOutput;
    private LlamaBatch? _withOutput;

    private LlamaContext(LlamaModel model, SafeLlamaContextHandle handle)
    {
        Model = model;
        _handle = handle;
        _memory = NativeMethods.llama_get_memory(handle);
        ContextSize = (int)NativeMethods.llama_n_ctx(handle);
        BatchSize = (int)NativeMethods.llama_n_batch(handle);
        MaxSequences = (int)NativeMethods.llama_n_seq_max(handle);
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

    internal SafeLlamaContextHandle Handle => _handle;

    /// <summary>Creates a context.</summary>
    /// <exception cref="LlamaContextException">llama.cpp could not create it (for example, not enough memory for the context size).</exception>
    public static LlamaContext Create(LlamaModel model, LlamaContextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new LlamaContextOptions();
        var p = NativeMethods.llama_context_default_params();
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
            p.flash_attn_type = fa ? 1 : 0;
        }

        p.embeddings = options.Embeddings ? (byte)1 : (byte)0;
        if (options.Embeddings)
        {
            p.pooling_type = 0; // LLAMA_POOLING_TYPE_NONE: one vector per output token, not one per sequence
        }

        p.no_perf = options.NoPerformanceCounters ? (byte)1 : (byte)0;
        if (options.OffloadKqv is { } kqv)
        {
            p.offload_kqv = kqv ? (byte)1 : (byte)0;
        }

        if (options.UnifiedKvCache is { } unified)
        {
            p.kv_unified = unified ? (byte)1 : (byte)0;
        }

        if (options.OperationOffload is { } oo)
        {
            p.op_offload = oo ? (byte)1 : (byte)0;
        }

        if (options.FullSlidingWindowCache is { } swa)
        {
            p.swa_full = swa ? (byte)1 : (byte)0;
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
        using var expected = p.kv_unified != 0 && p.n_seq_max > 1 && contextShare <= model.TrainingContextSize
            ? NativeLog.Expect("n_ctx_seq (", $"one KV cache of {contextTokens} tokens shared by {p.n_seq_max} sequences, about {contextShare} each; the training context is {model.TrainingContextSize}")
            : default;
        var handle = NativeMethods.llama_init_from_model(model.Handle, p);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new LlamaContextException(
                $"llama.cpp could not create a context of {p.n_ctx} tokens x {p.n_seq_max} sequences for '{model.Path}': {NativeLog.CapturedProblems()}. Lower Llama:ContextSize or the number of parallel sequences.");
        }

        handle.KeepAlive(model.Handle);
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
            var token = native.token[i];
            if ((uint)token >= (uint)VocabSize)
            {
                throw new ArgumentException($"Token id {token} at batch index {i} is out of range: the vocabulary has tokens 0 to {VocabSize - 1}.", nameof(batch));
            }

            for (var s = 0; s < native.n_seq_id[i]; s++)
            {
                var seq = native.seq_id[i][s];
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
                ref var seen = ref seenOutput[native.seq_id[i][s]];
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
                sequences[s] = new LlamaSeqId(native.seq_id[i][s]);
            }

            var wants = native.logits[i] != 0;
            var index = (wants ? _withOutput : _withoutOutput).Add(new LlamaToken(native.token[i]), new LlamaPos(native.pos[i]), sequences[..count], wants);
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
            NativeMethods.llama_set_embeddings(_handle, on);
            _embeddingsOn = on;
        }
    }

    /// <summary>The index in the batch llama.cpp last decoded of the row <paramref name="batchIndex"/> of the caller's batch (-1 stays -1: the last output); null for a row that had no output.</summary>
    internal int? NativeIndex(int batchIndex) => !_split || batchIndex < 0 ? batchIndex
        : batchIndex < _outputIndex.Length && _outputIndex[batchIndex] >= 0 ? _outputIndex[batchIndex] : null;

    private void DecodeNative(LlamaBatchNative native, LlamaBatch owner)
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
        var logits = NativeIndex(batchIndex) is { } index ? NativeMethods.llama_get_logits_ith(_handle, index) : null;
        if (logits == null)
        {
            throw new InvalidOperationException(
                $"There are no logits for batch index {batchIndex}: add that token with wantLogits: true and decode first.");
        }

        return new ReadOnlySpan<float>(logits, VocabSize);
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

        var embeddings = NativeIndex(batchIndex) is { } index ? NativeMethods.llama_get_embeddings_ith(_handle, index) : null;
        if (embeddings == null)
        {
            throw new InvalidOperationException(
                $"There are no embeddings for batch index {batchIndex}: add that token with wantLogits: true and decode first.");
        }

        return new ReadOnlySpan<float>(embeddings, Model.EmbeddingSize);
    }

    /// <summary>Whether <see cref="GetEmbeddings"/> has something to read (the context was created with embeddings on).</summary>
    public bool ExtractsEmbeddings { get; private init; }

    /// <summary>Removes positions [from, to) of a sequence from memory (to = -1: to the end; sequence -1: all sequences).</summary>
    public bool RemoveTokens(LlamaSeqId sequence, LlamaPos from, LlamaPos to) =>
        NativeMethods.llama_memory_seq_rm(Memory, sequence.Value, from.Value, to.Value);

    /// <summary>Removes a whole sequence from memory.</summary>
    public void ClearSequence(LlamaSeqId sequence) => NativeMethods.llama_memory_seq_rm(Memory, sequence.Value, -1, -1);

    /// <summary>Makes <paramref name="destination"/> share positions [from, to) of <paramref name="source"/> (no copy of the cache data).</summary>
    public void CopySequence(LlamaSeqId source, LlamaSeqId destination, LlamaPos from, LlamaPos to) =>
        NativeMethods.llama_memory_seq_cp(Memory, source.Value, destination.Value, from.Value, to.Value);

    /// <summary>Removes every sequence except this one.</summary>
    public void KeepOnlySequence(LlamaSeqId sequence) => NativeMethods.llama_memory_seq_keep(Memory, sequence.Value);

    /// <summary>Empties the memory of all sequences.</summary>
    public void ClearMemory() => NativeMethods.llama_memory_clear(Memory, true);

    /// <summary>Highest position a sequence holds, or -1 when empty.</summary>
    public int SequencePositionMax(LlamaSeqId sequence) => NativeMethods.llama_memory_seq_pos_max(Memory, sequence.Value);

    /// <summary>Serialises one sequence's memory (to park and restore a run).</summary>
    public byte[] SaveSequenceState(LlamaSeqId sequence)
    {
        var size = NativeMethods.llama_state_seq_get_size(_handle, sequence.Value);
        var data = new byte[(int)size];
        fixed (byte* d = data)
        {
            var written = NativeMethods.llama_state_seq_get_data(_handle, d, size, sequence.Value);
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
            read = NativeMethods.llama_state_seq_set_data(_handle, s, (nuint)state.Length, sequence.Value);
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
        NativeMethods.llama_set_n_threads(_handle, threads, threadsBatch);
    }

    /// <summary>llama.cpp's performance counters.</summary>
    public LlamaPerformance Performance
    {
        get
        {
            var p = NativeMethods.llama_perf_context(_handle);
            return new LlamaPerformance(p.t_load_ms, p.t_p_eval_ms, p.n_p_eval, p.t_eval_ms, p.n_eval, p.n_reused);
        }
    }

    /// <summary>Resets the performance counters.</summary>
    public void ResetPerformance() => NativeMethods.llama_perf_context_reset(_handle);

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
