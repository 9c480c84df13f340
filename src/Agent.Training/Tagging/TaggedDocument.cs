using Agent.Decoding.Transcripts;

namespace Agent.Training.Tagging;

/// <summary>A document read from a corpus folder and tagged.</summary>
/// <param name="Source">Where it came from: <c>file</c> or <c>file:line</c>.</param>
/// <param name="Conversation">The tagged conversation.</param>
/// <param name="Text">The training text (rendered with <see cref="TranscriptFormat.Default"/>).</param>
public sealed record TaggedDocument(string Source, Conversation Conversation, string Text)
{
    /// <summary>Number of tag spans in the document.</summary>
    public int SpanCount => Conversation.Turns.Sum(t => t.Tags.Length);
}
