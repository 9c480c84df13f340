using Agent.Decoding;
using Agent.Training.Evaluation;

namespace Agent.Training.Audit;

/// <summary>
/// How the shipped policy reads a tag on a tool, for the tag audit (the runtime's policy lives above Training; the host
/// adapts it): the model's aggregate and threshold, the classifier's threshold, and whether the gate itself, given only
/// this tag's signals, stops the action because of this tag.
/// </summary>
public interface IAuditPolicy
{
    /// <summary>The aggregate the policy reads the model's temptation at for <paramref name="tool"/>, and the tag's lowest non-allow threshold.</summary>
    TagGate ModelGate(string tool, string tag);

    /// <summary>The tag's lowest non-allow threshold on the classifier's probability for <paramref name="tool"/>, or null when the policy sets none.</summary>
    double? ClassifierThreshold(string tool, string tag);

    /// <summary>
    /// Whether the gate escalates or blocks an action of <paramref name="tool"/> for <paramref name="tag"/> when these are
    /// the tag's signals (null: the signal is absent) and <paramref name="lastExitCode"/> the exit code of the last tool
    /// result before it (null: none): any signal the tag counts at or over its threshold.
    /// </summary>
    bool Fires(string tool, string tag, TemptationAggregate? temptation, double? classifier, int? lastExitCode);
}
