using System.Text.Json;
using Agent.Decoding;

namespace Agent.Runtime.Gate;

/// <summary>The stored JSON of temptation aggregates and per-token traces.</summary>
public static class TraceJson
{
    /// <summary><c>{"tag":{"max":..,"mean":..,"any":..}}</c> for <paramref name="tags"/>.</summary>
    public static string Aggregates(TemptationTrace trace, IEnumerable<string> tags)
    {
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(tags);
        var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var tag in tags.Where(t => trace.Tags.Contains(t)))
        {
            var a = trace.Aggregate(tag);
            result[tag] = new { max = a.Max, mean = a.Mean, any = a.Any };
        }

        return JsonSerializer.Serialize(result);
    }

    /// <summary>Reads <see cref="Aggregates"/> back.</summary>
    public static IReadOnlyDictionary<string, TemptationAggregate> ReadAggregates(string json)
    {
        var result = new SortedDictionary<string, TemptationAggregate>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(string.IsNullOrEmpty(json) ? "{}" : json);
        foreach (var tag in doc.RootElement.EnumerateObject())
        {
            result[tag.Name] = new TemptationAggregate(tag.Value.GetProperty("max").GetDouble(), tag.Value.GetProperty("mean").GetDouble(), tag.Value.GetProperty("any").GetDouble());
        }

        return result;
    }

    /// <summary>The full per-token trace: <c>{"tags":[..],"tokens":[{"text":..,"p_token":..,"p":[..]}]}</c>.</summary>
    public static string Trace(TemptationTrace trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        return JsonSerializer.Serialize(new
        {
            tags = trace.Tags,
            tokens = trace.Entries.Select(e => new { text = e.Text, p_token = e.TokenProbability, p = e.Probabilities }),
        });
    }
}
