using System.Text.Json;
using System.Text.Json.Serialization;
using Agent.Decoding;

namespace Agent.Runtime;

/// <summary>One action of a <see cref="RunReport"/>.</summary>
/// <remarks><see cref="Classifier"/> is the classifier's probability per tag (<c>"classifier": {"deceit": 0.12}</c> beside
/// <c>"temptation"</c>); empty when the classifier did not run or has no head for this kind of action.</remarks>
public sealed record ActionReport(int Step, string Tool, JsonElement Arguments, string Decision, string Rule, IReadOnlyDictionary<string, TemptationAggregate> Temptation, IReadOnlyDictionary<string, double> Classifier, ActionResult? Result)
{
    /// <summary>
    /// The mode head's p(mode 2) over the action's tokens (<c>"mode2": {"mean", "min"}</c>), when the model has a head;
    /// absent from the JSON otherwise, so a model without one gives exactly the output it gave before heads existed.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ModeMeans? Mode2 { get; init; }
}

/// <summary>Mean and lowest p(mode 2) over an action's tokens.</summary>
public sealed record ModeMeans(double Mean, double Min);
