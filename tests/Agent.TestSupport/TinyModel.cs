using System.Globalization;
using Agent.Llama.Gguf;

namespace Agent.TestSupport;

/// <summary>
/// Builds small llama-architecture models with random weights and a byte-level BPE vocabulary whose tags
/// (<c>&lt;mode1&gt;</c>, <c>&lt;deceit&gt;</c>, ...) are single control tokens, writes them as GGUF, and caches the file per process.
/// </summary>
public static class TinyModel
{
    /// <summary>The control tokens every tiny model has, in id order after the byte tokens and merges.</summary>
    public static IReadOnlyList<string> ControlTokens { get; } =
        ["<s>", "</s>", "<mode1>", "</mode1>", "<mode2>", "</mode2>", "<deceit>", "</deceit>", "<powerseeking>", "</powerseeking>"];

    private static readonly string[] MergePairs = ["Ġ t", "h e", "Ġt he", "i n", "a n", "e r", "o n", "Ġ a", "r e", "a t", "Ġ s", "e n", "o r", "l l", "Ġ c"];

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, string> Cache = new(StringComparer.Ordinal);

    /// <summary>The default tiny model: width 64, 2 layers, 4 heads, 2 KV heads, context 512.</summary>
    public static string DefaultPath => Get(new TinyModelSpec());

    /// <summary>Writes (once per process) the model a spec describes and returns its path.</summary>
    public static string Get(TinyModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        lock (Gate)
        {
            var key = spec.ToString();
            if (Cache.TryGetValue(key, out var path) && File.Exists(path))
            {
                return path;
            }

            var dir = Path.Combine(Path.GetTempPath(), "agent-tests", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(dir);
            path = Path.Combine(dir, $"tiny-{Math.Abs(key.GetHashCode(StringComparison.Ordinal)):x}.gguf");
            Write(path, spec);
            Cache[key] = path;
            return path;
        }
    }

    /// <summary>The vocabulary of a spec.</summary>
    public static GgufVocabulary Vocabulary(TinyModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var tokens = new List<string>();
        var types = new List<int>();
        for (var b = 0; b < 256; b++)
        {
            if (spec.OmittedBytes.Contains((byte)b))
            {
                continue;
            }

            tokens.Add(Gpt2ByteEncoding.Encode((byte)b).ToString());
            types.Add(GgufVocabulary.Normal);
        }

        foreach (var merge in MergePairs)
        {
            tokens.Add(merge.Replace(" ", string.Empty, StringComparison.Ordinal));
            types.Add(GgufVocabulary.Normal);
        }

        var bos = tokens.Count;
        foreach (var control in spec.WithoutTagTokens ? ControlTokens.Take(2) : ControlTokens)
        {
            tokens.Add(control);
            types.Add(GgufVocabulary.Control);
        }

        foreach (var extra in spec.ExtraControlTokens)
        {
            tokens.Add(extra);
            types.Add(GgufVocabulary.Control);
        }

        foreach (var extra in spec.ExtraTokens)
        {
            tokens.Add(Gpt2ByteEncoding.EncodeText(extra));
            types.Add(GgufVocabulary.Normal);
        }

        // Pad to the requested size with distinct normal tokens (for large-vocabulary benchmarks).
        for (var i = 0; tokens.Count < spec.VocabSize; i++)
        {
            tokens.Add(Gpt2ByteEncoding.EncodeText(string.Create(CultureInfo.InvariantCulture, $" pad{i}")));
            types.Add(GgufVocabulary.Normal);
        }

        return new GgufVocabulary(tokens, types, MergePairs, bos, bos + 1);
    }

    /// <summary>Writes a model with seeded random weights (norm weights 1, others N(0, 0.02) scaled by spec).</summary>
    public static void Write(string path, TinyModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var vocabulary = Vocabulary(spec);
        var shape = new LlamaHyperparameters(vocabulary.Tokens.Count, spec.EmbeddingSize, spec.LayerCount, spec.HeadCount, spec.HeadCountKv, spec.FeedForwardSize, spec.ContextLength);
        var random = new Random(spec.Seed);
        var favoured = spec.FavouredToken is null ? -1 : IndexOf(vocabulary, spec.FavouredToken);
        LlamaModelWriter.Write(path, shape, vocabulary, (name, dims) =>
        {
            var count = (int)dims.Aggregate(1L, (a, b) => a * b);
            var values = new float[count];
            if (name.Contains("norm", StringComparison.Ordinal))
            {
                Array.Fill(values, 1f);
                return values;
            }

            var scale = name.StartsWith("output", StringComparison.Ordinal) || name.StartsWith("token_embd", StringComparison.Ordinal) ? spec.OutputScale : 0.02f;
            for (var i = 0; i < count; i++)
            {
                // Box-Muller from the seeded generator: the same spec gives the same weights.
                var u1 = 1.0 - random.NextDouble();
                var u2 = random.NextDouble();
                values[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)) * scale;
            }

            if (spec.FavouredChain.Count > 0 && (name == "token_embd.weight" || name == "output.weight"))
            {
                // Link i uses its own dimension 1 + i: the "from" token's embedding is large there, the "to" token's output row reads it.
                for (var i = 0; i < spec.FavouredChain.Count; i++)
                {
                    var (from, to) = spec.FavouredChain[i];
                    var row = name == "token_embd.weight" ? IndexOf(vocabulary, from) : IndexOf(vocabulary, to);
                    values[(row * dims[0]) + 1 + i] = name == "token_embd.weight" ? 10f : 6f;
                }
            }

            if (favoured >= 0 && name == "token_embd.weight")
            {
                // Every embedding shares a large first component, so after RMSNorm the hidden state always points that way ...
                for (var v = 0; v < dims[1]; v++)
                {
                    values[v * dims[0]] = 10f;
                }
            }
            else if (favoured >= 0 && name == "output.weight")
            {
                // ... and the favoured token's output row reads it: its logit dominates after any context.
                values[favoured * dims[0]] = 5f;
            }

            if (name is "token_embd.weight" or "output.weight")
            {
                foreach (var untrained in spec.UntrainedTokens)
                {
                    Array.Clear(values, IndexOf(vocabulary, untrained) * (int)dims[0], (int)dims[0]);
                }
            }

            return values;
        }, name: "tiny-test-model", extraMetadata: spec.ChatTemplate is null ? null : new Dictionary<string, string> { ["tokenizer.chat_template"] = spec.ChatTemplate });
    }

    private static int IndexOf(GgufVocabulary vocabulary, string text)
    {
        for (var i = 0; i < vocabulary.Tokens.Count; i++)
        {
            if (vocabulary.Tokens[i] == text || vocabulary.Tokens[i] == Gpt2ByteEncoding.EncodeText(text))
            {
                return i;
            }
        }

        throw new ArgumentException($"'{text}' is not a token of the tiny vocabulary.", nameof(text));
    }
}
