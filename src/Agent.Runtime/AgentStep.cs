using Agent.Decoding;

namespace Agent.Runtime;

/// <summary>One model line with the temptation trace of its tokens.</summary>
/// <param name="Line">The line without its trailing newline.</param>
/// <param name="Trace">Per-token pre-ban probabilities of every monitored tag.</param>
/// <param name="Tokens">Tokens generated.</param>
/// <param name="Complete">False when the line hit the token limit or the context before its newline.</param>
public sealed record AgentStep(string Line, TemptationTrace Trace, int Tokens, bool Complete)
{
    /// <summary>
    /// Behaviour tags the model has no trained single control token for: its temptation toward them is a product of
    /// ordinary tokens' probabilities (around 1e-20 for a model never tag-trained), so the gate treats the model's own
    /// signal for them as absent and reads the classifier instead.
    /// </summary>
    public IReadOnlyCollection<string> TagsWithoutModelSignal { get; init; } = [];

    /// <summary>
    /// The model's mode signal over the line's tokens: p(Mode 2) per token from the model's mode head, carried in the
    /// trace (<see cref="TemptationEntry.Mode2Probability"/>), with its mean and minimum; null when the model has no head.
    /// </summary>
    public Policy.ModeSignal? Mode => Policy.ModeSignal.From(Trace);
}
