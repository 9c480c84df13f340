using Agent.Decoding.Engine;

namespace Agent.Decoding.Tests.Engine;

public class TokenSamplerTests
{
    [Fact]
    public void Select_GreedyWithPositiveBias_ChoosesTheBiasedTokenAndReportsItsRawLogit()
    {
        using var sampler = new TokenSampler(SamplingOptions.Greedy);
        float[] raw = [0f, 3f, 1f, 2f];

        var (token, logit) = sampler.Select(raw, top: 1, new Dictionary<int, float> { [2] = 5f });

        Assert.Equal(2, token);
        Assert.Equal(1f, logit);
    }

    [Fact]
    public void Select_GreedyWithArgmaxBanned_ChoosesTheNextBest()
    {
        using var sampler = new TokenSampler(SamplingOptions.Greedy);
        float[] raw = [0f, 3f, 1f, 2f];

        var (token, logit) = sampler.Select(raw, top: 1, new Dictionary<int, float> { [1] = float.NegativeInfinity });

        Assert.Equal(3, token);
        Assert.Equal(2f, logit);
    }

    [Fact]
    public void Select_EveryTokenBanned_ThrowsAClearError()
    {
        using var sampler = new TokenSampler(SamplingOptions.Greedy);
        float[] raw = [0f, 3f];
        var edits = new Dictionary<int, float> { [0] = float.NegativeInfinity, [1] = float.NegativeInfinity };

        var e = Assert.Throws<InvalidOperationException>(() => sampler.Select(raw, top: 1, edits));
        Assert.Contains("Every token is banned", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_SeededDraw_NeverDrawsABannedTokenAndRepeatsForTheSameSeed()
    {
        var options = new SamplingOptions { Temperature = 1f, TopK = 0, TopP = 1f, MinP = 0f, Seed = 7 };
        float[] raw = [2f, 2f, 2f, 2f, 2f, 2f];
        var edits = new Dictionary<int, float> { [0] = float.NegativeInfinity, [3] = float.NegativeInfinity };

        var first = Draw(options, raw, edits, 40);
        var second = Draw(options, raw, edits, 40);

        Assert.DoesNotContain(0, first);
        Assert.DoesNotContain(3, first);
        Assert.True(first.Distinct().Count() > 1, "a draw at temperature 1 over equal logits picks more than one token");
        Assert.Equal(first, second);
    }

    private static List<int> Draw(SamplingOptions options, float[] raw, Dictionary<int, float> edits, int count)
    {
        using var sampler = new TokenSampler(options);
        var tokens = new List<int>();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(-1, sampler.Select(raw, top: 0, edits).Token);
            var (token, logit) = sampler.Sample();
            Assert.Equal(2f, logit);
            tokens.Add(token);
        }

        return tokens;
    }
}
