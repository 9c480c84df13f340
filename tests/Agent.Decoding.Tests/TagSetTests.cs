using Agent.Llama;
using Agent.TestSupport;

namespace Agent.Decoding.Tests;

public class TagSetTests
{
    [Fact]
    public void Resolve_TrainedTags_AreSingleControlTokens()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);
        var tags = TagSet.Resolve(model.Vocab, Decoders.DefaultTags());

        Assert.Equal(["mode1", "mode2", "deceit", "powerseeking"], tags.Tags.Select(t => t.Name));
        Assert.All(tags.Tags, t => Assert.True(t.IsSingleToken));
        Assert.Equal(TagKind.Mode, tags["<mode2>"].Kind);
    }

    [Fact]
    public void Resolve_TagMissingFromVocabulary_IsMultiToken()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);
        var tags = TagSet.Resolve(model.Vocab, Decoders.DefaultTags("nsfw"));

        var nsfw = tags["nsfw"];
        Assert.False(nsfw.IsSingleToken);
        Assert.Equal("<nsfw>", model.Vocab.Detokenize([.. nsfw.Open]));
    }

    [Fact]
    public void Resolve_TagThatCannotBeSpelled_ThrowsUnknownTag()
    {
        using var model = LlamaModel.Load(TinyModel.Get(new TinyModelSpec { OmittedBytes = [(byte)'z'] }));
        var e = Assert.Throws<UnknownTagException>(() => TagSet.Resolve(model.Vocab, Decoders.DefaultTags("zealous")));
        Assert.Contains("<zealous>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Indexer_UnknownName_ThrowsUnknownTagNamingConfiguredOnes()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);
        var tags = TagSet.Resolve(model.Vocab, Decoders.DefaultTags());
        var e = Assert.Throws<UnknownTagException>(() => tags["angry"]);
        Assert.Contains("deceit", e.Message, StringComparison.Ordinal);
    }
}
