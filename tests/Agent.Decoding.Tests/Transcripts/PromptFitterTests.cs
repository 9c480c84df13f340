using Agent.Decoding.Transcripts;

namespace Agent.Decoding.Tests.Transcripts;

public class PromptFitterTests
{
    private const string Prompt = "<mode1>task do it\n<mode2>call shell.run {\"command\":\"ls\"}\n<mode1>result shell.run exit=0\n| a\n<mode2>call files.read {\"path\":\"a\"}\n<mode1>result files.read exit=0\n| text\n<mode2>";

    [Fact]
    public void Fit_WithinBudget_ReturnsPromptUnchanged() => Assert.Equal(Prompt, PromptFitter.Fit(Prompt, s => s.Length, Prompt.Length));

    [Fact]
    public void Fit_OverBudget_KeepsTaskAndDropsOldestWholeTurns()
    {
        var fitted = PromptFitter.Fit(Prompt, s => s.Length, 120);

        Assert.StartsWith("<mode1>task do it\n", fitted, StringComparison.Ordinal);
        Assert.EndsWith("<mode1>result files.read exit=0\n| text\n<mode2>", fitted, StringComparison.Ordinal);
        Assert.DoesNotContain("call shell.run", fitted, StringComparison.Ordinal);
        Assert.True(fitted.Length <= 120);
    }

    [Fact]
    public void Fit_TaskAloneTooLong_ThrowsWithBudget()
    {
        var e = Assert.Throws<ArgumentException>(() => PromptFitter.Fit(Prompt, s => s.Length, 10));
        Assert.Contains("budget of 10 tokens", e.Message, StringComparison.Ordinal);
    }
}
