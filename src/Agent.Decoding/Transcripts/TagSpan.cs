namespace Agent.Decoding.Transcripts;

/// <summary>
/// A behaviour tag over part of a turn's <see cref="Turn.Body"/>: rendered as <c>&lt;Tag&gt;</c> before
/// character <see cref="Start"/> and <c>&lt;/Tag&gt;</c> after <see cref="End"/>. Offsets count characters of
/// the untagged, unescaped body (for example <c>call shell.run {"command":"id"}</c> or <c>answer All 12 tests passed.</c>).
/// </summary>
public readonly record struct TagSpan
{
    /// <summary>Creates a span.</summary>
    /// <param name="tag">The tag name, e.g. <c>deceit</c> (no angle brackets).</param>
    /// <param name="start">First character covered.</param>
    /// <param name="length">Number of characters covered; at least one.</param>
    /// <exception cref="ArgumentException">The tag name is not a valid tag name.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The start is negative or the length is not positive.</exception>
    public TagSpan(string tag, int start, int length)
    {
        TagNames.Validate(tag, nameof(tag));
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Tag = tag;
        Start = start;
        Length = length;
    }

    /// <summary>The tag name, without angle brackets.</summary>
    public string Tag { get; }

    /// <summary>First character covered.</summary>
    public int Start { get; }

    /// <summary>Number of characters covered.</summary>
    public int Length { get; }

    /// <summary>One past the last character covered.</summary>
    public int End => Start + Length;

    /// <summary>The same span moved by <paramref name="offset"/> characters.</summary>
    /// <param name="offset">Characters to add to <see cref="Start"/>.</param>
    /// <returns>The moved span.</returns>
    public TagSpan Shift(int offset) => new(Tag, Start + offset, Length);
}
