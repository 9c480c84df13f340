namespace Agent.Llama;

/// <summary>
/// How a context is created (mirrors <c>llama_context_params</c>). A null property keeps llama.cpp's own default
/// from <c>llama_context_default_params()</c>. Values are checked where they are set.
/// </summary>
public sealed class LlamaContextOptions
{
    private uint? _contextSize;
    private uint? _batchSize;
    private uint? _microBatchSize;
    private uint _maxSequences = 1;
    private int? _threads;
    private int? _threadsBatch;

    /// <summary>Tokens of context (all sequences together unless <see cref="UnifiedKvCache"/> is false); 0 = the model's.</summary>
    public uint? ContextSize { get => _contextSize; set => _contextSize = value; }

    /// <summary>Logical batch size: most tokens one decode call may submit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero.</exception>
    public uint? BatchSize
    {
        get => _batchSize;
        set
        {
            if (value == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "BatchSize must be at least 1.");
            }

            _batchSize = value;
        }
    }

    /// <summary>Physical batch size.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero.</exception>
    public uint? MicroBatchSize
    {
        get => _microBatchSize;
        set
        {
            if (value == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), "MicroBatchSize must be at least 1.");
            }

            _microBatchSize = value;
        }
    }

    /// <summary>Parallel sequences the context holds (default 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or above 256.</exception>
    public uint MaxSequences
    {
        get => _maxSequences;
        set
        {
            if (value is 0 or > 256)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "MaxSequences must be between 1 and 256.");
            }

            _maxSequences = value;
        }
    }

    /// <summary>CPU threads for generation (null or 0 = llama.cpp's default).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int? Threads
    {
        get => _threads;
        set
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Threads cannot be negative.");
            }

            _threads = value;
        }
    }

    /// <summary>CPU threads for prompt (batch) processing (null = same as <see cref="Threads"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int? ThreadsBatch
    {
        get => _threadsBatch;
        set
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "ThreadsBatch cannot be negative.");
            }

            _threadsBatch = value;
        }
    }

    /// <summary>RoPE base frequency override (null = the model's).</summary>
    public float? RopeFrequencyBase { get; set; }

    /// <summary>RoPE frequency scale override (null = the model's).</summary>
    public float? RopeFrequencyScale { get; set; }

    /// <summary>Flash attention: null = auto, true = on, false = off.</summary>
    public bool? FlashAttention { get; set; }

    /// <summary>
    /// Also extract each output token's last-layer hidden state (<see cref="LlamaContext.GetEmbeddings"/>), with pooling
    /// none; a causal model's logits are computed as before.
    /// </summary>
    public bool Embeddings { get; set; }

    /// <summary>Offload the KV cache and attention to the GPU when layers are offloaded (llama.cpp default true).</summary>
    public bool? OffloadKqv { get; set; }

    /// <summary>Skip performance counters.</summary>
    public bool NoPerformanceCounters { get; set; }

    /// <summary>One KV buffer shared by all sequences (null = llama.cpp's default).</summary>
    public bool? UnifiedKvCache { get; set; }

    /// <summary>Offload host tensor operations to the device (null = llama.cpp's default).</summary>
    public bool? OperationOffload { get; set; }

    /// <summary>Full-size sliding-window cache (null = llama.cpp's default).</summary>
    public bool? FullSlidingWindowCache { get; set; }
}
