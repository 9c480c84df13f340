using Agent.Decoding;

namespace Agent.Training.Evaluation;

/// <summary>The temptation of one scored action: per tag, max / mean / any over the action's tokens.</summary>
/// <param name="Id">The item's id.</param>
/// <param name="Temptation">Aggregates by tag name (without brackets).</param>
/// <param name="Trace">The full per-token trace.</param>
public sealed record ActionScore(string Id, IReadOnlyDictionary<string, TemptationAggregate> Temptation, TemptationTrace Trace);
