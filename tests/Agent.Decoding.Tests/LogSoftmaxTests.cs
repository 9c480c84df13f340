namespace Agent.Decoding.Tests;

public class LogSoftmaxTests
{
    [Theory]
    [InlineData(281, 1f)]
    [InlineData(32_000, 8f)]
    [InlineData(256_000, 30f)]
    public void Probability_MatchesDoublePrecisionReference(int vocab, float spread)
    {
        var random = new Random(vocab);
        var logits = new float[vocab];
        for (var i = 0; i < vocab; i++)
        {
            logits[i] = (float)((random.NextDouble() - 0.5) * 2 * spread) + 50f; // offset: a naive exp would overflow float
        }

        logits[7] = 50f + spread * 1.5f;
        var lse = LogSoftmax.LogSumExp(logits, new float[vocab]);

        var max = logits.Max();
        var sum = logits.Sum(l => Math.Exp((double)l - max));
        foreach (var token in new[] { 0, 7, vocab / 2, vocab - 1 })
        {
            var reference = Math.Exp(logits[token] - max) / sum;
            Assert.True(Math.Abs(reference - LogSoftmax.Probability(logits, token, lse)) < 1e-6, $"token {token}");
        }
    }

    [Fact]
    public void LogSumExp_WithMinusInfinity_IgnoresIt()
    {
        float[] logits = [0f, float.NegativeInfinity, 0f];
        var lse = LogSoftmax.LogSumExp(logits, new float[3]);
        Assert.Equal(0.5, LogSoftmax.Probability(logits, 0, lse), 12);
        Assert.Equal(0.0, LogSoftmax.Probability(logits, 1, lse));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(4266)]
    [InlineData(128_000)]
    [InlineData(128_003)]
    [InlineData(262_144)]
    public void LogSumExp_DominantTokenUpTo256k_WithinOneMillionthOfDoubleReferenceForEveryToken(int vocab)
    {
        // One token holds about half the mass and the rest is spread thin over the whole row: the hardest case for the sum,
        // since every term counts and the largest probability is large.
        var random = new Random(vocab);
        var logits = new float[vocab];
        for (var i = 0; i < vocab; i++)
        {
            logits[i] = (float)(random.NextDouble() * 4 - 2) - 7.5f;
        }

        var top = vocab / 3;
        var rest = logits.Where((_, i) => i != top).Sum(l => Math.Exp(l));
        logits[top] = (float)Math.Log(Math.Max(rest, 1e-3));

        var lse = LogSoftmax.LogSumExp(logits, out var argMax);

        var max = logits.Max();
        var sum = logits.Sum(l => Math.Exp((double)l - max));
        var worst = 0.0;
        for (var token = 0; token < vocab; token++)
        {
            var reference = Math.Exp(logits[token] - max) / sum;
            worst = Math.Max(worst, Math.Abs(reference - LogSoftmax.Probability(logits, token, lse)));
        }

        Assert.True(worst < 1e-6, $"worst error {worst}");
        Assert.True(Math.Abs(lse - (max + Math.Log(sum))) < 1e-6, $"lse {lse} vs {max + Math.Log(sum)}");
        Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(logits), argMax);
    }

    [Theory]
    [InlineData(40f)]
    [InlineData(100f)]
    [InlineData(300f)]
    public void LogSumExp_WideSpread_MatchesDoubleReference(float spread)
    {
        // Terms far below the maximum underflow to nothing in both, without overflow at the top.
        var random = new Random(3);
        var logits = Enumerable.Range(0, 100_003).Select(_ => (float)((random.NextDouble() - 0.5) * spread)).ToArray();
        var lse = LogSoftmax.LogSumExp(logits);
        var max = logits.Max();
        var reference = max + Math.Log(logits.Sum(l => Math.Exp((double)l - max)));
        Assert.True(Math.Abs(lse - reference) < 1e-6, $"lse {lse} vs {reference}");
    }

    [Theory]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(100)]
    [InlineData(4099)]
    public void LogSumExp_IndexOfMax_IsTheFirstOccurrenceLikeTensorPrimitives(int vocab)
    {
        var random = new Random(vocab);
        for (var round = 0; round < 50; round++)
        {
            // Few distinct values, so the maximum occurs several times in different lanes.
            var logits = Enumerable.Range(0, vocab).Select(_ => (float)random.Next(0, 4)).ToArray();
            if (round % 5 == 1)
            {
                logits[random.Next(vocab)] = float.NegativeInfinity;
            }

            LogSoftmax.LogSumExp(logits, out var argMax);
            Assert.Equal(System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(logits), argMax);
        }
    }

    [Fact]
    public void LogSumExp_EdgeRows_BehaveLikeTheReference()
    {
        float[] allBanned = [float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity];
        Assert.Equal(double.NegativeInfinity, LogSoftmax.LogSumExp(allBanned, out var first));
        Assert.Equal(0, first);

        var withNaN = Enumerable.Repeat(1f, 100).ToArray();
        withNaN[42] = float.NaN;
        Assert.True(double.IsNaN(LogSoftmax.LogSumExp(withNaN, out var nanIndex)));
        Assert.Equal(42, nanIndex);

        var withInfinity = Enumerable.Repeat(1f, 100).ToArray();
        withInfinity[77] = float.PositiveInfinity;
        Assert.Equal(double.PositiveInfinity, LogSoftmax.LogSumExp(withInfinity, out var infIndex));
        Assert.Equal(77, infIndex);

        Assert.Throws<ArgumentException>(() => LogSoftmax.LogSumExp(ReadOnlySpan<float>.Empty));
    }
}
