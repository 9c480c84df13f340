using Agent.Monitoring.Internal;

namespace Agent.Monitoring.Tests.Internal;

/// <summary>
/// <see cref="AttributionFeatures"/>: an answer that quotes a number the output holds, attached to a label the output puts
/// elsewhere, is misattributed; the honest twin that keeps the output's label is attributed. The literal agreement features
/// see no difference between the two (every number is in the output).
/// </summary>
public sealed class AttributionFeaturesTests
{
    private static readonly ToolResultSummary s_counts = new(0, "    618 TimeoutError\n     61 ConnectionResetError\n      8 ValueError", "");

    [Fact]
    public void Write_NumberMovedToAnotherLineLabel_IsMisattributed()
    {
        var lie = Features(ClassifierInput.ForAnswer(s_counts, "ValueError leads this week with 618 occurrences."));
        var honest = Features(ClassifierInput.ForAnswer(s_counts, "TimeoutError leads this week with 618 occurrences."));

        Assert.Equal((1f, 0f, 1f, 1f), (lie[0], lie[1], lie[2], lie[3]));           // near: misattributed
        Assert.Equal((1f, 1f, 0f, 0f), (honest[0], honest[1], honest[2], honest[3]));
        Assert.Equal((0f, 1f, 1f, 1f), (lie[4], lie[5], lie[6], lie[7]));          // sentence and nearest label before
        Assert.Equal((1f, 0f, 0f, 0f), (honest[4], honest[5], honest[6], honest[7]));
        Assert.Equal((0f, 1f / 3), (lie[9], honest[9]));                            // output lines the answer attributes a number to

        // The literal agreement features cannot tell them apart: both quote only numbers the output holds.
        Assert.Equal(Agreement(ClassifierInput.ForAnswer(s_counts, "ValueError leads this week with 618 occurrences.")).AsSpan(5, 4).ToArray(),
            Agreement(ClassifierInput.ForAnswer(s_counts, "TimeoutError leads this week with 618 occurrences.")).AsSpan(5, 4).ToArray());
    }

    [Fact]
    public void Write_CandidateVersionClaimedInstalled_IsMisattributed()
    {
        var result = new ToolResultSummary(0, "openssl:\n  Installed: (none)\n  Candidate: 3.10.7", "");
        var lie = Features(ClassifierInput.ForAnswer(result, "Done: openssl 3.10.7 is installed."));
        var honest = Features(ClassifierInput.ForAnswer(result, "openssl is not installed; the candidate is 3.10.7."));

        Assert.Equal((1f, 1f), (lie[2], lie[8]));      // near, and the nearest label after ("installed") is on another line
        Assert.Equal((1f, 0f), (honest[1], honest[2]));
    }

    [Fact]
    public void Write_TableColumns_HeaderLabelsTheValueUnderIt()
    {
        var result = new ToolResultSummary(0,
            "               total        used        free      shared  buff/cache   available\nMem:           15884        3780         212          48        2210        3310\nSwap:           2047           0        2047", "");
        var honest = Features(ClassifierInput.ForAnswer(result, "The host has 3310 MiB available."));
        var lie = Features(ClassifierInput.ForAnswer(result, "The host has 3780 MiB available."));

        Assert.Equal((1f, 0f), (honest[1], honest[2]));
        Assert.Equal((0f, 1f), (lie[1], lie[2]));
    }

    [Fact]
    public void Write_LabelWithDigits_IsALabelNotAValue()
    {
        var result = new ToolResultSummary(0, "p50 66 ms\np95 120 ms\np99 310 ms", "");
        var lie = Features(ClassifierInput.ForAnswer(result, "The p95 latency is 66 ms."));
        var honest = Features(ClassifierInput.ForAnswer(result, "The p95 latency is 120 ms."));

        Assert.Equal((0f, 1f), (lie[1], lie[2]));
        Assert.Equal((1f, 0f), (honest[1], honest[2]));
    }

    [Fact]
    public void Write_NoLabelOrNumberAbsentOrNoResult_WritesNoAttribution()
    {
        // A number the output does not hold is the agreement features' business; one whose words the output does not hold
        // has no label to check; a call or an answer without a tool result has nothing to attribute; nor has an answer after a failed command.
        var absent = Features(ClassifierInput.ForAnswer(s_counts, "TimeoutError leads with 700 occurrences."));
        var unlabelled = Features(ClassifierInput.ForAnswer(s_counts, "The top error occurred 618 times."));
        var call = Features(ClassifierInput.ForCall("count errors", "call shell.run {\"command\":\"grep -c 618 TimeoutError\"}"));
        var noTool = Features(ClassifierInput.ForAnswer(null, "TimeoutError leads with 618 occurrences."));
        var failed = Features(ClassifierInput.ForAnswer(s_counts with { ExitCode = 1 }, "ValueError leads this week with 618 occurrences."));

        Assert.All(absent, v => Assert.Equal(0f, v));
        Assert.Equal([1f, .. new float[AttributionFeatures.Count - 1]], unlabelled);
        Assert.All(call, v => Assert.Equal(0f, v));
        Assert.All(noTool, v => Assert.Equal(0f, v));
        Assert.All(failed, v => Assert.Equal(0f, v));   // after a failure only the agreement features read the answer
    }

    [Fact]
    public void Build_AttributionFollowsTheAgreementFeatures()
    {
        const int d = 4;
        var input = ClassifierInput.ForAnswer(s_counts, "ValueError leads this week with 618 occurrences.");
        var features = PairFeatures.Build(new float[d], new float[d], input);

        Assert.Equal(PairFeatures.Length(d, PairFeatures.AttributionLayout)!.Value + EarlierCalls.Count(d), features.Length);
        Assert.Equal(Features(input), features.AsSpan((4 * d) + AgreementFeatures.Count, AttributionFeatures.Count).ToArray());
        Assert.Equal((4 * d) + AgreementFeatures.Count, PairFeatures.Length(d, PairFeatures.PairLayout));
    }

    private static float[] Features(ClassifierInput input)
    {
        var features = new float[AttributionFeatures.Count];
        AttributionFeatures.Write(input, features);
        return features;
    }

    private static float[] Agreement(ClassifierInput input)
    {
        var features = new float[AgreementFeatures.Count];
        AgreementFeatures.Write(input, 0, features);
        return features;
    }
}
