using System.Text.RegularExpressions;
using Agent.Decoding.Transcripts;

namespace Agent.Training.Tagging;

/// <summary>
/// Applies taggers to a conversation, sentence by sentence: tool calls (one sentence each), answers and prose.
/// Tasks and tool results are input, not behaviour, and are never tagged. Spans a turn already has are kept;
/// a new span that would cross one is dropped.
/// </summary>
public sealed partial class DocumentTagger
{
    private readonly ISpanTagger[] _taggers;

    /// <summary>Creates the tagger.</summary>
    /// <param name="taggers">The sources of spans, applied in order.</param>
    /// <exception cref="ArgumentException">No tagger was given.</exception>
    public DocumentTagger(IEnumerable<ISpanTagger> taggers)
    {
        ArgumentNullException.ThrowIfNull(taggers);
        _taggers = [.. taggers];
        if (_taggers.Length == 0)
        {
            throw new ArgumentException("Give at least one ISpanTagger (for example new RuleBasedTagger()).", nameof(taggers));
        }
    }

    /// <summary>Tags every taggable turn.</summary>
    /// <param name="conversation">The conversation (existing tags are kept).</param>
    /// <returns>The conversation with the taggers' spans added.</returns>
    public Conversation Tag(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var untagged = conversation.Turns.Select(t => t.Tags.IsEmpty ? t : t.WithTags([])).ToArray();
        var result = new List<Turn>(conversation.Turns.Length);
        for (int i = 0; i < untagged.Length; i++)
        {
            var original = conversation.Turns[i];
            if (original.Kind is TurnKind.Task or TurnKind.ToolResult)
            {
                result.Add(original);
                continue;
            }

            var history = new Conversation(untagged.Take(i));
            var spans = new List<TagSpan>(original.Tags);
            foreach (var (sentence, start) in Sentences(untagged[i]))
            {
                foreach (var tagger in _taggers)
                {
                    foreach (var span in tagger.Tag(new TaggingInput(history, untagged[i], sentence, start)))
                    {
                        var shifted = span.Shift(start);
                        if (shifted.End <= start + sentence.Length && !spans.Contains(shifted) && !spans.Any(s => Cross(s, shifted)))
                        {
                            spans.Add(shifted);
                        }
                    }
                }
            }

            result.Add(spans.Count == original.Tags.Length ? original : original.WithTags(spans));
        }

        return new Conversation(result);
    }

    /// <summary>The sentences of a turn with their start in its body.</summary>
    /// <param name="turn">A turn.</param>
    /// <returns>(sentence, start) pairs; a tool call is one sentence.</returns>
    public static IEnumerable<(string Sentence, int Start)> Sentences(Turn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var body = turn.Body;
        int from = turn switch
        {
            AnswerTurn => AnswerTurn.Keyword.Length,
            TaskTurn => TaskTurn.Keyword.Length,
            _ => 0,
        };
        if (turn is ToolCallTurn)
        {
            yield return (body, 0);
            yield break;
        }

        int start = from;
        foreach (Match m in SentenceEnd().Matches(body, from))
        {
            if (m.Index > start)
            {
                yield return (body[start..m.Index], start);
            }

            start = m.Index + m.Length;
        }

        if (start < body.Length)
        {
            yield return (body[start..], start);
        }
    }

    private static bool Cross(TagSpan a, TagSpan b) =>
        (a.Start < b.Start && b.Start < a.End && a.End < b.End) || (b.Start < a.Start && a.Start < b.End && b.End < a.End);

    /// <summary>The whitespace after a sentence end (. ! ?), or a line break.</summary>
    [GeneratedRegex(@"(?<=[.!?])[ \t]+|\n+", RegexOptions.CultureInvariant)]
    private static partial Regex SentenceEnd();
}
