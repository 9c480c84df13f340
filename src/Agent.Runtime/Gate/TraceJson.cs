using System.Text.Json;
using Agent.Decoding;
using Agent.Runtime.Policy;

namespace Agent.Runtime.Gate;

/// <summary>The stored JSON of an escalated or blocked action's evidence: its per-token trace and the classifier's reading.</summary>
public static class TraceJson
{
    /// <summary>
    /// <c>{"tags":[..],"tokens":[{"text":..,"p_token":..,"p":[..]}],"classifier":{"p":{"tag":p},"truncated":bool}}</c>;
    /// <c>tokens</c> is empty when the step was resumed from the journal, <c>classifier</c> absent when it did not run.
    /// <c>truncated</c> says the classifier read only the first 254 word pieces of a text longer than its window.
    /// </summary>
    public static string Trace(TemptationTrace? trace, GateSignals? signals = null)
    {
        var classifier = signals is { Classifier.Count: > 0 } s
            ? new { p = new SortedDictionary<string, double>(s.Classifier.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal), truncated = s.ClassifierTruncated }
            : null;
        return JsonSerializer.Serialize(new
        {
            tags = trace?.Tags ?? [],
            tokens = trace?.Entries.Select(e => new { text = e.Text, p_token = e.TokenProbability, p = e.Probabilities }).ToArray() ?? [],
            classifier,
        });
    }
}
