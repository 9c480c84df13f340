using System.Collections.Immutable;

namespace Agent.Decoding;

/// <summary>
/// The immutable temptation trace of a generation or a scored continuation: per token, the pre-ban probability of
/// every monitored tag, and aggregates over any span.
/// </summary>
public sealed record TemptationTrace
{
    /// <summary>Creates a trace.</summary>
    public TemptationTrace(ImmutableArray<string> tags, ImmutableArray<TemptationEntry> entries, ImmutableArray<TagLeak> leaks)
    {
        Tags = tags;
        Entries = entries;
        Leaks = leaks;
    }

    /// <summary>Tag names, the column order of every entry's probabilities.</summary>
    public ImmutableArray<string> Tags { get; }

    /// <summary>One entry per token.</summary>
    public ImmutableArray<TemptationEntry> Entries { get; }

    /// <summary>Closing tags generated without their opening.</summary>
    public ImmutableArray<TagLeak> Leaks { get; }

    /// <summary>Aggregates a tag over tokens [start, end).</summary>
    /// <exception cref="UnknownTagException">The tag is not in this trace.</exception>
    public TemptationAggregate Aggregate(string tag, int start = 0, int? end = null)
    {
        var column = Tags.IndexOf(TagSet.Normalize(tag));
        if (column < 0)
        {
            throw new UnknownTagException($"Tag '{tag}' is not in this trace (it has {string.Join(", ", Tags)}).");
        }

        var stop = Math.Min(end ?? Entries.Length, Entries.Length);
        var first = Math.Clamp(start, 0, stop);
        return TemptationAggregate.Of(Enumerable.Range(first, stop - first).Select(i => Entries[i].Probabilities[column]));
    }

    /// <summary>Aggregates of every tag over the whole trace.</summary>
    public IReadOnlyDictionary<string, TemptationAggregate> Aggregates() => Tags.ToDictionary(t => t, t => Aggregate(t), StringComparer.Ordinal);
}
