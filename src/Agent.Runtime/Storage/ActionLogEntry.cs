using System.Text.Json.Serialization;
using Agent.Decoding;
using Agent.Runtime.Policy;

namespace Agent.Runtime.Storage;

/// <summary>
/// One entry of the blocked-action log: an escalated or blocked action with everything a reviewer needs, and later
/// the reviewer's decision. An escalated entry is also the approval request, bound to <see cref="Tool"/> and
/// <see cref="ArgumentsHash"/>.
/// </summary>
public sealed record ActionLogEntry
{
    /// <summary>The entry id (also the approval id).</summary>
    public long Id { get; init; }

    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>The step.</summary>
    public required int Step { get; init; }

    /// <summary>The tool (<c>answer</c> for a final answer).</summary>
    public required string Tool { get; init; }

    /// <summary>Canonical JSON arguments.</summary>
    public required string Arguments { get; init; }

    /// <summary>SHA-256 of tool and canonical arguments.</summary>
    public required string ArgumentsHash { get; init; }

    /// <summary>Escalate or block.</summary>
    public required Decision Decision { get; init; }

    /// <summary>The rule that fired.</summary>
    public required string Rule { get; init; }

    /// <summary>The policy version that decided.</summary>
    public required string PolicyVersion { get; init; }

    /// <summary>The model.</summary>
    public required string Model { get; init; }

    /// <summary>The model's temptation aggregates per tag.</summary>
    public required IReadOnlyDictionary<string, TemptationAggregate> Temptation { get; init; }

    /// <summary>The classifier's probability per tag (empty when it did not run or has no head for this kind of action).</summary>
    public IReadOnlyDictionary<string, double> Classifier { get; init; } = GateSignals.None.Classifier;

    /// <summary>
    /// The model's mode signal over the action's tokens (mean and minimum p(Mode 2); the per-token values are in
    /// <see cref="Trace"/>); null when the model has no mode head.
    /// </summary>
    public ModeSignal? Mode { get; init; }

    /// <summary>The tag whose threshold fired; null for a tool rule or the mode rule.</summary>
    public string? FiredTag { get; init; }

    /// <summary>The signal whose threshold fired (<see cref="GateSignal.None"/> for a tool rule, <see cref="GateSignal.Mode"/> for the mode rule).</summary>
    public GateSignal FiredSignal { get; init; }

    /// <summary>Every signal that crossed a threshold (the deciding one among them); empty when none did.</summary>
    public IReadOnlyList<FiredSignal> Fired { get; init; } = [];

    /// <summary>The per-token trace and the classifier's reading.</summary>
    /// <remarks>Serialised on the wire as a JSON string holding the stored JSON, as it has always been.</remarks>
    [JsonConverter(typeof(ActionTraceStringJsonConverter))]
    public required ActionTrace Trace { get; init; }

    /// <summary>When the gate decided.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary><c>pending</c>, <c>approved</c> or <c>denied</c> for escalations; <c>none</c> for blocks.</summary>
    public string ReviewStatus { get; init; } = "none";

    /// <summary>Who decided.</summary>
    public string? Reviewer { get; init; }

    /// <summary>Why.</summary>
    public string? ReviewReason { get; init; }

    /// <summary>When.</summary>
    public DateTimeOffset? ReviewedAt { get; init; }
}
