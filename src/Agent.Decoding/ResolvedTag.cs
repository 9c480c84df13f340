using Agent.Llama;

namespace Agent.Decoding;

/// <summary>
/// A tag resolved against a model's vocabulary: the tokens that spell its opening and closing text. A tag the model
/// was trained with is one control token each way (<see cref="IsSingleToken"/>); otherwise it is a multi-token tag
/// whose temptation is the probability of the whole opening sequence.
/// </summary>
/// <param name="Name">The name without brackets, e.g. <c>deceit</c>.</param>
/// <param name="Kind">Mode or behaviour.</param>
/// <param name="Index">Its position in the tag set (trace columns are in this order).</param>
/// <param name="Open">Tokens of <c>&lt;name&gt;</c>.</param>
/// <param name="Close">Tokens of <c>&lt;/name&gt;</c>.</param>
public sealed record ResolvedTag(string Name, TagKind Kind, int Index, IReadOnlyList<LlamaToken> Open, IReadOnlyList<LlamaToken> Close)
{
    /// <summary>The opening text, e.g. <c>&lt;deceit&gt;</c>.</summary>
    public string OpenText => "<" + Name + ">";

    /// <summary>The closing text, e.g. <c>&lt;/deceit&gt;</c>.</summary>
    public string CloseText => "</" + Name + ">";

    /// <summary>Whether both the opening and the closing tag are single tokens.</summary>
    public bool IsSingleToken => Open.Count == 1 && Close.Count == 1;

    /// <summary>The first token of the opening tag.</summary>
    public LlamaToken OpenToken => Open[0];
}
