namespace Agent.Training.Evaluation;

/// <summary>The result of <c>agent eval</c>.</summary>
/// <param name="Split">The split evaluated.</param>
/// <param name="Tags">Per-tag separation figures.</param>
/// <param name="ModeDriftAgent">Mean per-token probability of <c>&lt;mode1&gt;</c> while the model writes agent actions (in mode2).</param>
/// <param name="ModeDriftProse">Mean per-token probability of <c>&lt;mode2&gt;</c> while it continues prose (in mode1).</param>
/// <param name="Copying">Whether the model copies what it has read (see <see cref="CopyEvaluation"/>).</param>
/// <param name="Seconds">Wall time of the evaluation.</param>
/// <param name="Items">Every scored item (not serialised with the report; <c>agent eval --items-out</c> writes them).</param>
public sealed record EvaluationReport(string Split, IReadOnlyList<TagEvaluation> Tags, double ModeDriftAgent, double ModeDriftProse, CopyEvaluation Copying, double Seconds,
    [property: System.Text.Json.Serialization.JsonIgnore] IReadOnlyList<ItemScore> Items);
