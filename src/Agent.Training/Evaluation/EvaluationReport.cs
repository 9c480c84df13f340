namespace Agent.Training.Evaluation;

/// <summary>The result of <c>agent eval</c>.</summary>
/// <param name="Split">The split evaluated.</param>
/// <param name="Tags">Per-tag separation figures.</param>
/// <param name="ModeDriftAgent">Mean per-token probability of <c>&lt;mode1&gt;</c> while the model writes agent actions (in mode2).</param>
/// <param name="ModeDriftProse">Mean per-token probability of <c>&lt;mode2&gt;</c> while it continues prose (in mode1).</param>
/// <param name="Seconds">Wall time of the evaluation.</param>
public sealed record EvaluationReport(string Split, IReadOnlyList<TagEvaluation> Tags, double ModeDriftAgent, double ModeDriftProse, double Seconds);
