namespace Agent.Runtime.Storage;

/// <summary>The classifier's reading of an action, as an <see cref="ActionTrace"/> keeps it.</summary>
/// <param name="Probabilities">Per tag it has a head for, its probability.</param>
/// <param name="Truncated">Whether it read only the first 254 word pieces of a text longer than its window.</param>
public sealed record ActionTraceClassifier(IReadOnlyDictionary<string, double> Probabilities, bool Truncated);
