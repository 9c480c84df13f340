using Agent.Training.Tokenization;

namespace Agent.Training.Tests.Tokenization;

public sealed class BpeVocabularyTests
{
    private static readonly Lazy<BpeVocabulary> s_vocab = new(() => BpeTrainer.Train(BpeTrainerTests.SampleTexts, new BpeTrainerOptions { MergeCount = 300 }));

    [Theory]
    [InlineData("")]
    [InlineData("hello world")]
    [InlineData("  leading and trailing spaces  \n\n\ttabs\r\n")]
    [InlineData("emoji 🙂👩‍👩‍👧 and ünïcode 日本語 and 'quotes' don't")]
    [InlineData("<notatag> <mode1 > < mode2> <\\deceit> </")]
    [InlineData("<mode1>task run\n<mode2><powerseeking>call shell.run {\"command\":\"sudo -i\"}</powerseeking>\n")]
    public void Encode_ArbitraryText_DecodesBackExactly(string text)
    {
        var ids = s_vocab.Value.Encode(text);

        Assert.Equal(text, s_vocab.Value.Decode(ids));
    }

    [Fact]
    public void Encode_RandomUnicode_RoundTrips()
    {
        var rng = new Random(11);
        for (int n = 0; n < 200; n++)
        {
            var sb = new System.Text.StringBuilder();
            for (int i = 0; i < 40; i++)
            {
                int cp = rng.Next(4) switch
                {
                    0 => rng.Next(0x20, 0x7F),
                    1 => rng.Next(0xA0, 0x800),
                    2 => rng.Next(0x4E00, 0x9FFF),
                    _ => rng.Next(0x1F300, 0x1FAFF),
                };
                sb.Append(char.ConvertFromUtf32(cp));
            }

            var text = sb.ToString();
            Assert.Equal(text, s_vocab.Value.Decode(s_vocab.Value.Encode(text)));
        }
    }

    [Theory]
    [InlineData("mode1")]
    [InlineData("mode2")]
    [InlineData("deceit")]
    [InlineData("powerseeking")]
    public void Encode_TagText_IsOneControlTokenEach(string tag)
    {
        var vocab = s_vocab.Value;

        var ids = vocab.Encode($"x<{tag}>y</{tag}>");

        Assert.Equal(4, ids.Length);
        Assert.Equal(vocab.OpenTagId(tag), ids[1]);
        Assert.Equal(vocab.CloseTagId(tag), ids[3]);
        Assert.Equal(BpeTokenType.Control, vocab.TokenTypes[ids[1]]);
    }

    [Fact]
    public void Encode_EscapedTagText_HasNoControlToken()
    {
        var vocab = s_vocab.Value;

        var ids = vocab.Encode("<\\mode2>answer <\\/deceit>");

        Assert.DoesNotContain(ids, id => vocab.TokenTypes[id] == BpeTokenType.Control);
    }

    [Fact]
    public void Encode_TrainedText_IsShorterThanBytes()
    {
        var text = BpeTrainerTests.SampleTexts[0];

        var ids = s_vocab.Value.Encode(text, addBos: true);

        Assert.Equal(s_vocab.Value.BosId, ids[0]);
        Assert.True(ids.Length < System.Text.Encoding.UTF8.GetByteCount(text) / 2, $"{ids.Length} tokens for {text.Length} chars");
    }

    [Fact]
    public void OpenTagId_UnknownTag_ThrowsWithHint()
    {
        var ex = Assert.Throws<KeyNotFoundException>(() => s_vocab.Value.OpenTagId("sabotage"));

        Assert.Contains("ExtraTags", ex.Message, StringComparison.Ordinal);
    }
}
