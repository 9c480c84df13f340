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
}
