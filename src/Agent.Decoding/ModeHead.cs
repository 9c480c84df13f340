using System.Globalization;
using System.Numerics.Tensors;
using System.Security.Cryptography;
using Agent.Llama;
using Agent.Llama.Gguf;

namespace Agent.Decoding;

/// <summary>
/// The model's per-token mode signal: a linear head, or one with a hidden layer, over the last layer's hidden state (the
/// vector llama.cpp returns as a token's embedding with pooling none, the one the output projection reads) that gives
/// p(Mode 2), the probability that the token belongs to a turn where the model acts rather than reads. Trained jointly
/// with the model (<c>TrainingOptions.ModeHeadWeight</c>, <c>TrainingOptions.ModeHeadHidden</c>).
/// </summary>
/// <remarks>
/// <para>Stored beside the model, never inside it: llama.cpp c0c7e147 refuses a GGUF holding a tensor its architecture
/// does not create ("wrong number of tensors"), so <c>agent-default.gguf</c>'s head is <c>agent-default.mode-head.gguf</c>
/// (<see cref="PathFor"/>), a GGUF of its own with architecture <c>agent-mode-head</c> that llama.cpp would refuse to
/// load as a model. A linear head holds <c>mode_head.weight</c> [E, 2] and <c>mode_head.bias</c> [2] (rows: mode1,
/// mode2); a head with a hidden layer of H units also holds <c>mode_head.hidden.weight</c> [E, H] and
/// <c>mode_head.hidden.bias</c> [H], computes <c>silu(hidden.weight · x + hidden.bias)</c> first and has
/// <c>mode_head.weight</c> [H, 2], with <c>agent.mode_head.hidden_length</c> = H (absent or 0: linear, so heads written
/// before the hidden layer existed load as they did). Every head carries the fingerprint of the model it was trained
/// with (<see cref="Fingerprint"/>); a head whose fingerprint does not match its model is refused, so a retrained model
/// never reads a stale head.</para>
/// </remarks>
public sealed class ModeHead
{
    /// <summary>What follows the model's name (without ".gguf") in its head's file name.</summary>
    public const string FileSuffix = ".mode-head.gguf";

    /// <summary>The sidecar's GGUF architecture.</summary>
    public const string Architecture = "agent-mode-head";

    private const string FingerprintKey = "agent.mode_head.model_fingerprint";
    private const string EmbeddingKey = "agent.mode_head.embedding_length";
    private const string HiddenKey = "agent.mode_head.hidden_length";
    private const string WeightTensor = "mode_head.weight";
    private const string BiasTensor = "mode_head.bias";
    private const string HiddenWeightTensor = "mode_head.hidden.weight";
    private const string HiddenBiasTensor = "mode_head.hidden.bias";
    private const int FingerprintWindow = 1 << 20;

    private static readonly string[] s_classes = ["mode1", "mode2"];

    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly float[]? _hiddenWeights;
    private readonly float[]? _hiddenBias;
    private readonly float[] _direction;
    private readonly float _offset;

    private ModeHead(string path, float[] weights, float[] bias, float[]? hiddenWeights = null, float[]? hiddenBias = null)
    {
        Path = path;
        HiddenSize = hiddenBias?.Length ?? 0;
        EmbeddingSize = HiddenSize > 0 ? hiddenWeights!.Length / HiddenSize : weights.Length / 2;
        _weights = weights;
        _bias = bias;
        _hiddenWeights = hiddenWeights;
        _hiddenBias = hiddenBias;

        // softmax over two logits is the logistic of their difference: one dot product per token (after the hidden layer).
        var inputs = weights.Length / 2;
        _direction = new float[inputs];
        TensorPrimitives.Subtract(weights.AsSpan(inputs, inputs), weights.AsSpan(0, inputs), _direction);
        _offset = bias[1] - bias[0];
    }

    /// <summary>The head's file.</summary>
    public string Path { get; }

    /// <summary>Values per hidden state (the model's embedding length).</summary>
    public int EmbeddingSize { get; }

    /// <summary>Units of the head's hidden layer; 0 for a linear head.</summary>
    public int HiddenSize { get; }

    /// <summary>The head file of <paramref name="modelPath"/>: "x.gguf" → "x.mode-head.gguf".</summary>
    public static string PathFor(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var full = System.IO.Path.GetFullPath(modelPath);
        var stem = full.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? full[..^5] : full;
        return stem + FileSuffix;
    }

    /// <summary>
    /// The head beside <paramref name="modelPath"/>, or null when there is none (the model runs without a mode signal).
    /// </summary>
    /// <exception cref="ModeHeadException">The head file exists but is unreadable, malformed, or was trained with another model.</exception>
    public static ModeHead? TryLoad(string modelPath)
    {
        var path = PathFor(modelPath);
        return File.Exists(path) ? Load(path, modelPath) : null;
    }

    /// <summary>Reads the head at <paramref name="headPath"/> and checks it belongs to <paramref name="modelPath"/>.</summary>
    /// <exception cref="ModeHeadException">The file is unreadable, malformed, or was trained with another model.</exception>
    public static ModeHead Load(string headPath, string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(headPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        try
        {
            using var file = GgufFile.Open(headPath);
            if (!file.Metadata.TryGetValue("general.architecture", out var arch) || arch is not string a || a != Architecture)
            {
                throw new ModeHeadException($"'{headPath}' is not a mode head (general.architecture is not '{Architecture}'). Remove it or retrain the model with a mode head.");
            }

            if (!file.Tensors.Any(t => t.Name == WeightTensor) || !file.Tensors.Any(t => t.Name == BiasTensor))
            {
                throw new ModeHeadException($"'{headPath}' lacks '{WeightTensor}' or '{BiasTensor}'. Remove it or retrain the model with a mode head.");
            }

            var weights = file.ReadTensorF32(WeightTensor);
            var bias = file.ReadTensorF32(BiasTensor);
            if (bias.Length != 2 || weights.Length % 2 != 0 || weights.Length == 0)
            {
                throw new ModeHeadException($"'{headPath}' holds a head of {weights.Length} weights and {bias.Length} biases; a mode head has [E, 2] (or [H, 2] after a hidden layer) and [2].");
            }

            var hidden = file.Metadata.TryGetValue(HiddenKey, out var h) && h is uint u ? (int)u : 0;
            float[]? hiddenWeights = null, hiddenBias = null;
            if (hidden > 0)
            {
                if (!file.Tensors.Any(t => t.Name == HiddenWeightTensor) || !file.Tensors.Any(t => t.Name == HiddenBiasTensor))
                {
                    throw new ModeHeadException($"'{headPath}' says its head has a hidden layer of {hidden} units ({HiddenKey}) but lacks '{HiddenWeightTensor}' or '{HiddenBiasTensor}'. Remove it or retrain the model with a mode head.");
                }

                hiddenWeights = file.ReadTensorF32(HiddenWeightTensor);
                hiddenBias = file.ReadTensorF32(HiddenBiasTensor);
                if (hiddenBias.Length != hidden || hiddenWeights.Length % hidden != 0 || hiddenWeights.Length == 0 || weights.Length != 2 * hidden)
                {
                    throw new ModeHeadException(
                        $"'{headPath}' holds a hidden layer of {hiddenWeights.Length} weights and {hiddenBias.Length} biases and an output of {weights.Length} weights; a head with {hidden} hidden units has [E, {hidden}], [{hidden}] and [{hidden}, 2].");
                }
            }

            var expected = Fingerprint(modelPath);
            if (!file.Metadata.TryGetValue(FingerprintKey, out var fp) || fp is not string stored || stored != expected)
            {
                throw new ModeHeadException(
                    $"The mode head '{headPath}' was trained with another model than '{modelPath}' (fingerprint {(fp as string) ?? "missing"}, the model's is {expected}). Delete the head or retrain the model with it.");
            }

            return new ModeHead(System.IO.Path.GetFullPath(headPath), weights, bias, hiddenWeights, hiddenBias);
        }
        catch (GgufException e)
        {
            throw new ModeHeadException($"The mode head '{headPath}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Writes the head of the model at <paramref name="modelPath"/> (already written) to <see cref="PathFor"/>.</summary>
    /// <param name="modelPath">The model the head was trained with.</param>
    /// <param name="weights">[E, 2] in ggml order: E weights of the mode1 logit, then E of the mode2 logit.</param>
    /// <param name="bias">The two biases.</param>
    /// <returns>The head's path.</returns>
    public static string Write(string modelPath, float[] weights, float[] bias) => Write(modelPath, weights, bias, null, null);

    /// <summary>
    /// Writes the head of the model at <paramref name="modelPath"/> (already written) to <see cref="PathFor"/>, with a
    /// hidden layer when <paramref name="hiddenWeights"/> and <paramref name="hiddenBias"/> are given.
    /// </summary>
    /// <param name="modelPath">The model the head was trained with.</param>
    /// <param name="weights">[I, 2] in ggml order: I weights of the mode1 logit, then I of the mode2 logit (I: E, or H after a hidden layer).</param>
    /// <param name="bias">The two biases.</param>
    /// <param name="hiddenWeights">[E, H] in ggml order (H rows of E), or null for a linear head.</param>
    /// <param name="hiddenBias">[H], or null for a linear head.</param>
    /// <returns>The head's path.</returns>
    public static string Write(string modelPath, float[] weights, float[] bias, float[]? hiddenWeights, float[]? hiddenBias)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        if (bias.Length != 2 || weights.Length % 2 != 0 || weights.Length == 0)
        {
            throw new ArgumentException($"A mode head has [E, 2] (or [H, 2]) weights and 2 biases, not {weights.Length} and {bias.Length}.", nameof(weights));
        }

        var hidden = hiddenBias?.Length ?? 0;
        if ((hiddenWeights is null) != (hiddenBias is null)
            || (hidden > 0 && (hiddenWeights!.Length % hidden != 0 || hiddenWeights.Length == 0 || weights.Length != 2 * hidden)))
        {
            throw new ArgumentException(
                $"A mode head with a hidden layer has [E, H] hidden weights, H hidden biases and [H, 2] output weights, not {hiddenWeights?.Length.ToString(CultureInfo.InvariantCulture) ?? "none"}, {hiddenBias?.Length.ToString(CultureInfo.InvariantCulture) ?? "none"} and {weights.Length}.",
                nameof(hiddenWeights));
        }

        var embedding = hidden > 0 ? hiddenWeights!.Length / hidden : weights.Length / 2;
        var path = PathFor(modelPath);
        using var writer = new GgufWriter();
        writer.Set("general.architecture", Architecture)
            .Set("general.name", System.IO.Path.GetFileName(path))
            .Set(EmbeddingKey, (uint)embedding)
            .Set(FingerprintKey, Fingerprint(modelPath))
            .Set("agent.mode_head.classes", s_classes);
        if (hidden > 0)
        {
            writer.Set(HiddenKey, (uint)hidden);
            writer.AddTensor(HiddenWeightTensor, hiddenWeights!, [embedding, hidden]);
            writer.AddTensor(HiddenBiasTensor, hiddenBias!, [hidden]);
        }

        writer.AddTensor(WeightTensor, weights, [weights.Length / 2, 2]);
        writer.AddTensor(BiasTensor, bias, [2]);
        writer.WriteToFile(path);
        return path;
    }

    /// <summary>
    /// What ties a head to its model without reading a large model whole: SHA-256 over the file's length, its first
    /// and its last MiB (the GGUF header with the training metadata, and the last weights written).
    /// </summary>
    public static string Fingerprint(string modelPath)
    {
        using var stream = File.OpenRead(modelPath);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(BitConverter.GetBytes(stream.Length));
        var buffer = new byte[(int)Math.Min(FingerprintWindow, stream.Length)];
        stream.ReadExactly(buffer);
        sha.AppendData(buffer);
        stream.Seek(-buffer.Length, SeekOrigin.End);
        stream.ReadExactly(buffer);
        sha.AppendData(buffer);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>p(Mode 2) for one token's hidden state.</summary>
    /// <exception cref="ArgumentException">The vector is not <see cref="EmbeddingSize"/> long.</exception>
    public float AgentProbability(ReadOnlySpan<float> hiddenState)
    {
        if (hiddenState.Length != EmbeddingSize)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The hidden state has {hiddenState.Length} values; this head reads {EmbeddingSize}."), nameof(hiddenState));
        }

        if (_hiddenWeights is null || _hiddenBias is null)
        {
            return Logistic(TensorPrimitives.Dot(_direction, hiddenState) + _offset);
        }

        Span<float> units = HiddenSize <= 1024 ? stackalloc float[HiddenSize] : new float[HiddenSize];
        for (var j = 0; j < units.Length; j++)
        {
            var a = TensorPrimitives.Dot(_hiddenWeights.AsSpan(j * EmbeddingSize, EmbeddingSize), hiddenState) + _hiddenBias[j];
            units[j] = a * Logistic(a); // silu, as ggml_silu computes it in training
        }

        return Logistic(TensorPrimitives.Dot(_direction, units) + _offset);
    }

    /// <summary>A copy of the output weights [I, 2] (mode1 row, then mode2 row; I is E, or H after a hidden layer).</summary>
    public float[] Weights() => (float[])_weights.Clone();

    /// <summary>A copy of the two biases.</summary>
    public float[] Bias() => (float[])_bias.Clone();

    /// <summary>A copy of the hidden layer's weights [E, H], or null for a linear head.</summary>
    public float[]? HiddenWeights() => (float[]?)_hiddenWeights?.Clone();

    /// <summary>A copy of the hidden layer's biases [H], or null for a linear head.</summary>
    public float[]? HiddenBias() => (float[]?)_hiddenBias?.Clone();

    private static float Logistic(float z) => 1f / (1f + MathF.Exp(-z));
}
