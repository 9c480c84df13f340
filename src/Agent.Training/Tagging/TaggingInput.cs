using Agent.Decoding.Transcripts;

namespace Agent.Training.Tagging;

/// <summary>
/// One sentence to tag, with its context: the turns before it (untagged) and the turn it belongs to.
/// A tool call is one sentence (its whole body); answers and prose are split into sentences.
/// </summary>
/// <param name="History">The conversation before <paramref name="Turn"/>, without tags.</param>
/// <param name="Turn">The turn the sentence is part of, without tags.</param>
/// <param name="Sentence">The sentence text.</param>
/// <param name="Start">Where the sentence starts in <see cref="Turn.Body"/>.</param>
public sealed record TaggingInput(Conversation History, Turn Turn, string Sentence, int Start)
{
    /// <summary>The turn's mode: plain text (<c>mode1</c>) is read, agent text (<c>mode2</c>) is acted.</summary>
    public TurnMode Mode => Turn.Mode;

    /// <summary>The turn's kind.</summary>
    public TurnKind Kind => Turn.Kind;
}
