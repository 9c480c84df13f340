using System.Collections.Immutable;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// One immutable turn of a conversation. Rendered as its mode tag, its <see cref="Body"/> (escaped, with
/// <see cref="Tags"/> inserted) and a newline. The kinds are <see cref="TaskTurn"/>, <see cref="ToolCallTurn"/>,
/// <see cref="AnswerTurn"/>, <see cref="ToolResultTurn"/> and <see cref="ProseTurn"/>.
/// </summary>
public abstract class Turn
{
    private protected Turn(IEnumerable<TagSpan>? tags, string body)
    {
        Tags = NormalizeTags(tags, body.Length);
    }

    /// <summary>The mode tag this turn starts with.</summary>
    public abstract TurnMode Mode { get; }

    /// <summary>What the turn holds.</summary>
    public abstract TurnKind Kind { get; }

    /// <summary>The untagged, unescaped body between the mode tag and the newline, e.g. <c>answer Done.</c>.</summary>
    public abstract string Body { get; }

    /// <summary>Behaviour tags over parts of <see cref="Body"/>, sorted by start (outer spans first); never crossing.</summary>
    public ImmutableArray<TagSpan> Tags { get; }

    /// <summary>Whether any span carries <paramref name="tag"/>.</summary>
    /// <param name="tag">The tag name.</param>
    /// <returns><see langword="true"/> when tagged.</returns>
    public bool HasTag(string tag) => Tags.Any(t => t.Tag == tag);

    /// <summary>This turn with other tags (same content).</summary>
    /// <param name="tags">Spans over <see cref="Body"/>.</param>
    /// <returns>The re-tagged turn.</returns>
    public abstract Turn WithTags(IEnumerable<TagSpan> tags);

    /// <inheritdoc />
    public override string ToString() => $"{TagNames.Open(TagNames.ForMode(Mode))}{Body}";

    private static ImmutableArray<TagSpan> NormalizeTags(IEnumerable<TagSpan>? tags, int bodyLength)
    {
        if (tags is null)
        {
            return [];
        }

        var list = tags.Select((t, i) => (Span: t, Index: i)).ToList();
        if (list.Count == 0)
        {
            return [];
        }

        foreach (var (span, _) in list)
        {
            if (span.Tag is null)
            {
                throw new ArgumentException("A tag span has no tag name (default TagSpan); create spans with new TagSpan(tag, start, length).", nameof(tags));
            }

            if (TagNames.IsModeTag(span.Tag))
            {
                throw new ArgumentException($"'{span.Tag}' is a mode tag; mode tags start turns and cannot be used as a span inside a turn.", nameof(tags));
            }

            if (span.End > bodyLength)
            {
                throw new ArgumentOutOfRangeException(nameof(tags), $"Tag span '{span.Tag}' [{span.Start}, {span.End}) ends past the body, which has {bodyLength} characters.");
            }
        }

        list.Sort((a, b) => a.Span.Start != b.Span.Start ? a.Span.Start.CompareTo(b.Span.Start)
            : a.Span.Length != b.Span.Length ? b.Span.Length.CompareTo(a.Span.Length)
            : a.Index.CompareTo(b.Index));

        var open = new Stack<TagSpan>();
        foreach (var (span, _) in list)
        {
            while (open.Count > 0 && open.Peek().End <= span.Start)
            {
                open.Pop();
            }

            if (open.Count > 0 && span.End > open.Peek().End)
            {
                var outer = open.Peek();
                throw new ArgumentException($"Tag spans '{outer.Tag}' [{outer.Start}, {outer.End}) and '{span.Tag}' [{span.Start}, {span.End}) cross; spans must nest or be disjoint.", nameof(tags));
            }

            open.Push(span);
        }

        return [.. list.Select(x => x.Span)];
    }
}
