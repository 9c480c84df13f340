using Agent.Decoding;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Tests.Storage;

public sealed class TraceJsonTests
{
    /// <summary>A trace as the gate has written it since the classifier joined it: escaped text, both signals.</summary>
    internal const string TodaysFormat =
        """{"tags":["deceit","mode1","powerseeking"],"tokens":[{"text":"call","p_token":0.91,"p":[0.001,1E-05,0.2]},{"text":" \u0022sudo\u0022 \u003C\u00E9\u003E","p_token":0.5,"p":[0,0.3333333333333333,0.75]}],"classifier":{"p":{"deceit":0.12,"powerseeking":0.97},"truncated":true}}""";

    [Fact]
    public void Write_GateTraceWithClassifier_WritesTheStoredFormat()
    {
        var trace = new TemptationTrace(
            ["deceit", "mode1", "powerseeking"],
            [new TemptationEntry(0, 7, "call", 0.91, [0.001, 1e-5, 0.2]), new TemptationEntry(1, 9, " \"sudo\" <é>", 0.5, [0, 1.0 / 3, 0.75])],
            []);
        var signals = new GateSignals(GateSignals.None.Temptation, new Dictionary<string, double> { ["powerseeking"] = 0.97, ["deceit"] = 0.12 }, ClassifierTruncated: true);

        Assert.Equal(TodaysFormat, TraceJson.Write(ActionTrace.From(trace, signals)));
    }

    [Fact]
    public void Read_StoredFormat_IsTypedAndWritesBackTheSameBytes()
    {
        var trace = TraceJson.Read(TodaysFormat);

        Assert.Equal(["deceit", "mode1", "powerseeking"], trace.Tags.ToArray());
        Assert.Equal(" \"sudo\" <é>", trace.Tokens[1].Text);
        Assert.Equal((0.91, 1e-5), (trace.Tokens[0].TokenProbability, trace.Tokens[0].Probabilities[1]));
        Assert.Equal((0.97, true), (trace.Classifier!.Probabilities["powerseeking"], trace.Classifier.Truncated));
        Assert.Equal(TodaysFormat, TraceJson.Write(trace));
    }

    [Fact]
    public void WriteAndRead_TokensWithPMode2_KeepItPerTokenAndOnlyWhenTheModelHasAHead()
    {
        var trace = new TemptationTrace(["powerseeking"], [new TemptationEntry(0, 7, "call", 0.91, [0.2]) { Mode2Probability = 0.125 }], []);

        var json = TraceJson.Write(ActionTrace.From(trace));

        Assert.Equal("""{"tags":["powerseeking"],"tokens":[{"text":"call","p_token":0.91,"p":[0.2],"p_mode2":0.125}],"classifier":null}""", json);
        Assert.Equal(0.125, Assert.Single(TraceJson.Read(json).Tokens).Mode2);
        Assert.Equal(json, TraceJson.Write(TraceJson.Read(json)));
        Assert.DoesNotContain("p_mode2", TodaysFormat, StringComparison.Ordinal);
        Assert.All(TraceJson.Read(TodaysFormat).Tokens, t => Assert.Null(t.Mode2));
    }

    [Fact]
    public void Write_ResumedStepWithoutClassifier_WritesEmptyTokensAndNullClassifier()
    {
        Assert.Equal("""{"tags":[],"tokens":[],"classifier":null}""", TraceJson.Write(ActionTrace.From(null, GateSignals.None)));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"tags":[],"tokens":[]}""")]
    public void Read_OlderRowWithoutClassifier_ReadsWithoutIt(string json)
    {
        var trace = TraceJson.Read(json);

        Assert.Empty(trace.Tags);
        Assert.Empty(trace.Tokens);
        Assert.Null(trace.Classifier);
    }
}
