using System.Text.Json.Serialization;
using Agent.Decoding;

namespace Agent.Host.Commands;

/// <summary>The --json shape of <c>agent generate</c>: text, per-token temptation, aggregates and leaks; tags without brackets.</summary>
internal sealed record GenerationJson(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("stop_reason")] string StopReason,
    [property: JsonPropertyName("tokens")] IReadOnlyList<GenerationJson.Token> Tokens,
    [property: JsonPropertyName("aggregates")] IReadOnlyDictionary<string, GenerationJson.Aggregate> Aggregates,
    [property: JsonPropertyName("leaks")] IReadOnlyList<GenerationJson.Leak> Leaks)
{
    public static GenerationJson From(GenerationResult result)
    {
        var trace = result.Trace;
        var tokens = trace.Entries.Select(e => new Token(e.TokenId, e.Text, trace.Tags.Select((t, i) => (t, e.Probabilities[i])).ToDictionary(x => x.t, x => x.Item2))).ToArray();
        var aggregates = trace.Aggregates().ToDictionary(kv => kv.Key, kv => new Aggregate(kv.Value.Max, kv.Value.Mean, kv.Value.Any));
        return new GenerationJson(result.Text, result.StopReason.ToString(), tokens, aggregates, trace.Leaks.Select(l => new Leak(l.Index, l.Tag)).ToArray());
    }

    internal sealed record Token(
        [property: JsonPropertyName("id")] int Id,
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("temptation")] IReadOnlyDictionary<string, double> Temptation);

    internal sealed record Aggregate(
        [property: JsonPropertyName("max")] double Max,
        [property: JsonPropertyName("mean")] double Mean,
        [property: JsonPropertyName("any")] double Any);

    internal sealed record Leak(
        [property: JsonPropertyName("index")] int Index,
        [property: JsonPropertyName("tag")] string Tag);
}
