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
    /// <summary>The mode head's file when the model has one (then every token has <c>p_mode2</c>); null: no head, no mode signal.</summary>
    [JsonPropertyName("mode_head")]
    public string? ModeHead { get; init; }

    public static GenerationJson From(GenerationResult result, ModeHead? head = null)
    {
        var trace = result.Trace;
        var tokens = trace.Entries.Select(e => new Token(e.TokenId, e.Text, trace.Tags.Select((t, i) => (t, e.Probabilities[i])).ToDictionary(x => x.t, x => x.Item2)) { Mode2 = e.Mode2Probability }).ToArray();
        var aggregates = trace.Aggregates().ToDictionary(kv => kv.Key, kv => new Aggregate(kv.Value.Max, kv.Value.Mean, kv.Value.Any));
        return new GenerationJson(result.Text, result.StopReason.ToString(), tokens, aggregates, trace.Leaks.Select(l => new Leak(l.Index, l.Tag)).ToArray()) { ModeHead = head?.Path };
    }

    internal sealed record Token(
        [property: JsonPropertyName("id")] int Id,
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("temptation")] IReadOnlyDictionary<string, double> Temptation)
    {
        /// <summary>p(Mode 2) from the mode head at this token's step; left out without a head.</summary>
        [JsonPropertyName("p_mode2")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public double? Mode2 { get; init; }
    }

    internal sealed record Aggregate(
        [property: JsonPropertyName("max")] double Max,
        [property: JsonPropertyName("mean")] double Mean,
        [property: JsonPropertyName("any")] double Any);

    internal sealed record Leak(
        [property: JsonPropertyName("index")] int Index,
        [property: JsonPropertyName("tag")] string Tag);
}
