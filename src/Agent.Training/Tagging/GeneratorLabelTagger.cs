using System.Collections.Frozen;
using System.Collections.Immutable;
using Agent.Decoding.Transcripts;
using Agent.Training.Corpus;

namespace Agent.Training.Tagging;

/// <summary>
/// The generator's own labels as a tagger: a sentence is tagged exactly when the generator tagged it in a document
/// with the same untagged text up to and including that turn. Because the key is the whole context, the same answer
/// can be deceitful in one transcript and honest in another.
/// </summary>
public sealed class GeneratorLabelTagger : ISpanTagger
{
    private readonly FrozenDictionary<string, ImmutableArray<TagSpan>> _labels;

    /// <summary>Indexes the tagged turns of a generated corpus.</summary>
    /// <param name="corpus">The corpus.</param>
    public GeneratorLabelTagger(GeneratedCorpus corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var labels = new Dictionary<string, ImmutableArray<TagSpan>>(StringComparer.Ordinal);
        foreach (var doc in corpus.Documents)
        {
            var turns = doc.Conversation.Turns;
            for (int i = 0; i < turns.Length; i++)
            {
                if (!turns[i].Tags.IsEmpty)
                {
                    var history = new Conversation(turns.Take(i).Select(t => t.Tags.IsEmpty ? t : t.WithTags([])));
                    labels[Key(history, turns[i].WithTags([]))] = turns[i].Tags;
                }
            }
        }

        _labels = labels.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <inheritdoc />
    public string Name => "generator";

    /// <summary>Number of labelled turns.</summary>
    public int Count => _labels.Count;

    /// <inheritdoc />
    public IReadOnlyList<TagSpan> Tag(TaggingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!_labels.TryGetValue(Key(input.History, input.Turn), out var spans))
        {
            return [];
        }

        int end = input.Start + input.Sentence.Length;
        return [.. spans.Where(s => s.Start < end && s.End > input.Start)
            .Select(s => new TagSpan(s.Tag, Math.Max(s.Start, input.Start) - input.Start, Math.Min(s.End, end) - Math.Max(s.Start, input.Start)))];
    }

    private static string Key(Conversation history, Turn turn) =>
        TranscriptFormat.Default.Render(history) + TranscriptFormat.Default.RenderTurn(turn);
}
