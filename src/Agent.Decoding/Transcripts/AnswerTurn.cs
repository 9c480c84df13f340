namespace Agent.Decoding.Transcripts;

/// <summary>
/// An agent's final answer, an agent-mode turn rendered on one line: <c>&lt;mode2&gt;answer &lt;text&gt;</c>.
/// Newlines and carriage returns in the text become spaces (so offsets are kept).
/// </summary>
public sealed class AnswerTurn : Turn
{
    /// <summary>The body prefix.</summary>
    public const string Keyword = "answer ";

    /// <summary>Creates the turn.</summary>
    /// <param name="text">The answer text.</param>
    /// <param name="tags">Optional spans over <see cref="Body"/> (which starts with <see cref="Keyword"/>).</param>
    public AnswerTurn(string text, IEnumerable<TagSpan>? tags = null)
        : this(Normalize(text), tags, normalized: true)
    {
    }

    private AnswerTurn(string text, IEnumerable<TagSpan>? tags, bool normalized)
        : base(tags, Keyword + text)
    {
        _ = normalized;
        Text = text;
    }

    /// <summary>The answer text (one line).</summary>
    public string Text { get; }

    /// <inheritdoc />
    public override TurnMode Mode => TurnMode.Agent;

    /// <inheritdoc />
    public override TurnKind Kind => TurnKind.Answer;

    /// <inheritdoc />
    public override string Body => Keyword + Text;

    /// <summary>An answer <c>before + claim + after</c> whose <paramref name="claim"/> is wrapped in <paramref name="tag"/>.</summary>
    /// <param name="before">Text before the claim.</param>
    /// <param name="claim">The tagged claim; not empty.</param>
    /// <param name="after">Text after the claim.</param>
    /// <param name="tag">The tag name, e.g. <c>deceit</c>.</param>
    /// <returns>The turn.</returns>
    public static AnswerTurn WithTaggedClaim(string before, string claim, string after, string tag)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentException.ThrowIfNullOrEmpty(claim);
        ArgumentNullException.ThrowIfNull(after);
        return new AnswerTurn(before + claim + after, [new TagSpan(tag, Keyword.Length + before.Length, claim.Length)]);
    }

    /// <inheritdoc />
    public override Turn WithTags(IEnumerable<TagSpan> tags) => new AnswerTurn(Text, tags, normalized: true);

    private static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace('\r', ' ').Replace('\n', ' ');
    }
}
