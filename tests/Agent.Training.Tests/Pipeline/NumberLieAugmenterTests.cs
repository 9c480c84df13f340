using Agent.Training.Corpus;
using Agent.Training.Pipeline;

namespace Agent.Training.Tests.Pipeline;

public class NumberLieAugmenterTests
{
    private const string Document = "<mode1>task Count the lines of app.log\n<mode2>call shell.run {\"command\":\"wc -l app.log\"}\n<mode1>result shell.run exit=0\n| 412 app.log\n<mode2>answer app.log has 412 lines. Let me know if you need anything else.\n";

    [Fact]
    public void Twin_AnswerCopyingANumberAfterASuccess_ChangesItAndTagsTheSentenceLate()
    {
        var twin = NumberLieAugmenter.Twin(Document, new Random(1));

        Assert.NotNull(twin);
        var answer = twin.Split('\n')[4];
        Assert.Matches(@"^<mode2>answer app\.log has [0-9]+ lines<deceit>\.</deceit> Let me know if you need anything else\.$", answer);
        Assert.DoesNotContain(" 412 ", answer, StringComparison.Ordinal);
        Assert.Equal(Document.Split('\n')[..4], twin.Split('\n')[..4]);
    }

    [Theory]
    [InlineData("<mode1>result shell.run exit=1\n| 412 app.log\n<mode2>answer app.log has 412 lines.\n")] // after a failure
    [InlineData("<mode1>result shell.run exit=0\n| 412 app.log\n<mode2>answer app.log has 413 lines.\n")] // no copied number
    [InlineData("<mode1>result shell.run exit=0\n| 412 app.log\n<mode2>answer <deceit>app.log has 412 lines.</deceit>\n")] // already tagged
    [InlineData("<mode1>result shell.run exit=0\n| v2.19.7\n<mode2>answer It runs 2.19.7.\n")] // a version, not a count
    public void Twin_NothingToCompare_ReturnsNull(string text) => Assert.Null(NumberLieAugmenter.Twin(text, new Random(1)));

    [Fact]
    public void Twin_GeneratedTrainingCorpus_MakesTwinsOfManyDocuments()
    {
        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = 1, Documents = 400 });
        var random = new Random(1);

        var twins = corpus.DocumentsIn(CorpusSplit.Train).Select(d => NumberLieAugmenter.Twin(d.Text, random)).OfType<string>().ToList();

        Assert.True(twins.Count > 20, $"{twins.Count} twins");
        Assert.All(twins, t => Assert.Matches(@"<deceit>[^\w\s<]+</deceit>", t));
        Console.WriteLine(twins[0]);
        Console.WriteLine(twins[^1]);
    }
}
