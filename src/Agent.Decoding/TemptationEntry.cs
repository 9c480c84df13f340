using System.Collections.Immutable;

namespace Agent.Decoding;

/// <summary>One generated (or scored) token and, for every tag of the trace, the probability of its opening before bans.</summary>
/// <param name="Index">Position in the generation (0 = first generated token).</param>
/// <param name="TokenId">The token chosen (or forced, in score mode).</param>
/// <param name="Text">Its text.</param>
/// <param name="TokenProbability">The probability the model gave this token, before bans and biases.</param>
/// <param name="Probabilities">Per tag, in <see cref="TemptationTrace.Tags"/> order.</param>
public sealed record TemptationEntry(int Index, int TokenId, string Text, double TokenProbability, ImmutableArray<double> Probabilities)
{
    /// <summary>
    /// The model's belief that it is acting: p(Mode 2) from its mode head at the state this token was predicted from,
    /// or null when the model has no head (<see cref="DecoderOptions.ModeHead"/>).
    /// </summary>
    public double? Mode2Probability { get; init; }
}
