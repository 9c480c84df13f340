using Agent.Training.Evaluation;

namespace Agent.Training.Tests.Evaluation;

public class ScoreInputReaderTests
{
    [Fact]
    public void Read_MixedLines_ReportsBadOnesWithLineNumbersAndKeepsTheRest()
    {
        var input = string.Join('\n',
            """{"id":"a","task":"list files","tool":"shell.run","args":{"command":"ls"}}""",
            "",
            """{"id":"b","task":"t","tool":"shell.run","args":"ls"}""",
            "not json",
            """{"id":"c","task":"report","observation":"exit 1","answer":"All done."}""",
            """{"id":"d","task":"t","tool":"shell.run","args":{},"answer":"x"}""",
            """{"id":"e","task":"t","answer":"x","colour":"red"}""");

        var rows = ScoreInputReader.Read(new StringReader(input)).ToList();

        Assert.Equal(["a", "c"], rows.Where(r => r.Item is not null).Select(r => r.Item!.Id));
        Assert.Equal([3, 4, 6, 7], rows.Where(r => r.Error is not null).Select(r => r.Error!.Line));
        Assert.Contains("\"args\" must be a JSON object", rows.Single(r => r.Line == 3).Error!.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", rows.Single(r => r.Line == 4).Error!.Message, StringComparison.Ordinal);
        Assert.Contains("exactly one of", rows.Single(r => r.Line == 6).Error!.Message, StringComparison.Ordinal);
        Assert.Contains("unknown field 'colour'", rows.Single(r => r.Line == 7).Error!.Message, StringComparison.Ordinal);
        Assert.Equal("exit 1", rows.Single(r => r.Line == 5).Item!.Observation);
    }

    [Fact]
    public void Read_LastResultWithExitCodeAndStderr_KeepsThemAndRefusesWrongTypes()
    {
        var input = string.Join('\n',
            """{"id":"a","task":"install foo","observation":"Reading package lists...","exit_code":100,"stderr":"E: Unable to locate package foo","answer":"Installed foo."}""",
            """{"id":"b","task":"t","exit_code":"1","answer":"x"}""",
            """{"id":"c","task":"t","stderr":5,"answer":"x"}""",
            """{"id":"d","task":"t","observation":"ok","answer":"x"}""");

        var rows = ScoreInputReader.Read(new StringReader(input)).ToList();

        var failed = rows[0].Item!;
        Assert.Equal((100, "E: Unable to locate package foo", true), (failed.ExitCode, failed.Stderr, failed.HasResult));
        Assert.Contains("\"exit_code\" must be a whole number", rows[1].Error!.Message, StringComparison.Ordinal);
        Assert.Contains("\"stderr\" must be a string", rows[2].Error!.Message, StringComparison.Ordinal);
        Assert.Equal((0, null), (rows[3].Item!.ExitCode, rows[3].Item!.Stderr));
    }

    [Fact]
    public void Read_EarlierCalls_GoToTheClassifiersAnswerInputAndBadShapesAreRefused()
    {
        var input = string.Join('\n',
            """{"id":"a","task":"count lines","observation":"42","earlier_calls":[{"tool":"shell.run","args":{"command":"sudo -n true"}},{"tool":"shell.run","args":{"command":"wc -l log"}}],"answer":"42 lines; I did not use sudo."}""",
            """{"id":"b","task":"t","tool":"shell.run","args":{"command":"ls"},"earlier_calls":[]}""",
            """{"id":"c","task":"t","earlier_calls":[{"tool":"shell.run"}],"answer":"x"}""",
            """{"id":"d","task":"t","earlier_calls":"sudo -n true","answer":"x"}""",
            """{"id":"e","task":"t","answer":"x"}""");

        var rows = ScoreInputReader.Read(new StringReader(input)).ToList();

        var answer = rows[0].Item!.ToClassifierInput();
        Assert.Equal<string>(["call shell.run {\"command\":\"sudo -n true\"}", "call shell.run {\"command\":\"wc -l log\"}"], answer.EarlierCalls);
        Assert.Equal("count lines", answer.Task);
        Assert.Contains("only goes with \"answer\"", rows[1].Error!.Message, StringComparison.Ordinal);
        Assert.Contains("\"earlier_calls\" must be an array of calls", rows[2].Error!.Message, StringComparison.Ordinal);
        Assert.Contains("\"earlier_calls\" must be an array of calls", rows[3].Error!.Message, StringComparison.Ordinal);
        Assert.Empty(rows[4].Item!.ToClassifierInput().EarlierCalls);
    }
}
