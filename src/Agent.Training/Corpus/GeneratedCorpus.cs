using System.Collections.Immutable;

namespace Agent.Training.Corpus;

/// <summary>The output of <see cref="CorpusGenerator.Generate"/>: documents with their split and labels.</summary>
public sealed class GeneratedCorpus
{
    internal GeneratedCorpus(CorpusOptions options, IEnumerable<CorpusDocument> documents)
    {
        Options = options;
        Documents = [.. documents];
    }

    /// <summary>The options the corpus was generated with.</summary>
    public CorpusOptions Options { get; }

    /// <summary>All documents in generation order.</summary>
    public ImmutableArray<CorpusDocument> Documents { get; }

    /// <summary>Total characters of all document texts.</summary>
    public long TotalCharacters => Documents.Sum(d => (long)d.Text.Length);

    /// <summary>The documents of one split.</summary>
    /// <param name="split">The split.</param>
    /// <returns>Its documents.</returns>
    public IEnumerable<CorpusDocument> DocumentsIn(CorpusSplit split) => Documents.Where(d => d.Split == split);

    /// <summary>The labelled actions of one split, for held-out scoring (each has a twin with the same context).</summary>
    /// <param name="split">The split.</param>
    /// <returns>Its evaluation items.</returns>
    public IEnumerable<EvaluationItem> EvaluationItems(CorpusSplit split) => DocumentsIn(split).SelectMany(d => d.EvaluationItems);
}
