using LLama.Native;

namespace Agent.Llama;

/// <summary>
/// llama.cpp's sampler chain (greedy, seeded distribution, temperature, top-k, top-p, min-p, logit bias).
/// Samples either straight from a context's logits or from a logits row the caller has masked.
/// </summary>
public sealed unsafe class LlamaSamplerChain : IDisposable
{
    private readonly SafeLLamaSamplerChainHandle _chain;
    private LLamaTokenData[] _candidates = [];

    private LlamaSamplerChain(SafeLLamaSamplerChainHandle chain) => _chain = chain;

    /// <summary>Number of samplers in the chain.</summary>
    public int Count => _chain.Count;

    /// <summary>Creates an empty chain.</summary>
    public static LlamaSamplerChain Create(bool noPerformanceCounters = true)
    {
        LlamaRuntime.EnsureInitialized();
        var p = LLamaSamplerChainParams.Default();
        p.NoPerf = noPerformanceCounters;
        return new LlamaSamplerChain(SafeLLamaSamplerChainHandle.Create(p));
    }

    /// <summary>A greedy chain: always the most likely token.</summary>
    public static LlamaSamplerChain Greedy() => Create().AddGreedy();

    /// <summary>A seeded stochastic chain: top-k, top-p, min-p, temperature, then draw.</summary>
    public static LlamaSamplerChain Stochastic(uint seed, float temperature, int topK = 40, float topP = 0.95f, float minP = 0.05f) =>
        Create().AddTopK(topK).AddTopP(topP).AddMinP(minP).AddTemperature(temperature).AddDistribution(seed);

    /// <summary>Appends greedy selection.</summary>
    public LlamaSamplerChain AddGreedy() {
        _chain.AddGreedySampler();
        return this;
    }

    /// <summary>Appends a seeded draw from the distribution.</summary>
    public LlamaSamplerChain AddDistribution(uint seed) {
        _chain.AddDistributionSampler(seed);
        return this;
    }

    /// <summary>Appends temperature scaling.</summary>
    public LlamaSamplerChain AddTemperature(float temperature)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(temperature);
        _chain.AddTemperature(temperature);
        return this;
    }

    /// <summary>Appends top-k filtering.</summary>
    public LlamaSamplerChain AddTopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _chain.AddTopK(k);
        return this;
    }

    /// <summary>Appends nucleus (top-p) filtering.</summary>
    public LlamaSamplerChain AddTopP(float p, int minKeep = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1f);
        _chain.AddTopP(p, Math.Max(1, minKeep));
        return this;
    }

    /// <summary>Appends min-p filtering.</summary>
    public LlamaSamplerChain AddMinP(float p, int minKeep = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1f);
        _chain.AddMinP(p, Math.Max(1, minKeep));
        return this;
    }

    /// <summary>Appends additive logit biases (use float.NegativeInfinity to forbid a token).</summary>
    public LlamaSamplerChain AddLogitBias(int vocabSize, IReadOnlyList<(LlamaToken Token, float Bias)> biases)
    {
        ArgumentNullException.ThrowIfNull(biases);
        var native = new LLamaLogitBias[biases.Count];
        for (var i = 0; i < native.Length; i++)
        {
            native[i] = new LLamaLogitBias { Token = biases[i].Token.Value, Bias = biases[i].Bias };
        }

        _chain.AddLogitBias(vocabSize, native);
        return this;
    }

    /// <summary>Samples from the logits of <paramref name="batchIndex"/> in the context's last decode, and accepts the token.</summary>
    public LlamaToken Sample(LlamaContext context, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(context);
        var index = context.NativeIndex(batchIndex)
            ?? throw new InvalidOperationException($"There are no logits for batch index {batchIndex}: add that token with wantLogits: true and decode first.");
        return new LlamaToken((int)_chain.Sample(context.Handle, index));
    }

    /// <summary>Samples from a logits row the caller prepared (for example with banned tokens at -inf), and accepts the token.</summary>
    /// <exception cref="InvalidOperationException">The chain selected nothing (it has no final greedy or distribution sampler).</exception>
    public LlamaToken Sample(ReadOnlySpan<float> logits)
    {
        if (_candidates.Length != logits.Length)
        {
            _candidates = new LLamaTokenData[logits.Length];
        }

        var candidates = _candidates;
        for (var i = 0; i < logits.Length; i++)
        {
            candidates[i] = new LLamaTokenData(i, logits[i], 0f);
        }

        LLamaToken selected;
        using (LLamaTokenDataArrayNative.Create(new LLamaTokenDataArray(candidates), out var array))
        {
            array.Selected = -1;
            _chain.Apply(ref array);
            if (array.Selected < 0 || array.Selected >= (long)array.Size)
            {
                throw new InvalidOperationException("The sampler chain selected no token: end it with AddGreedy() or AddDistribution(seed).");
            }

            selected = array.Data[(int)array.Selected].ID;
        }

        _chain.Accept(selected);
        return new LlamaToken((int)selected);
    }

    /// <summary>Resets the chain's state (for example a distribution's random state is kept; penalties forget history).</summary>
    public void Reset() => _chain.Reset();

    /// <summary>Frees the chain and its samplers.</summary>
    public void Dispose() => _chain.Dispose();
}
