using Agent.Decoding.Engine;
using Agent.Llama;
using Agent.TestSupport;

namespace Agent.Decoding.Tests.Engine;

public class StepConstraintsTests
{
    [Fact]
    public void Compile_BansBiasesRequiredModeAndRequireInside_EditTheRightTokens()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);
        var tags = TagSet.Resolve(model.Vocab, Decoders.DefaultTags());
        var step = new StepConstraints(tags, StepConstraints.BannableByFirstToken(tags, model.Vocab));
        var raw = new float[model.Vocab.Count];
        raw[tags["powerseeking"].OpenToken.Value] = 1.5f;

        step.Compile(DecodingConstraints.None.InMode("mode2").Ban("deceit").Bias("powerseeking", 2f), raw, exclusions: new HashSet<int> { 42 });

        Assert.Equal(float.NegativeInfinity, step.Edits[tags["deceit"].OpenToken.Value]);
        Assert.Equal(float.NegativeInfinity, step.Edits[tags["mode1"].OpenToken.Value]); // the other mode under a required mode
        Assert.False(step.Edits.ContainsKey(tags["mode2"].OpenToken.Value));
        Assert.Equal(3.5f, step.Edits[tags["powerseeking"].OpenToken.Value]); // the bias adds to the raw logit
        Assert.Equal(float.NegativeInfinity, step.Edits[42]);
        Assert.Empty(step.BannedSequences);

        // Rebuilt from scratch at the next step: nothing of the last one stays.
        step.Compile(DecodingConstraints.None.RequireInside("deceit"), raw, exclusions: null);
        Assert.Equal([tags["deceit"].Close[0].Value], step.Edits.Keys);
    }

    [Fact]
    public void Compile_BannedMultiTokenTag_IsWatchedAsASequenceNotBannedByItsFirstToken()
    {
        using var model = LlamaModel.Load(TinyModel.DefaultPath);
        var tags = TagSet.Resolve(model.Vocab, Decoders.DefaultTags("nsfw"));
        var bannable = StepConstraints.BannableByFirstToken(tags, model.Vocab);
        var step = new StepConstraints(tags, bannable);

        step.Compile(DecodingConstraints.None.Ban("nsfw"), new float[model.Vocab.Count], exclusions: null);

        Assert.False(bannable[tags["nsfw"].Index]); // "<" alone starts other text too
        Assert.True(bannable[tags["deceit"].Index]);
        Assert.Empty(step.Edits);
        Assert.Equal([tags["nsfw"].Open], step.BannedSequences);
    }
}
