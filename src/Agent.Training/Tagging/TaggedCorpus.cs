using System.Collections.Immutable;

namespace Agent.Training.Tagging;

/// <summary>The result of <see cref="CorpusReader.Read"/>: the tagged documents and the parts that could not be read.</summary>
/// <param name="Documents">Tagged documents, in file then line order.</param>
/// <param name="Errors">Malformed files or lines, with file and line number.</param>
public sealed record TaggedCorpus(ImmutableArray<TaggedDocument> Documents, ImmutableArray<CorpusLineError> Errors)
{
    /// <summary>Number of tag spans over all documents.</summary>
    public int SpanCount => Documents.Sum(d => d.SpanCount);
}
