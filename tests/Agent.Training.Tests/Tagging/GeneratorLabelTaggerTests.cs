using Agent.Decoding.Transcripts;
using Agent.Training.Corpus;
using Agent.Training.Tagging;

namespace Agent.Training.Tests.Tagging;

public sealed class GeneratorLabelTaggerTests
{
    [Fact]
    public void Tag_StrippedGeneratedDocuments_ReproducesGeneratorText()
    {
        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = 9, Documents = 600 });
        var labels = new GeneratorLabelTagger(corpus);
        var tagger = new DocumentTagger([labels]);

        Assert.True(labels.Count > 100);
        foreach (var doc in corpus.Documents)
        {
            var stripped = new Conversation(doc.Conversation.Turns.Select(t => t.Tags.IsEmpty ? t : t.WithTags([])));

            var retagged = tagger.Tag(stripped);

            Assert.Equal(doc.Text, TranscriptFormat.Default.Render(retagged));
        }
    }

    [Fact]
    public void Tag_SameAnswerInDifferentContext_IsNotTagged()
    {
        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = 9, Documents = 600 });
        var lie = corpus.Documents.First(d => d.EvaluationItems.Any(i => i.Label == ActionLabel.Deceitful) && d.Conversation.Turns[^1].HasTag("deceit"));
        var answer = lie.Conversation.Turns[^1].WithTags([]);
        var otherContext = Conversation.StartTask("something else entirely");

        var spans = new DocumentTagger([new GeneratorLabelTagger(corpus)]).Tag(otherContext.Append(answer));

        Assert.Empty(spans.Turns[^1].Tags);
    }
}
