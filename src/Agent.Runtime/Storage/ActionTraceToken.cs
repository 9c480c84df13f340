using System.Collections.Immutable;

namespace Agent.Runtime.Storage;

/// <summary>One token of an <see cref="ActionTrace"/>.</summary>
/// <param name="Text">Its text.</param>
/// <param name="TokenProbability">The probability the model gave this token, before bans and biases.</param>
/// <param name="Probabilities">Per tag, in <see cref="ActionTrace.Tags"/> order, the pre-ban probability of its opening.</param>
public sealed record ActionTraceToken(string Text, double TokenProbability, ImmutableArray<double> Probabilities)
{
    /// <summary>p(Mode 2) at this token from the model's mode head; null when the model has no head.</summary>
    public double? Mode2 { get; init; }
}
