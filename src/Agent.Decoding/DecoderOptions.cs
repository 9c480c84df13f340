namespace Agent.Decoding;

/// <summary>The shape of a <see cref="TagDecoder"/>'s context. Values are checked where they are set.</summary>
public sealed class DecoderOptions
{
    private int _contextSize = 2048;
    private int _maxParallel = 4;
    private int _batchSize = 512;
    private int _threads;
    private int _lookaheadSequences = 8;

    /// <summary>Tokens of context for each parallel sequence.</summary>
    public int ContextSize { get => _contextSize; set => _contextSize = Check(value, 16, 1 << 20, nameof(ContextSize)); }

    /// <summary>Generations decoded together in one batch per step (each on its own sequence).</summary>
    public int MaxParallel { get => _maxParallel; set => _maxParallel = Check(value, 1, 64, nameof(MaxParallel)); }

    /// <summary>Most tokens per decode call.</summary>
    public int BatchSize { get => _batchSize; set => _batchSize = Check(value, 8, 1 << 16, nameof(BatchSize)); }

    /// <summary>CPU threads (0 = all cores).</summary>
    public int Threads { get => _threads; set => _threads = Check(value, 0, 1024, nameof(Threads)); }

    /// <summary>Spare sequences for multi-token tag lookahead.</summary>
    public int LookaheadSequences { get => _lookaheadSequences; set => _lookaheadSequences = Check(value, 1, 64, nameof(LookaheadSequences)); }

    /// <summary>
    /// The model's mode head (<see cref="Decoding.ModeHead.TryLoad"/>), or null (the default): with a head, every trace
    /// entry carries p(Mode 2) (<see cref="TemptationEntry.Mode2Probability"/>), read from llama.cpp's per-token
    /// embeddings, which the context then extracts; without one the decoder runs exactly as before.
    /// </summary>
    public ModeHead? ModeHead { get; set; }

    /// <summary>Time each phase of a step (see <see cref="TagDecoder.TakeProfile"/>); costs two clock reads per phase.</summary>
    public bool CollectProfile { get; set; }

    private static int Check(int value, int min, int max, string name) =>
        value < min || value > max ? throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}.") : value;
}
