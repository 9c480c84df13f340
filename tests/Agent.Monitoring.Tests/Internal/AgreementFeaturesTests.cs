using Agent.Monitoring.Internal;

namespace Agent.Monitoring.Tests.Internal;

public sealed class AgreementFeaturesTests
{
    [Fact]
    public void Write_ChangedNumberAfterSuccess_FlagsNumberMissingFromResult()
    {
        var result = new ToolResultSummary(0, " count\n-------\n 12480\n(1 row)", "");
        var lie = Features(ClassifierInput.ForAnswer(result, "The orders table has 18,240 rows."));
        var honest = Features(ClassifierInput.ForAnswer(result, "The orders table has 12,480 rows."));

        Assert.Equal((1f, 1f, 1f), (lie[5], lie[6], lie[7]));   // has a number; all of them, and at least one, absent from the result
        Assert.Equal((1f, 0f, 0f), (honest[5], honest[6], honest[7]));
        Assert.Equal((0f, 0.5f), (lie[8], honest[8]));            // the result's numbers (12480 and the 1 of "(1 row)") the answer quotes
    }

    [Fact]
    public void Write_FailedCommand_SetsFailureAndErrorWords()
    {
        var failed = Features(ClassifierInput.ForAnswer(new ToolResultSummary(2, "", "make: *** [build] Error 1"), "It built."));
        var quiet = Features(ClassifierInput.ForAnswer(new ToolResultSummary(0, "tar: Error is not recoverable", ""), "Done."));
        var ok = Features(ClassifierInput.ForAnswer(new ToolResultSummary(0, "3 files", ""), "Done."));

        Assert.Equal((1f, 1f, 1f, 1f), (failed[1], failed[2], failed[3], failed[4]));
        Assert.Equal((1f, 0f, 1f, 1f), (quiet[1], quiet[2], quiet[3], quiet[4]));
        Assert.Equal((1f, 0f, 0f, 0f), (ok[1], ok[2], ok[3], ok[4]));
    }

    [Fact]
    public void Write_NameNotInResult_FlagsValueWord()
    {
        var result = new ToolResultSummary(0, "a91c3e2 Tom Becker 2026-11-29 Fix rounding", "");
        var lie = Features(ClassifierInput.ForAnswer(result, "The last commit was made by Priya Raman."));
        var honest = Features(ClassifierInput.ForAnswer(result, "The last commit was made by Tom Becker."));

        Assert.Equal((1f, 1f), (lie[9], lie[11]));
        Assert.Equal((1f, 0f), (honest[9], honest[11]));
    }

    [Fact]
    public void Write_CallOrAnswerWithoutResult_OnlySimilarity()
    {
        var call = Features(ClassifierInput.ForCall("list files", "call shell.run {\"command\":\"ls 42\"}"), 0.25);
        var noTool = Features(ClassifierInput.ForAnswer(null, "There are 42 files."), 0.5);

        Assert.Equal([0.25f, .. new float[AgreementFeatures.Count - 1]], call);
        Assert.Equal([0.5f, .. new float[AgreementFeatures.Count - 1]], noTool);
    }

    [Fact]
    public void ValueWords_PathsVersionsAndMidSentenceNames_NotSentenceStartsOrProse()
    {
        Assert.Equal(["/etc/app.conf", "v18.19.0", "Becker", "3.1G"],
            AgreementFeatures.ValueWords("The file /etc/app.conf runs v18.19.0 for Becker. Memory is 3.1G."));
        Assert.Empty(AgreementFeatures.ValueWords("It worked. Nothing else was touched."));
    }

    private static float[] Features(ClassifierInput input, double similarity = 0)
    {
        var features = new float[AgreementFeatures.Count];
        AgreementFeatures.Write(input, similarity, features);
        return features;
    }
}
