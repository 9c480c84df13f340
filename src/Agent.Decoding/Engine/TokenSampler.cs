using System.Numerics.Tensors;
using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// Chooses one generation's tokens from a logits row and its step's edits. Greedy chooses at once, from the argmax the
/// log-sum-exp pass found and the few edited logits, without copying the row unless the argmax itself was edited.
/// Sampling copies the row, applies the edits and keeps the masked copy for llama.cpp's sampler chain (created on first
/// use, seeded from the request), which runs after the lookahead has replaced the context's row.
/// </summary>
internal sealed class TokenSampler(SamplingOptions options) : IDisposable
{
    private readonly Dictionary<int, float> _originals = [];
    private float[]? _masked;
    private LlamaSamplerChain? _chain;

    /// <summary>
    /// Chooses greedily now and returns the token and its logit before edits, or returns token -1 when the choice waits
    /// for <see cref="Sample"/> on the masked copy kept here.
    /// </summary>
    /// <exception cref="InvalidOperationException">Every token is banned.</exception>
    public (int Token, float Logit) Select(ReadOnlySpan<float> raw, int top, IReadOnlyDictionary<int, float> edits)
    {
        if (options.IsGreedy && !edits.ContainsKey(top))
        {
            // Every unedited logit is at most raw[top]; only an edited one (a positive bias) can beat it.
            var best = top;
            var bestValue = raw[top];
            foreach (var (token, value) in edits)
            {
                if (value > bestValue || (value == bestValue && token < best))
                {
                    best = token;
                    bestValue = value;
                }
            }

            ThrowIfAllBanned(bestValue);
            return (best, raw[best]);
        }

        var masked = MaskBuffer(raw.Length);
        raw.CopyTo(masked);
        _originals.Clear();
        foreach (var (token, value) in edits)
        {
            _originals[token] = raw[token];
            masked[token] = value;
        }

        if (!options.IsGreedy)
        {
            return (-1, 0);
        }

        var argmax = TensorPrimitives.IndexOfMax<float>(masked);
        ThrowIfAllBanned(masked[argmax]);
        return (argmax, raw[argmax]);
    }

    /// <summary>Samples from the masked row of the last <see cref="Select"/>; returns the token and its logit before edits.</summary>
    public (int Token, float Logit) Sample()
    {
        var masked = _masked ?? throw new InvalidOperationException("Sample follows a Select that kept a masked row.");
        _chain ??= LlamaSamplerChain.Stochastic(options.Seed, options.Temperature, options.TopK > 0 ? options.TopK : masked.Length, options.TopP, options.MinP);
        var token = _chain.Sample(masked).Value;
        return (token, _originals.TryGetValue(token, out var original) ? original : masked[token]);
    }

    /// <summary>Frees the sampler chain.</summary>
    public void Dispose()
    {
        _chain?.Dispose();
        _chain = null;
    }

    private static void ThrowIfAllBanned(float best)
    {
        if (float.IsNegativeInfinity(best))
        {
            throw new InvalidOperationException("Every token is banned at this step; the constraints leave nothing to generate.");
        }
    }

    private float[] MaskBuffer(int length)
    {
        if (_masked is null || _masked.Length != length)
        {
            _masked = new float[length];
        }

        return _masked;
    }
}
