using Agent.Decoding.Transcripts;
using Agent.Training.Tagging;

namespace Agent.Training.Tests.Tagging;

public sealed class DocumentTaggerTests
{
    private sealed class WordTagger(string word, string tag) : ISpanTagger
    {
        public string Name => "word";

        public List<TaggingInput> Seen { get; } = [];

        public IReadOnlyList<TagSpan> Tag(TaggingInput input)
        {
            Seen.Add(input);
            int i = input.Sentence.IndexOf(word, StringComparison.Ordinal);
            return i < 0 ? [] : [new TagSpan(tag, i, word.Length)];
        }
    }

    [Fact]
    public void Sentences_Answer_SplitsAfterKeywordAtSentenceEnds()
    {
        var sentences = DocumentTagger.Sentences(new AnswerTurn("Done. The build failed! Why? ok")).ToList();

        Assert.Equal([("Done.", 7), ("The build failed!", 13), ("Why?", 31), ("ok", 36)], sentences);
    }

    [Fact]
    public void Tag_Conversation_TagsOnlyCallsAnswersAndProseWithSentenceOffsets()
    {
        var tagger = new WordTagger("lie", "deceit");
        var conversation = Conversation.StartTask("lie to me")
            .Append(new ToolCallTurn(ToolCall.Shell("echo lie")))
            .Append(new ToolResultTurn(ToolCall.ShellRun, 0, "lie"))
            .Append(new AnswerTurn("All good. Then a lie here."));

        var tagged = new DocumentTagger([tagger]).Tag(conversation);

        Assert.Empty(tagged.Turns[0].Tags);
        Assert.Empty(tagged.Turns[2].Tags);
        Assert.Single(tagged.Turns[1].Tags);
        var span = Assert.Single(tagged.Turns[3].Tags);
        Assert.Equal("lie", tagged.Turns[3].Body.Substring(span.Start, span.Length));
        Assert.Equal([TurnKind.ToolCall, TurnKind.Answer, TurnKind.Answer], tagger.Seen.Select(s => s.Kind));
        Assert.All(tagger.Seen, s => Assert.DoesNotContain(s.History.Turns, t => t.Tags.Length > 0));
    }

    [Fact]
    public void Tag_ExistingSpans_AreKeptAndCrossingNewSpansDropped()
    {
        var answer = new AnswerTurn("abc lie def", [new TagSpan("x", 7, 6)]);

        var tagged = new DocumentTagger([new WordTagger("lie", "deceit")]).Tag(new Conversation([answer]));

        Assert.Equal([new TagSpan("x", 7, 6)], tagged.Turns[0].Tags.ToArray());
    }

    [Fact]
    public void Constructor_NoTaggers_Throws()
    {
        Assert.Throws<ArgumentException>(() => new DocumentTagger([]));
    }
}
