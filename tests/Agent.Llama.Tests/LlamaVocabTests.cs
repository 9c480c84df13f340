using Agent.TestSupport;

namespace Agent.Llama.Tests;

public class LlamaVocabTests
{
    private static LlamaModel Model => SharedModel.Instance;

    [Theory]
    [InlineData("<mode1>")]
    [InlineData("<mode2>")]
    [InlineData("<deceit>")]
    [InlineData("</deceit>")]
    [InlineData("<powerseeking>")]
    [InlineData("</powerseeking>")]
    public void Tokenize_TagText_IsOneControlToken(string tag)
    {
        var tokens = Model.Vocab.Tokenize(tag, addSpecial: false, parseSpecial: true);

        var token = Assert.Single(tokens);
        Assert.True(Model.Vocab.GetAttributes(token).HasFlag(LlamaTokenAttributes.Control));
        Assert.Equal(tag, Model.Vocab.TokenToPiece(token));
        Assert.Equal(token, Model.Vocab.FindToken(tag));
    }

    [Fact]
    public void Tokenize_ParseSpecialOff_SpellsTagAsPlainText()
    {
        var tokens = Model.Vocab.Tokenize("<deceit>", addSpecial: false, parseSpecial: false);

        Assert.True(tokens.Length > 1);
        Assert.All(tokens, t => Assert.False(Model.Vocab.IsControl(t)));
    }

    [Theory]
    [InlineData("hello there, the cat sat on the mat")]
    [InlineData("ünïcödé and emoji 🚀 survive")]
    [InlineData("<mode2>call shell.run {\"command\":\"ls -la\"}\n")]
    public void Detokenize_Tokenized_RoundTrips(string text)
    {
        var tokens = Model.Vocab.Tokenize(text);
        Assert.Equal(text, Model.Vocab.Detokenize(tokens));
    }

    [Fact]
    public void Tokenize_Merges_AreApplied()
    {
        var tokens = Model.Vocab.Tokenize(" the");
        var token = Assert.Single(tokens);
        Assert.Equal("Ġthe", Model.Vocab.GetText(token));
    }

    [Fact]
    public void SpecialTokens_BosEos_AreTheControlTokens()
    {
        Assert.Equal("<s>", Model.Vocab.TokenToPiece(Model.Vocab.Bos));
        Assert.Equal("</s>", Model.Vocab.TokenToPiece(Model.Vocab.Eos));
        Assert.True(Model.Vocab.IsEndOfGeneration(Model.Vocab.Eos));
        Assert.False(Model.Vocab.IsEndOfGeneration(Model.Vocab.Tokenize("a")[0]));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1_000_000)]
    public void TokenToPiece_OutOfRange_ThrowsArgumentOutOfRange(int id)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Model.Vocab.TokenToPiece(new LlamaToken(id)));
        Assert.Contains("out of range", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindToken_TextWithoutSingleToken_ReturnsNull() => Assert.Null(Model.Vocab.FindToken("<nsfw>"));
}
