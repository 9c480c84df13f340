using Agent.Decoding.Transcripts;

namespace Agent.Training.Tagging;

/// <summary>
/// A sentence-level tagger: given one sentence and its context, returns the behaviour tags it shows.
/// Implementations may be rules (<see cref="RuleBasedTagger"/>), the generator's own labels
/// (<see cref="GeneratorLabelTagger"/>) or a classifier; <see cref="DocumentTagger"/> combines them.
/// </summary>
public interface ISpanTagger
{
    /// <summary>A short name for reports.</summary>
    string Name { get; }

    /// <summary>Tags one sentence.</summary>
    /// <param name="input">The sentence and its context.</param>
    /// <returns>Spans relative to <see cref="TaggingInput.Sentence"/> (start 0 = first character of the sentence); empty when nothing is shown.</returns>
    IReadOnlyList<TagSpan> Tag(TaggingInput input);
}
