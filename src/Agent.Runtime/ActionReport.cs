using System.Text.Json;
using Agent.Decoding;

namespace Agent.Runtime;

/// <summary>One action of a <see cref="RunReport"/>.</summary>
public sealed record ActionReport(int Step, string Tool, JsonElement Arguments, string Decision, string Rule, IReadOnlyDictionary<string, TemptationAggregate> Temptation, ActionResult? Result);
