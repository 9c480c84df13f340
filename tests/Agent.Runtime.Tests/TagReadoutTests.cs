using Agent.Decoding;
using Agent.Llama;
using Agent.Runtime.Policy;
using Agent.TestSupport;

namespace Agent.Runtime.Tests;

/// <summary>What the gate reads per tag, over a tiny model whose &lt;deceit&gt; was added and never trained and which cannot spell &lt;nsfw&gt; as one token.</summary>
public sealed class TagReadoutTests
{
    private static readonly TinyModelSpec Spec = new() { UntrainedTokens = ["<deceit>", "</deceit>"] };

    [Fact]
    public void Describe_ModelOnlyPolicy_UntrainedAndMultiTokenTagsReadNothingAndSaySo()
    {
        var readouts = Describe(Policy(("deceit", TagSignals.Model), ("powerseeking", TagSignals.Model), ("nsfw", TagSignals.Model)), classifierLoaded: false);

        Assert.Equal(TagTokenState.UntrainedToken, readouts["deceit"].Token);
        Assert.Equal("nothing", readouts["deceit"].GateReads);
        Assert.Contains("never trained", readouts["deceit"].Note, StringComparison.Ordinal);
        Assert.Contains("Policy:Tags:deceit:Signals", readouts["deceit"].Note, StringComparison.Ordinal);
        Assert.Equal(TagTokenState.TrainedToken, readouts["powerseeking"].Token);
        Assert.Equal("model", readouts["powerseeking"].GateReads);
        Assert.Null(readouts["powerseeking"].Note);
        Assert.Equal(TagTokenState.MultiToken, readouts["nsfw"].Token);
        Assert.Equal("nothing", readouts["nsfw"].GateReads);
        Assert.Equal("-", readouts["mode2"].GateReads);
    }

    [Fact]
    public void Describe_ClassifierCounted_KeepsReadingTheClassifierForTagsTheModelLacks()
    {
        var readouts = Describe(Policy(("deceit", TagSignals.Both), ("powerseeking", TagSignals.Both), ("nsfw", TagSignals.Classifier)), classifierLoaded: true);

        Assert.Equal("classifier", readouts["deceit"].GateReads);
        Assert.Contains("the gate reads the classifier", readouts["deceit"].Note, StringComparison.Ordinal);
        Assert.Equal("model+classifier", readouts["powerseeking"].GateReads);
        Assert.Equal("classifier", readouts["nsfw"].GateReads);
    }

    [Fact]
    public void Describe_TagWithoutPolicyEntry_IsReportedNotSilentlyUngated()
    {
        var readouts = Describe(Policy(("powerseeking", TagSignals.Model)), classifierLoaded: false);

        Assert.False(readouts["deceit"].PolicyEntry);
        Assert.Equal("nothing", readouts["deceit"].GateReads);
        Assert.Contains("no policy entry", readouts["deceit"].Note, StringComparison.Ordinal);
        Assert.Contains("no policy entry", readouts["nsfw"].Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_TagOnlyInAToolsPolicy_CountsAsAnEntry()
    {
        var policy = Policy(("powerseeking", TagSignals.Model));
        policy.Tools["shell.run"] = new ToolPolicy();
        policy.Tools["shell.run"].Tags["nsfw"] = new TagThresholds { Signals = TagSignals.Classifier };

        var readouts = Describe(policy, classifierLoaded: false);

        Assert.True(readouts["nsfw"].PolicyEntry);
        Assert.Equal("nothing", readouts["nsfw"].GateReads);
        Assert.Contains("classifier is not loaded", readouts["nsfw"].Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_CombinedPolicy_ReadsTheCombinedScoreOnlyWithBothSignalsAndSaysWhyNot()
    {
        var policy = Policy(("deceit", TagSignals.Combined), ("powerseeking", TagSignals.Combined));

        var loaded = Describe(policy, classifierLoaded: true);
        var notLoaded = Describe(policy, classifierLoaded: false);

        Assert.Equal(["model", "classifier", "combined"], loaded["powerseeking"].Counted);
        Assert.Equal("combined", loaded["powerseeking"].GateReads);
        Assert.Null(loaded["powerseeking"].Note);
        // <deceit> was never trained: no model signal, so no combined score, and runs refuse to start.
        Assert.Equal("nothing", loaded["deceit"].GateReads);
        Assert.Contains("never trained", loaded["deceit"].Note, StringComparison.Ordinal);
        Assert.Contains("runs refuse to start", loaded["deceit"].Note, StringComparison.Ordinal);
        Assert.Equal("nothing", notLoaded["powerseeking"].GateReads);
        Assert.Contains("the combined score and the classifier's thresholds cannot fire", notLoaded["powerseeking"].Note, StringComparison.Ordinal);
    }

    [Fact]
    public void TagsWithoutModelSignal_UntrainedAndMultiToken_AreBothWithoutSignal()
    {
        using var model = LlamaModel.Load(TinyModel.Get(Spec));
        var tags = TagSet.Resolve(model.Vocab, Tags());

        Assert.Equal(["deceit", "nsfw"], AgentStepSources.TagsWithoutModelSignal(tags, TagTokens.Inspect(tags, model.Path)).Order(StringComparer.Ordinal));
        Assert.Equal(["nsfw"], AgentStepSources.TagsWithoutModelSignal(tags));
    }

    private static Dictionary<string, TagReadout> Describe(PolicyOptions policy, bool classifierLoaded)
    {
        using var model = LlamaModel.Load(TinyModel.Get(Spec));
        var tags = TagSet.Resolve(model.Vocab, Tags());
        return TagReadout.Describe(tags, TagTokens.Inspect(tags, model.Path), policy, classifierLoaded).ToDictionary(r => r.Tag);
    }

    private static TagOptions Tags() => TestTags.Default("nsfw");

    private static PolicyOptions Policy(params (string Tag, TagSignals Signals)[] entries)
    {
        var policy = new PolicyOptions();
        foreach (var (tag, signals) in entries)
        {
            policy.Tags[tag] = new TagThresholds { Signals = signals, Escalate = 0.3, Block = 0.7 };
        }

        return policy;
    }
}
