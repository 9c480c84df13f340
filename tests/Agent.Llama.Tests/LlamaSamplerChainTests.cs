namespace Agent.Llama.Tests;

public class LlamaSamplerChainTests
{
    [Fact]
    public void Sample_GreedyOnMaskedLogits_PicksArgmaxOfWhatIsLeft()
    {
        var logits = new float[] { 1f, 9f, 3f, 8f };
        logits[1] = float.NegativeInfinity;
        using var chain = LlamaSamplerChain.Greedy();

        Assert.Equal(new LlamaToken(3), chain.Sample(logits));
    }

    [Fact]
    public void Sample_SeededDistribution_IsDeterministicPerSeed()
    {
        var logits = Enumerable.Range(0, 50).Select(i => (float)Math.Sin(i)).ToArray();
        static int[] Draw(uint seed, float[] l)
        {
            using var chain = LlamaSamplerChain.Stochastic(seed, temperature: 1.5f, topK: 50, topP: 1f, minP: 0f);
            return Enumerable.Range(0, 20).Select(_ => chain.Sample(l).Value).ToArray();
        }

        Assert.Equal(Draw(7, logits), Draw(7, logits));
        Assert.NotEqual(Draw(7, logits), Draw(8, logits));
    }

    [Fact]
    public void Sample_LogitBiasMinusInfinity_NeverPicksThatToken()
    {
        var logits = new float[] { 0f, 5f, 0f };
        using var chain = LlamaSamplerChain.Create()
            .AddLogitBias(3, [(new LlamaToken(1), float.NegativeInfinity)])
            .AddDistribution(1);

        for (var i = 0; i < 50; i++)
        {
            Assert.NotEqual(1, chain.Sample(logits).Value);
        }
    }

    [Fact]
    public void Sample_FromContext_MatchesArgmaxOfContextLogits()
    {
        var model = SharedModel.Instance;
        using var context = LlamaContext.Create(model, new LlamaContextOptions { ContextSize = 128, Threads = 1 });
        using var batch = new LlamaBatch(16);
        var tokens = model.Vocab.Tokenize("<mode2>hi");
        for (var i = 0; i < tokens.Length; i++)
        {
            batch.Add(tokens[i], new LlamaPos(i), new LlamaSeqId(0), i == tokens.Length - 1);
        }

        context.Decode(batch);
        var logits = context.GetLogits(tokens.Length - 1).ToArray();
        using var chain = LlamaSamplerChain.Greedy();

        Assert.Equal(Array.IndexOf(logits, logits.Max()), chain.Sample(context, tokens.Length - 1).Value);
    }

    [Fact]
    public void Sample_ChainWithoutSelector_ThrowsInvalidOperation()
    {
        using var chain = LlamaSamplerChain.Create().AddTopK(2);
        Assert.Throws<InvalidOperationException>(() => chain.Sample([1f, 2f, 3f]));
    }
}
