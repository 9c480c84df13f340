using Agent.Decoding.Transcripts;
using Agent.Training.Tagging;

namespace Agent.Training.Tests.Tagging;

public sealed class CorpusReaderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "corpus-reader-" + Guid.NewGuid().ToString("N"));
    private readonly DocumentTagger _rules = new([new RuleBasedTagger()]);

    public CorpusReaderTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_folder, name), content);

    private const string UnsafeTranscript = "{\"turns\":[{\"role\":\"task\",\"text\":\"restart nginx\"},{\"role\":\"call\",\"tool\":\"shell.run\",\"args\":{\"command\":\"sudo systemctl restart nginx\"}},{\"role\":\"result\",\"tool\":\"shell.run\",\"exit\":0,\"stdout\":\"\"},{\"role\":\"answer\",\"text\":\"Restarted.\"}]}";

    [Fact]
    public void Read_EmptyFolder_ThrowsEmptyCorpusException()
    {
        var ex = Assert.Throws<EmptyCorpusException>(() => CorpusReader.Read(_folder, _rules));

        Assert.Contains(_folder, ex.Message, StringComparison.Ordinal);
        Assert.Contains("no documents", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OnlyMalformedLines_ThrowsEmptyCorpusExceptionNamingTheFirst()
    {
        Write("bad.jsonl", "{not json\n");

        var ex = Assert.Throws<EmptyCorpusException>(() => CorpusReader.Read(_folder, _rules));

        Assert.Contains("bad.jsonl:1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ProseOnly_ThrowsUntaggedCorpusException()
    {
        Write("story.txt", "The spy lied to the ambassador and ran sudo on the embassy server.");

        var ex = Assert.Throws<UntaggedCorpusException>(() => CorpusReader.Read(_folder, _rules));

        Assert.Contains("1 documents", ex.Message, StringComparison.Ordinal);
        var corpus = CorpusReader.Read(_folder, _rules, requireTags: false);
        Assert.Equal(0, corpus.SpanCount);
    }

    [Fact]
    public void Read_MalformedJsonlLines_AreReportedWithLineNumbersAndOthersLoad()
    {
        Write("a.jsonl", string.Join('\n',
            "{\"text\":\"A plain document about sudo.\"}",
            "{broken",
            "",
            UnsafeTranscript,
            "[1,2]",
            "{\"turns\":[{\"role\":\"shout\",\"text\":\"x\"}]}",
            "{\"turns\":[{\"role\":\"call\",\"tool\":\"shell.run\",\"args\":\"ls\"}]}",
            "{\"transcript\":\"<mode1>task hi\\n<mode2><deceit>answer done</deceit>\\n\"}",
            "{\"other\":1}"));
        Write("b.txt", "Release notes for 2.0.");

        var corpus = CorpusReader.Read(_folder, _rules);

        Assert.Equal(4, corpus.Documents.Length);
        Assert.Equal([2, 5, 6, 7, 9], corpus.Errors.Select(e => e.Line));
        Assert.All(corpus.Errors, e => Assert.EndsWith("a.jsonl", e.File, StringComparison.Ordinal));
        Assert.Contains("invalid JSON", corpus.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("unknown role 'shout'", corpus.Errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("'args' must be a JSON object", corpus.Errors[3].Message, StringComparison.Ordinal);
        Assert.EndsWith("a.jsonl:4", corpus.Documents[1].Source, StringComparison.Ordinal);
        Assert.Contains("<powerseeking>call shell.run {\"command\":\"sudo systemctl restart nginx\"}</powerseeking>", corpus.Documents[1].Text, StringComparison.Ordinal);
        Assert.Contains("<deceit>answer done</deceit>", corpus.Documents[2].Text, StringComparison.Ordinal);
        Assert.Equal("<mode1>Release notes for 2.0.\n", corpus.Documents[3].Text);
        Assert.Equal(2, corpus.SpanCount);
    }

    [Fact]
    public void Read_StructuredTags_AreKept()
    {
        Write("t.jsonl", "{\"turns\":[{\"role\":\"task\",\"text\":\"count\"},{\"role\":\"answer\",\"text\":\"There are 5.\"}],\"tags\":[{\"turn\":1,\"tag\":\"deceit\",\"start\":7,\"length\":12}]}\n");

        var corpus = CorpusReader.Read(_folder, _rules);

        Assert.Equal("<mode1>task count\n<mode2>answer <deceit>There are 5.</deceit>\n", corpus.Documents[0].Text);
        Assert.IsType<AnswerTurn>(corpus.Documents[0].Conversation.Turns[1]);
    }

    [Fact]
    public void Read_GeneratedCorpusWrittenAsJsonl_KeepsEveryDocumentAndTag()
    {
        var generated = Agent.Training.Corpus.CorpusGenerator.Generate(new Agent.Training.Corpus.CorpusOptions { Seed = 4, Documents = 300 });
        using (var writer = new StreamWriter(Path.Combine(_folder, "train.jsonl")))
        {
            generated.WriteJsonl(writer, Agent.Training.Corpus.CorpusSplit.Train);
        }

        var corpus = CorpusReader.Read(_folder, new DocumentTagger([new GeneratorLabelTagger(generated)]));

        var expected = generated.DocumentsIn(Agent.Training.Corpus.CorpusSplit.Train).ToList();
        Assert.Empty(corpus.Errors);
        Assert.Equal(expected.Select(d => d.Text), corpus.Documents.Select(d => d.Text));
        Assert.Equal(expected.Sum(d => d.Conversation.Turns.Sum(t => t.Tags.Length)), corpus.SpanCount);
        Assert.Contains(corpus.Documents, d => d.SpanCount > 0);
    }

    [Fact]
    public void Read_MissingFolder_ThrowsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => CorpusReader.Read(Path.Combine(_folder, "nope"), _rules));
    }
}
