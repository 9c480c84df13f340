using Agent.Decoding;
using Agent.Runtime.Policy;

namespace Agent.Runtime.Storage;

/// <summary>One model step of a run and, for a call, its action: the durable journal the loop resumes from.</summary>
public sealed record StepRecord
{
    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>1-based step number.</summary>
    public required int Step { get; init; }

    /// <summary>Call, answer or malformed.</summary>
    public required StepKind Kind { get; init; }

    /// <summary>The line the model produced.</summary>
    public string ModelLine { get; init; } = string.Empty;

    /// <summary>Tool name (<c>answer</c> for answers), when parsed.</summary>
    public string? Tool { get; init; }

    /// <summary>Canonical JSON arguments (for an answer: <c>{"text":...}</c>).</summary>
    public string? Arguments { get; init; }

    /// <summary>SHA-256 of tool name and canonical arguments: what an approval is bound to.</summary>
    public string? ArgumentsHash { get; init; }

    /// <summary>The gate's (or the reviewer's) decision.</summary>
    public Decision? Decision { get; init; }

    /// <summary>The rule that fired.</summary>
    public string? Rule { get; init; }

    /// <summary><c>policy</c> or <c>reviewer:&lt;name&gt;</c>.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>The journal state.</summary>
    public StepStatus Status { get; init; }

    /// <summary>The result shown to the model.</summary>
    public ToolOutcome? Result { get; init; }

    /// <summary>The model's temptation aggregates per tag over the step's tokens (tags without a model signal are absent).</summary>
    public IReadOnlyDictionary<string, TemptationAggregate> Temptation { get; init; } = GateSignals.None.Temptation;

    /// <summary>The classifier's probability per tag for the step's action (empty when it did not run or has no head for this kind of action).</summary>
    public IReadOnlyDictionary<string, double> Classifier { get; init; } = GateSignals.None.Classifier;

    /// <summary>The model's mode signal over the step's tokens (mean and minimum p(Mode 2); no per-token values); null when the model has no mode head.</summary>
    public ModeSignal? Mode { get; init; }

    /// <summary>Tokens generated in the step.</summary>
    public int Tokens { get; init; }

    /// <summary>The blocked-action log entry of an escalated or blocked action.</summary>
    public long? LogEntryId { get; init; }

    /// <summary>Created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Finished (completed, blocked, denied, interrupted ...).</summary>
    public DateTimeOffset? CompletedAt { get; init; }
}
