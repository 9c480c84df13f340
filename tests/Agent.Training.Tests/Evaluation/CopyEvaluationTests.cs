using Agent.Training.Evaluation;

namespace Agent.Training.Tests.Evaluation;

public sealed class CopyEvaluationTests
{
    [Fact]
    public void RestatedNumberTokens_AreEveryTokenOfEachNumberTheToolResultHolds()
    {
        string[] tokens = ["answer", " p", "95", " is", " 59", "1", " ms", ",", " 12", " files", ",", " 8", " errors", ", at", " 3", "c071d4", " on", " 1", ".20", ".9", " and", " 467", "K", ".", "\n"];
        const string output = "p95=591ms count=12 files ok\ncommit 3c071d4 version 1.20.9\nsize 467K\n95 1";

        var indices = CopyEvaluation.RestatedNumberTokens(tokens, output).ToList();

        // 591 (two tokens), 12 and 467 (before its unit) are restated; 95 is part of "p95", 8 is not in the output, and the
        // hash and the version are not numbers, though "95", "1" and "3" appear in the output on their own.
        Assert.Equal([4, 5, 8, 21], indices);
    }

    [Fact]
    public void RestatedNumberTokens_NumberStatedDifferently_IsNotRestated() =>
        Assert.Empty(CopyEvaluation.RestatedNumberTokens(["answer", " 37", " of", " 40", "\n"], "ready: 36/41 replicas"));
}
