using System.Globalization;
using Agent.Llama.Gguf;

namespace Agent.Training.Tuning;

/// <summary>
/// A pretrained llama-family GGUF opened for tuning: its architecture, shape, vocabulary and weights (read as F32,
/// dequantized where stored as F16, BF16, Q8_0 or Q4_K). Everything that would make tuning fail is checked when it is
/// opened, before any work starts.
/// </summary>
internal sealed class BaseModel : IDisposable
{
    private readonly GgufFile _file;

    private BaseModel(GgufFile file, BaseArchitecture architecture, int vocabSize, int embedding, int layers, int heads, int headsKv, int feedForward, int context,
        float epsilon, float ropeBase, bool tied, IReadOnlyList<string> tokens, IReadOnlyList<int> tokenTypes)
    {
        _file = file;
        Architecture = architecture;
        VocabSize = vocabSize;
        EmbeddingSize = embedding;
        LayerCount = layers;
        HeadCount = heads;
        HeadCountKv = headsKv;
        FeedForwardSize = feedForward;
        ContextLength = context;
        RmsNormEpsilon = epsilon;
        RopeFrequencyBase = ropeBase;
        Tied = tied;
        Tokens = tokens;
        TokenTypes = tokenTypes;
    }

    /// <summary>The file.</summary>
    public string Path => _file.Path;

    /// <summary>The GGUF, for copying its metadata.</summary>
    public GgufFile File => _file;

    public BaseArchitecture Architecture { get; }

    public int VocabSize { get; }

    public int EmbeddingSize { get; }

    public int LayerCount { get; }

    public int HeadCount { get; }

    public int HeadCountKv { get; }

    public int FeedForwardSize { get; }

    public int ContextLength { get; }

    public float RmsNormEpsilon { get; }

    public float RopeFrequencyBase { get; }

    /// <summary>Whether the output projection is the token embedding (no <c>output.weight</c>).</summary>
    public bool Tied { get; }

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<int> TokenTypes { get; }

    public int HeadSize => EmbeddingSize / HeadCount;

    public int KvSize => HeadSize * HeadCountKv;

    /// <summary>The chat template (<c>tokenizer.chat_template</c>), or null.</summary>
    public string? ChatTemplate => _file.ChatTemplate;

    /// <summary>The weights tuning reads, with their ggml shapes: every tensor of the llama layout, biases where the architecture has them.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> TensorShapes()
    {
        var list = new List<(string, long[])> { ("token_embd.weight", [EmbeddingSize, VocabSize]), ("output_norm.weight", [EmbeddingSize]) };
        if (!Tied)
        {
            list.Add(("output.weight", [EmbeddingSize, VocabSize]));
        }

        for (var layer = 0; layer < LayerCount; layer++)
        {
            foreach (var (suffix, shape) in LayerTensors())
            {
                list.Add((BlockName(layer, suffix), shape));
            }
        }

        return list;
    }

    /// <summary>A block's tensors (suffix after <c>blk.N.</c>) and ggml shapes.</summary>
    public IEnumerable<(string Suffix, long[] Shape)> LayerTensors()
    {
        yield return ("attn_norm.weight", [EmbeddingSize]);
        yield return ("attn_q.weight", [EmbeddingSize, EmbeddingSize]);
        yield return ("attn_k.weight", [EmbeddingSize, KvSize]);
        yield return ("attn_v.weight", [EmbeddingSize, KvSize]);
        if (Architecture.HasQkvBias)
        {
            yield return ("attn_q.bias", [EmbeddingSize]);
            yield return ("attn_k.bias", [KvSize]);
            yield return ("attn_v.bias", [KvSize]);
        }

        yield return ("attn_output.weight", [EmbeddingSize, EmbeddingSize]);
        yield return ("ffn_norm.weight", [EmbeddingSize]);
        yield return ("ffn_gate.weight", [EmbeddingSize, FeedForwardSize]);
        yield return ("ffn_up.weight", [EmbeddingSize, FeedForwardSize]);
        yield return ("ffn_down.weight", [FeedForwardSize, EmbeddingSize]);
    }

    public static string BlockName(int layer, string suffix) => string.Create(CultureInfo.InvariantCulture, $"blk.{layer}.{suffix}");

    /// <summary>Total weights read (the F32 copy tuning holds).</summary>
    public long ParameterCount => TensorShapes().Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));

    /// <summary>Opens and checks a base model.</summary>
    /// <exception cref="UnsupportedBaseModelException">Not a llama, mistral or qwen2 GGUF; a weight is missing, misshapen or of a type that is not read; the shape is not one the training graph computes.</exception>
    /// <exception cref="Agent.Llama.GgufException">The file is missing or not GGUF.</exception>
    public static BaseModel Open(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            return Read(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A weight as F32.</summary>
    public float[] Read(string name) => _file.ReadTensorAsF32(name);

    public void Dispose() => _file.Dispose();

    private static BaseModel Read(GgufFile file)
    {
        var name = file.Metadata.TryGetValue("general.architecture", out var a) && a is string s ? s : "(none)";
        if (!BaseArchitecture.Supported.TryGetValue(name, out var architecture))
        {
            throw new UnsupportedBaseModelException(
                $"'{file.Path}' is a '{name}' model; agent tune reads the llama-family architectures {string.Join(", ", BaseArchitecture.Supported.Keys)} (Llama 2/3, Mistral, Qwen 2 / 2.5, SmolLM). Pick a GGUF of one of those.");
        }

        uint U(string key, uint? fallback = null) =>
            file.Metadata.TryGetValue($"{name}.{key}", out var v) && v is uint u ? u
            : fallback ?? throw new UnsupportedBaseModelException($"'{file.Path}' has no '{name}.{key}'; it is not a complete {name} GGUF.");
        float F(string key, float fallback) => file.Metadata.TryGetValue($"{name}.{key}", out var v) && v is float f ? f : fallback;

        var tokens = file.Metadata.TryGetValue("tokenizer.ggml.tokens", out var t) && t is string[] list ? list
            : throw new UnsupportedBaseModelException($"'{file.Path}' has no tokenizer (tokenizer.ggml.tokens); tune a GGUF that carries its vocabulary.");
        var types = file.Metadata.TryGetValue("tokenizer.ggml.token_type", out var tt) && tt is int[] ints ? ints : Enumerable.Repeat(1, tokens.Length).ToArray();
        var embedding = (int)U("embedding_length");
        var heads = (int)U("attention.head_count");
        var keyLength = U("attention.key_length", (uint)(embedding / Math.Max(1, heads)));
        if (keyLength * heads != embedding)
        {
            throw new UnsupportedBaseModelException(
                $"'{file.Path}' has heads of {keyLength} over a width of {embedding} ({heads} heads); the training graph needs head_count × key_length = embedding_length (Qwen 3 and Mistral Nemo do not). Pick another base.");
        }

        if (file.Metadata.ContainsKey($"{name}.rope.scaling.type") && file.Metadata[$"{name}.rope.scaling.type"] is string scaling && scaling is not "none")
        {
            throw new UnsupportedBaseModelException($"'{file.Path}' uses RoPE scaling '{scaling}', which the training graph does not compute. Pick a base without it.");
        }

        var tied = !file.Tensors.Any(x => x.Name == "output.weight");
        var model = new BaseModel(file, architecture, tokens.Length, embedding, (int)U("block_count"), heads, (int)U("attention.head_count_kv", (uint)heads),
            (int)U("feed_forward_length"), (int)U("context_length"), F("attention.layer_norm_rms_epsilon", 1e-5f), F("rope.freq_base", 10000f), tied, tokens, types);
        model.CheckTensors();
        return model;
    }

    private void CheckTensors()
    {
        foreach (var (tensor, shape) in TensorShapes())
        {
            var info = _file.Tensors.FirstOrDefault(x => x.Name == tensor)
                ?? throw new UnsupportedBaseModelException($"'{Path}' has no tensor '{tensor}'; it is not a complete {Architecture.Name} model (or one this tuner does not know).");
            if (!info.Shape.SequenceEqual(shape))
            {
                throw new UnsupportedBaseModelException($"Tensor '{tensor}' in '{Path}' is [{string.Join(", ", info.Shape)}]; the model's hyperparameters say [{string.Join(", ", shape)}].");
            }

            if (!GgufTensorCodec.IsSupported(_file.TensorType(tensor)))
            {
                throw new UnsupportedBaseModelException(
                    $"Tensor '{tensor}' in '{Path}' is {info.Type}; tuning reads F32, F16, BF16, Q8_0 and Q4_K weights. Use a GGUF of one of those types (for example the Q8_0 or F16 file of the model).");
            }
        }
    }
}
