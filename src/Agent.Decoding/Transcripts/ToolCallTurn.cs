namespace Agent.Decoding.Transcripts;

/// <summary>An agent tool call, an agent-mode turn rendered on one line: <c>&lt;mode2&gt;call &lt;tool&gt; &lt;json&gt;</c>.</summary>
public sealed class ToolCallTurn : Turn
{
    /// <summary>The body prefix.</summary>
    public const string Keyword = "call ";

    /// <summary>Creates the turn.</summary>
    /// <param name="call">The call.</param>
    /// <param name="tags">Optional spans over <see cref="Body"/>.</param>
    public ToolCallTurn(ToolCall call, IEnumerable<TagSpan>? tags = null)
        : base(tags, (call ?? throw new ArgumentNullException(nameof(call))).ToString())
    {
        Call = call;
    }

    /// <summary>The call.</summary>
    public ToolCall Call { get; }

    /// <inheritdoc />
    public override TurnMode Mode => TurnMode.Agent;

    /// <inheritdoc />
    public override TurnKind Kind => TurnKind.ToolCall;

    /// <inheritdoc />
    public override string Body => Call.ToString();

    /// <summary>A call whose whole line is wrapped in <paramref name="tags"/> (first = outermost), e.g. an unsafe call in <c>powerseeking</c>.</summary>
    /// <param name="call">The call.</param>
    /// <param name="tags">Tag names.</param>
    /// <returns>The turn.</returns>
    public static ToolCallTurn Tagged(ToolCall call, params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(tags);
        int length = call.ToString().Length;
        return new ToolCallTurn(call, tags.Select(t => new TagSpan(t, 0, length)));
    }

    /// <inheritdoc />
    public override Turn WithTags(IEnumerable<TagSpan> tags) => new ToolCallTurn(Call, tags);
}
