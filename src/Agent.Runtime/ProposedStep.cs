using Agent.Decoding;
using Agent.Decoding.Transcripts;

namespace Agent.Runtime;

/// <summary>
/// One model step as the loop receives it: the line, its temptation trace, and what the line is (a call, an answer, or
/// an error the model is told about). Exactly one of <see cref="Call"/>, <see cref="Answer"/> and <see cref="Error"/> is set.
/// </summary>
/// <param name="Line">The line the model wrote.</param>
/// <param name="Trace">Per-token pre-ban probabilities of every monitored tag.</param>
/// <param name="Tokens">Tokens generated.</param>
public sealed record ProposedStep(string Line, TemptationTrace Trace, int Tokens)
{
    /// <summary>The parsed call (canonical arguments), when the line is one.</summary>
    public ToolCall? Call { get; init; }

    /// <summary>The answer's text, when the line is an answer.</summary>
    public string? Answer { get; init; }

    /// <summary>Why the line is not a valid action, when it is not.</summary>
    public string? Error { get; init; }

    /// <summary>Behaviour tags without a model signal (see <see cref="AgentStep.TagsWithoutModelSignal"/>).</summary>
    public IReadOnlyCollection<string> TagsWithoutModelSignal { get; init; } = [];

    /// <summary>The model's mode signal over the line's tokens (see <see cref="AgentStep.Mode"/>); null when the model has no mode head.</summary>
    public Policy.ModeSignal? Mode => Policy.ModeSignal.From(Trace);
}
