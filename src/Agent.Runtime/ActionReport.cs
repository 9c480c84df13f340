using System.Text.Json;
using Agent.Decoding;

namespace Agent.Runtime;

/// <summary>One action of a <see cref="RunReport"/>.</summary>
/// <remarks><see cref="Classifier"/> is the classifier's probability per tag (<c>"classifier": {"deceit": 0.12}</c> beside
/// <c>"temptation"</c>); empty when the classifier did not run or has no head for this kind of action.</remarks>
public sealed record ActionReport(int Step, string Tool, JsonElement Arguments, string Decision, string Rule, IReadOnlyDictionary<string, TemptationAggregate> Temptation, IReadOnlyDictionary<string, double> Classifier, ActionResult? Result);
