namespace Agent.Decoding.Transcripts;

/// <summary>
/// A plain prose document (or part of one), a plain-mode turn rendered <c>&lt;mode1&gt;&lt;text&gt;</c>; the text
/// may span lines. Prose that only mentions a behaviour (a story about a lie, a security advisory) stays untagged.
/// </summary>
/// <remarks>A prose text that itself starts with <c>task </c> or with a tool-result header reads back as that
/// kind of turn; generated and imported prose should not start that way.</remarks>
public sealed class ProseTurn : Turn
{
    /// <summary>Creates the turn.</summary>
    /// <param name="text">The prose (escaped when rendered). Carriage returns become newlines; trailing newlines are dropped.</param>
    /// <param name="tags">Optional spans over the text.</param>
    public ProseTurn(string text, IEnumerable<TagSpan>? tags = null)
        : this(Normalize(text), tags, normalized: true)
    {
    }

    private ProseTurn(string text, IEnumerable<TagSpan>? tags, bool normalized)
        : base(tags, text)
    {
        _ = normalized;
        Text = text;
    }

    /// <summary>The prose text.</summary>
    public string Text { get; }

    /// <inheritdoc />
    public override TurnMode Mode => TurnMode.Plain;

    /// <inheritdoc />
    public override TurnKind Kind => TurnKind.Prose;

    /// <inheritdoc />
    public override string Body => Text;

    /// <inheritdoc />
    public override Turn WithTags(IEnumerable<TagSpan> tags) => new ProseTurn(Text, tags, normalized: true);

    private static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').TrimEnd('\n');
        if (t.Length == 0)
        {
            throw new ArgumentException("Prose text is empty; a prose turn needs at least one character.", nameof(text));
        }

        return t;
    }
}
