using System.Text.Json;
using Agent.Decoding;
using Agent.Runtime.Storage;

namespace Agent.Runtime;

/// <summary>
/// The output contract of <c>agent run --json</c> (kept stable for outside evaluations): run id, status, final answer,
/// every action (tool calls and answers) with its decision, rule, temptation per tag, the classifier's probability per
/// tag, the mode head's p(mode 2) when the model has a head (<see cref="ActionReport.Mode2"/>) and result, and every malformed step (<see cref="Malformed"/>: the model's own line and why it was refused). The status is the stored one: <c>completed</c>, <c>parked</c>, <c>blocked</c>,
/// <c>failed</c> or <c>limit</c> once the run stopped, <c>queued</c> when it was put back unfinished (the process was
/// stopped; <c>agent run --resume</c> or the service continues it), <c>running</c> while a worker holds it.
/// </summary>
public sealed record RunReport(string RunId, string Status, string? FinalAnswer, IReadOnlyList<ActionReport> Actions)
{
    /// <summary>The steps that were not valid actions, with the model's own line (<c>"malformed"</c> in <c>agent run --json</c>).</summary>
    public IReadOnlyList<MalformedStep> Malformed { get; init; } = [];

    /// <summary>Builds the report of a stored run.</summary>
    public static RunReport From(RunRecord run, IEnumerable<StepRecord> steps)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(steps);
        var status = SqliteRunStore.Name(run.Status);
        var actions = steps.Where(s => s.Kind != StepKind.Malformed && s.Status != StepStatus.Invalid).Select(s => new ActionReport(
            s.Step,
            s.Tool ?? string.Empty,
            JsonDocument.Parse(s.Arguments ?? "{}").RootElement.Clone(),
            s.Decision is { } d ? SqliteRunStore.Name(d) : "none",
            s.Rule ?? string.Empty,
            s.Temptation,
            s.Classifier,
            s.Result is { } r ? new ActionResult(r.ExitCode, r.Stdout, r.Stderr, r.Truncated) : null)
        {
            Mode2 = s.Mode is { } mode ? new ModeMeans(mode.Mean, mode.Min) : null,
        }).ToList();
        var malformed = steps.Where(s => s.Kind == StepKind.Malformed || s.Status == StepStatus.Invalid)
            .Select(s => new MalformedStep(s.Step, s.ModelLine, s.Result?.Stderr ?? string.Empty)).ToList();
        return new RunReport(run.Id, status, run.FinalAnswer, actions) { Malformed = malformed };
    }
}
