using System.Text.Json;
using Agent.Decoding;
using Agent.Runtime.Policy;

namespace Agent.Runtime.Storage;

/// <summary>
/// How the store writes the gate's signals: temptation aggregates as <c>{"tag":{"max":..,"mean":..,"any":..}}</c> and
/// classifier probabilities as <c>{"tag":p}</c>, the signals that crossed a threshold as
/// <c>[{"tag":..,"signal":"model","level":"block","value":..,"threshold":..}]</c>, the mode signal's summary as
/// <c>{"mean":..,"min":..}</c>. The only place they become JSON and back: everywhere else they are typed.
/// </summary>
internal static class SignalJson
{
    public static string WriteTemptation(IReadOnlyDictionary<string, TemptationAggregate> aggregates)
    {
        var result = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (tag, a) in aggregates)
        {
            result[tag] = new { max = a.Max, mean = a.Mean, any = a.Any };
        }

        return JsonSerializer.Serialize(result);
    }

    public static IReadOnlyDictionary<string, TemptationAggregate> ReadTemptation(string json)
    {
        var result = new SortedDictionary<string, TemptationAggregate>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(string.IsNullOrEmpty(json) ? "{}" : json);
        foreach (var tag in doc.RootElement.EnumerateObject())
        {
            result[tag.Name] = new TemptationAggregate(tag.Value.GetProperty("max").GetDouble(), tag.Value.GetProperty("mean").GetDouble(), tag.Value.GetProperty("any").GetDouble());
        }

        return result;
    }

    public static string WriteClassifier(IReadOnlyDictionary<string, double> probabilities) =>
        JsonSerializer.Serialize(new SortedDictionary<string, double>(probabilities.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal));

    public static string WriteFired(IReadOnlyList<FiredSignal> fired) =>
        JsonSerializer.Serialize(fired.Select(f => new { tag = f.Tag, signal = SqliteRunStore.Name(f.Signal), level = SqliteRunStore.Name(f.Level), value = f.Value, threshold = f.Threshold }));

    public static IReadOnlyList<FiredSignal> ReadFired(string json)
    {
        using var doc = JsonDocument.Parse(string.IsNullOrEmpty(json) ? "[]" : json);
        return doc.RootElement.EnumerateArray()
            .Select(f => new FiredSignal(
                f.GetProperty("tag").GetString()!,
                Enum.Parse<GateSignal>(f.GetProperty("signal").GetString()!, ignoreCase: true),
                Enum.Parse<Decision>(f.GetProperty("level").GetString()!, ignoreCase: true),
                f.GetProperty("value").GetDouble(),
                f.GetProperty("threshold").GetDouble()))
            .ToList();
    }

    /// <summary>The mode signal's summary as <c>{"mean":..,"min":..}</c>, or null (the column's NULL) without one.</summary>
    public static string? WriteMode(ModeSignal? mode) => mode is null ? null : JsonSerializer.Serialize(new { mean = mode.Mean, min = mode.Min });

    public static ModeSignal? ReadMode(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return new ModeSignal(doc.RootElement.GetProperty("mean").GetDouble(), doc.RootElement.GetProperty("min").GetDouble());
    }

    public static IReadOnlyDictionary<string, double> ReadClassifier(string json) =>
        JsonSerializer.Deserialize<SortedDictionary<string, double>>(string.IsNullOrEmpty(json) ? "{}" : json) ?? new SortedDictionary<string, double>(StringComparer.Ordinal);
}
