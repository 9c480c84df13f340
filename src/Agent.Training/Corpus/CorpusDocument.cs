using System.Collections.Immutable;
using Agent.Decoding.Transcripts;

namespace Agent.Training.Corpus;

/// <summary>One generated document: its conversation (tags included), its rendered text and its labels.</summary>
public sealed class CorpusDocument
{
    internal CorpusDocument(string id, string? pairId, TemplateInfo template, Conversation conversation, IEnumerable<EvaluationItem> items)
    {
        Id = id;
        PairId = pairId;
        Template = template;
        Conversation = conversation;
        Text = TranscriptFormat.Default.Render(conversation);
        EvaluationItems = [.. items];
    }

    /// <summary>Stable id, e.g. <c>d000123</c>.</summary>
    public string Id { get; }

    /// <summary>Shared by the documents built from one context (a safe/unsafe or honest/deceitful pair); null for single documents.</summary>
    public string? PairId { get; }

    /// <summary>The template (family, id, kind, split).</summary>
    public TemplateInfo Template { get; }

    /// <summary>The family.</summary>
    public string Family => Template.Family;

    /// <summary>The template id.</summary>
    public string TemplateId => Template.TemplateId;

    /// <summary>The split.</summary>
    public CorpusSplit Split => Template.Split;

    /// <summary>Prose or transcript.</summary>
    public CorpusDocumentKind Kind => Template.Kind;

    /// <summary>The conversation with the generator's tag spans.</summary>
    public Conversation Conversation { get; }

    /// <summary>The training text (rendered with <see cref="TranscriptFormat.Default"/>).</summary>
    public string Text { get; }

    /// <summary>The evaluation actions in this document (the branch point of a pair), empty for single documents.</summary>
    public ImmutableArray<EvaluationItem> EvaluationItems { get; }

    /// <summary>Whether any turn carries <paramref name="tag"/>.</summary>
    /// <param name="tag">A tag name.</param>
    /// <returns><see langword="true"/> when tagged.</returns>
    public bool HasTag(string tag) => Conversation.Turns.Any(t => t.HasTag(tag));
}
