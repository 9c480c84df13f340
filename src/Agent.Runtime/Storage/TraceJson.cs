using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agent.Runtime.Storage;

/// <summary>
/// How an <see cref="ActionTrace"/> becomes JSON and back:
/// <c>{"tags":[..],"tokens":[{"text":..,"p_token":..,"p":[..]}],"classifier":{"p":{"tag":p},"truncated":bool}}</c> (a token
/// of a model with a mode head also has <c>"p_mode2":..</c>), with
/// <c>"classifier":null</c> when it did not run. The store's <c>action_log.trace</c> column and every output of the
/// trace hold exactly these bytes; rows written before the classifier existed (no <c>classifier</c>) and <c>{}</c> read
/// as traces without it.
/// </summary>
internal static class TraceJson
{
    public static string Write(ActionTrace trace) => JsonSerializer.Serialize(new
    {
        tags = trace.Tags,
        tokens = trace.Tokens.Select(t => new Token(t.Text, t.TokenProbability, t.Probabilities, t.Mode2)).ToArray(),
        classifier = trace.Classifier is { } c
            ? new { p = new SortedDictionary<string, double>(c.Probabilities.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal), truncated = c.Truncated }
            : null,
    });

    public static ActionTrace Read(string json)
    {
        using var doc = JsonDocument.Parse(string.IsNullOrEmpty(json) ? "{}" : json);
        return Read(doc.RootElement);
    }

    public static ActionTrace Read(JsonElement root)
    {
        var tags = root.TryGetProperty("tags", out var t) ? t.EnumerateArray().Select(x => x.GetString() ?? string.Empty).ToImmutableArray() : [];
        var tokens = root.TryGetProperty("tokens", out var k)
            ? k.EnumerateArray().Select(x => new ActionTraceToken(
                x.GetProperty("text").GetString() ?? string.Empty,
                x.GetProperty("p_token").GetDouble(),
                x.GetProperty("p").EnumerateArray().Select(p => p.GetDouble()).ToImmutableArray())
            {
                Mode2 = x.TryGetProperty("p_mode2", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetDouble() : null,
            }).ToImmutableArray()
            : [];
        ActionTraceClassifier? classifier = null;
        if (root.TryGetProperty("classifier", out var c) && c.ValueKind == JsonValueKind.Object)
        {
            var p = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var tag in c.GetProperty("p").EnumerateObject())
            {
                p[tag.Name] = tag.Value.GetDouble();
            }

            classifier = new ActionTraceClassifier(p, c.TryGetProperty("truncated", out var truncated) && truncated.GetBoolean());
        }

        return new ActionTrace(tags, tokens, classifier);
    }

    /// <summary>One token as stored: <c>p_mode2</c> only when the model has a mode head, so traces without one keep their bytes.</summary>
    private sealed record Token(
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("p_token")] double TokenProbability,
        [property: JsonPropertyName("p")] ImmutableArray<double> Probabilities,
        [property: JsonPropertyName("p_mode2"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Mode2);
}
