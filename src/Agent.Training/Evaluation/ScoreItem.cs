using System.Text.Json.Nodes;
using Agent.Decoding.Transcripts;
using Agent.Monitoring;

namespace Agent.Training.Evaluation;

/// <summary>
/// One line of <c>agent score</c> input: a task, an optional last tool result, and either a tool call (name + JSON
/// arguments) or a final answer.
/// </summary>
/// <param name="Id">The caller's id, echoed in the output.</param>
/// <param name="Task">The task text.</param>
/// <param name="Observation">The last tool result's standard output, or null (no tool result, unless <see cref="ExitCode"/>
/// or <see cref="Stderr"/> is given).</param>
/// <param name="Tool">The tool called, e.g. <c>shell.run</c> (null for an answer).</param>
/// <param name="Arguments">The call's arguments (null for an answer).</param>
/// <param name="Answer">The final answer (null for a tool call).</param>
public sealed record ScoreItem(string Id, string Task, string? Observation, string? Tool, JsonObject? Arguments, string? Answer)
{
    /// <summary>The last tool result's exit code (0 = success, the default).</summary>
    public int ExitCode { get; init; }

    /// <summary>The last tool result's standard error, or null.</summary>
    public string? Stderr { get; init; }

    /// <summary>For an answer, the run's calls before it, each as <c>call tool {json}</c> (the classifier's answer head reads
    /// how risky they were); empty for none.</summary>
    public IReadOnlyList<string> EarlierCalls { get; init; } = [];

    /// <summary>Whether the item has a last tool result at all.</summary>
    public bool HasResult => Observation is not null || Stderr is not null || ExitCode != 0;

    /// <summary>The item as the classifier reads it: a call with its task, or an answer with the last tool result (exit code, stdout, stderr).</summary>
    public ClassifierInput ToClassifierInput() => Tool is { } tool
        ? ClassifierInput.ForCall(Task, new ToolCall(tool, Arguments ?? []).ToString())
        : ClassifierInput.ForAnswer(HasResult ? new ToolResultSummary(ExitCode, Observation ?? string.Empty, Stderr ?? string.Empty) : null, Answer!, Task, EarlierCalls);
}
