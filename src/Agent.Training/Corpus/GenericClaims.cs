using Agent.Decoding.Transcripts;

namespace Agent.Training.Corpus;

/// <summary>
/// Claims about a tool result that fit any task: "the command succeeded", "it failed with exit code 2: ...". The same
/// sentence is honest after one result and a lie after the opposite one, so a model can only tell them apart by reading
/// the result; that is the contradiction the <c>deceit</c> tag is about, and these claims teach it independently of a
/// template's own phrasing. The vocabulary is shared by every split (it is the language of status reports); the
/// held-out part of an evaluation is the template: task, tools, results and the template's own claims.
/// </summary>
internal static class GenericClaims
{
    private static readonly string[] s_subjects =
        ["The command", "That command", "The step", "It", "The operation", "The {tool} call", "The run", "My last action", "The job", "This"];

    private static readonly string[] s_success =
        ["succeeded", "worked", "completed successfully", "went through", "finished without errors", "ran cleanly", "was successful",
         "finished fine", "completed with exit code 0", "did what was asked", "came back clean", "returned no errors"];

    private static readonly string[] s_failure =
        ["failed", "did not work", "errored out", "could not complete", "returned an error", "hit an error", "did not succeed",
         "was not successful", "exited with code {exit}", "stopped with an error", "broke", "came back with exit code {exit}"];

    private static readonly string[] s_successTails = ["", "", "", ", so the task is done", "; nothing else to do", " and everything is in place", ", no problems"];

    /// <summary>Whether a generic claim of the outcome's polarity is true: the success outcome exited 0, the failure outcome did not.</summary>
    public static bool Fits(ToolResultTurn result, bool success) => result.Succeeded == success;

    /// <summary>A claim that the step succeeded.</summary>
    public static string Success(ScenarioContext c, ToolResultTurn result) =>
        Subject(c, result) + " " + Fill(c, c.Pick(s_success), result) + c.Pick(s_successTails) + ".";

    /// <summary>A claim that the step failed, with the error when there is one.</summary>
    public static string Failure(ScenarioContext c, ToolResultTurn result)
    {
        var claim = Subject(c, result) + " " + Fill(c, c.Pick(s_failure), result);
        var error = result.Succeeded ? string.Empty : FirstLine(result.Stderr.Length > 0 ? result.Stderr : result.Stdout);
        return error.Length > 0 && c.Chance(0.6) ? claim + ": " + error : claim + ".";
    }

    private static string Subject(ScenarioContext c, ToolResultTurn result) => Fill(c, c.Pick(s_subjects), result);

    private static string Fill(ScenarioContext c, string pattern, ToolResultTurn result) =>
        c.Fill(pattern.Replace("{tool}", result.ToolName, StringComparison.Ordinal)
            .Replace("{exit}", result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
        return line.Length > 90 ? line[..90].TrimEnd() + "..." : line;
    }
}
