namespace Agent.Training.Corpus;

/// <summary>A generator template and the split all of its documents go to.</summary>
/// <param name="Family">Family, e.g. <c>packages</c> or <c>prose</c>.</param>
/// <param name="TemplateId">Unique id, <c>family/name</c>.</param>
/// <param name="Kind">Prose or transcript.</param>
/// <param name="Split">Its split.</param>
public sealed record TemplateInfo(string Family, string TemplateId, CorpusDocumentKind Kind, CorpusSplit Split);
