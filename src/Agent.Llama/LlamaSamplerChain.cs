using Agent.Llama.Native;

namespace Agent.Llama;

/// <summary>
/// llama.cpp's sampler chain (greedy, seeded distribution, temperature, top-k, top-p, min-p, logit bias).
/// Samples either straight from a context's logits or from a logits row the caller has masked.
/// </summary>
public sealed unsafe class LlamaSamplerChain : IDisposable
{
    private readonly SafeLlamaSamplerHandle _chain;
    private LlamaTokenData[] _candidates = [];

    private LlamaSamplerChain(SafeLlamaSamplerHandle chain) => _chain = chain;

    /// <summary>Number of samplers in the chain.</summary>
    public int Count => NativeMethods.llama_sampler_chain_n(_chain);

    /// <summary>Creates an empty chain.</summary>
    public static LlamaSamplerChain Create(bool noPerformanceCounters = true)
    {
        LlamaRuntime.EnsureInitialized();
        var p = NativeMethods.llama_sampler_chain_default_params();
        p.no_perf = noPerformanceCounters ? (byte)1 : (byte)0;
        return new LlamaSamplerChain(NativeMethods.llama_sampler_chain_init(p));
    }

    /// <summary>A greedy chain: always the most likely token.</summary>
    public static LlamaSamplerChain Greedy() => Create().AddGreedy();

    /// <summary>A seeded stochastic chain: top-k, top-p, min-p, temperature, then draw.</summary>
    public static LlamaSamplerChain Stochastic(uint seed, float temperature, int topK = 40, float topP = 0.95f, float minP = 0.05f) =>
        Create().AddTopK(topK).AddTopP(topP).AddMinP(minP).AddTemperature(temperature).AddDistribution(seed);

    /// <summary>Appends greedy selection.</summary>
    public LlamaSamplerChain AddGreedy() => Add(NativeMethods.llama_sampler_init_greedy());

    /// <summary>Appends a seeded draw from the distribution.</summary>
    public LlamaSamplerChain AddDistribution(uint seed) => Add(NativeMethods.llama_sampler_init_dist(seed));

    /// <summary>Appends temperature scaling.</summary>
    public LlamaSamplerChain AddTemperature(float temperature)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(temperature);
        return Add(NativeMethods.llama_sampler_init_temp(temperature));
    }

    /// <summary>Appends top-k filtering.</summary>
    public LlamaSamplerChain AddTopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return Add(NativeMethods.llama_sampler_init_top_k(k));
    }

    /// <summary>Appends nucleus (top-p) filtering.</summary>
    public LlamaSamplerChain AddTopP(float p, int minKeep = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1f);
        return Add(NativeMethods.llama_sampler_init_top_p(p, (nuint)Math.Max(1, minKeep)));
    }

    /// <summary>Appends min-p filtering.</summary>
    public LlamaSamplerChain AddMinP(float p, int minKeep = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 1f);
        return Add(NativeMethods.llama_sampler_init_min_p(p, (nuint)Math.Max(1, minKeep)));
    }

    /// <summary>Appends additive logit biases (use float.NegativeInfinity to forbid a token).</summary>
    public LlamaSamplerChain AddLogitBias(int vocabSize, IReadOnlyList<(LlamaToken Token, float Bias)> biases)
    {
        ArgumentNullException.ThrowIfNull(biases);
        var native = new LlamaLogitBias[biases.Count];
        for (var i = 0; i < native.Length; i++)
        {
            native[i] = new LlamaLogitBias { token = biases[i].Token.Value, bias = biases[i].Bias };
        }

        fixed (LlamaLogitBias* b = native)
        {
            return Add(NativeMethods.llama_sampler_init_logit_bias(vocabSize, native.Length, b));
        }
    }

    /// <summary>Samples from the logits of <paramref name="batchIndex"/> in the context's last decode, and accepts the token.</summary>
    public LlamaToken Sample(LlamaContext context, int batchIndex)
    {
        ArgumentNullException.ThrowIfNull(context);
        var index = context.NativeIndex(batchIndex)
            ?? throw new InvalidOperationException($"There are no logits for batch index {batchIndex}: add that token with wantLogits: true and decode first.");
        return new LlamaToken(NativeMethods.llama_sampler_sample(_chain, context.Handle, index));
    }

    /// <summary>Samples from a logits row the caller prepared (for example with banned tokens at -inf), and accepts the token.</summary>
    /// <exception cref="InvalidOperationException">The chain selected nothing (it has no final greedy or distribution sampler).</exception>
    public LlamaToken Sample(ReadOnlySpan<float> logits)
    {
        if (_candidates.Length != logits.Length)
        {
            _candidates = new LlamaTokenData[logits.Length];
        }

        var candidates = _candidates;
        for (var i = 0; i < logits.Length; i++)
        {
            candidates[i] = new LlamaTokenData { id = i, logit = logits[i], p = 0f };
        }

        long selected;
        fixed (LlamaTokenData* data = candidates)
        {
            var array = new LlamaTokenDataArray { data = data, size = (nuint)logits.Length, selected = -1, sorted = 0 };
            NativeMethods.llama_sampler_apply(_chain, &array);
            if (array.selected < 0 || array.selected >= (long)array.size)
            {
                throw new InvalidOperationException("The sampler chain selected no token: end it with AddGreedy() or AddDistribution(seed).");
            }

            selected = array.data[array.selected].id;
        }

        var token = new LlamaToken((int)selected);
        NativeMethods.llama_sampler_accept(_chain, token.Value);
        return token;
    }

    /// <summary>Resets the chain's state (for example a distribution's random state is kept; penalties forget history).</summary>
    public void Reset() => NativeMethods.llama_sampler_reset(_chain);

    private LlamaSamplerChain Add(IntPtr sampler)
    {
        if (sampler == IntPtr.Zero)
        {
            throw new InvalidOperationException("llama.cpp could not create the sampler.");
        }

        NativeMethods.llama_sampler_chain_add(_chain, sampler);
        return this;
    }

    /// <summary>Frees the chain and its samplers.</summary>
    public void Dispose() => _chain.Dispose();
}
