using System.Collections.Immutable;
using System.Text.Encodings.Web;
using System.Text.Json;

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

    /// <summary>
    /// Writes the documents of one split as JSONL, one object per line:
    /// <c>{"id":…,"family":…,"template":…,"split":"train","transcript":"&lt;mode1&gt;…"}</c>. The <c>transcript</c> key is
    /// what <see cref="Tagging.CorpusReader"/> reads back (tags included); the other keys are informational.
    /// </summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="split">The split to write.</param>
    public void WriteJsonl(TextWriter writer, CorpusSplit split)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using var buffer = new MemoryStream();
        foreach (var doc in DocumentsIn(split))
        {
            buffer.SetLength(0);
            using (var json = new Utf8JsonWriter(buffer, options))
            {
                json.WriteStartObject();
                json.WriteString("id", doc.Id);
                json.WriteString("family", doc.Family);
                json.WriteString("template", doc.TemplateId);
                json.WriteString("split", split.ToString().ToLowerInvariant());
                json.WriteString("transcript", doc.Text);
                json.WriteEndObject();
            }

            writer.Write(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
            writer.Write('\n');
        }
    }
}
