namespace Agent.Decoding.Transcripts;

/// <summary>The user's task, a plain-mode turn rendered <c>&lt;mode1&gt;task &lt;text&gt;</c>. The text may span lines.</summary>
public sealed class TaskTurn : Turn
{
    /// <summary>The body prefix.</summary>
    public const string Keyword = "task ";

    /// <summary>Creates the turn.</summary>
    /// <param name="text">The task text (untrusted: escaped when rendered). Carriage returns are dropped.</param>
    /// <param name="tags">Optional spans over <see cref="Body"/>.</param>
    public TaskTurn(string text, IEnumerable<TagSpan>? tags = null)
        : this(Normalize(text), tags, normalized: true)
    {
    }

    private TaskTurn(string text, IEnumerable<TagSpan>? tags, bool normalized)
        : base(tags, Keyword + text)
    {
        _ = normalized;
        Text = text;
    }

    /// <summary>The task text.</summary>
    public string Text { get; }

    /// <inheritdoc />
    public override TurnMode Mode => TurnMode.Plain;

    /// <inheritdoc />
    public override TurnKind Kind => TurnKind.Task;

    /// <inheritdoc />
    public override string Body => Keyword + Text;

    /// <inheritdoc />
    public override Turn WithTags(IEnumerable<TagSpan> tags) => new TaskTurn(Text, tags, normalized: true);

    private static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').TrimEnd('\n');
    }
}
