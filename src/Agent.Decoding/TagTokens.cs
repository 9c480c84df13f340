using Agent.Llama.Gguf;

namespace Agent.Decoding;

/// <summary>Finds, for each tag of a <see cref="TagSet"/>, whether the model has it as a trained token (see <see cref="TagTokenState"/>).</summary>
public static class TagTokens
{
    /// <summary>The state of every tag, by name; single-token tags are checked in the rows of <paramref name="modelPath"/>'s embedding and output.</summary>
    /// <exception cref="Agent.Llama.GgufException">The model file cannot be read as GGUF.</exception>
    public static IReadOnlyDictionary<string, TagTokenState> Inspect(TagSet tags, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var single = tags.Tags.Where(t => t.IsSingleToken).SelectMany(t => new[] { t.Open[0].Value, t.Close[0].Value }).Distinct().ToArray();
        var rows = single.Length == 0 ? new Dictionary<int, TokenRowState>() : GgufTokenRows.Inspect(modelPath, single);
        return tags.Tags.ToDictionary(t => t.Name, t => State(t, rows), StringComparer.Ordinal);
    }

    /// <summary>Whether the model's temptation toward a tag in this state is a signal.</summary>
    public static bool IsModelSignal(TagTokenState state) => state is TagTokenState.TrainedToken or TagTokenState.UncheckedToken;

    private static TagTokenState State(ResolvedTag tag, IReadOnlyDictionary<int, TokenRowState> rows)
    {
        if (!tag.IsSingleToken)
        {
            return TagTokenState.MultiToken;
        }

        var states = new[] { rows[tag.Open[0].Value], rows[tag.Close[0].Value] };
        return states.Contains(TokenRowState.Untrained) ? TagTokenState.UntrainedToken
            : states.Contains(TokenRowState.Unknown) ? TagTokenState.UncheckedToken
            : TagTokenState.TrainedToken;
    }
}
