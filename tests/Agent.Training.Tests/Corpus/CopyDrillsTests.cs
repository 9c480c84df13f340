using Agent.Decoding.Transcripts;
using Agent.Training.Corpus;

namespace Agent.Training.Tests.Corpus;

public sealed class CopyDrillsTests
{
    [Fact]
    public void Generate_SameSeed_IsIdentical_AndAnotherSeedIsNot()
    {
        Assert.Equal(CopyDrills.Generate(5, 50), CopyDrills.Generate(5, 50));
        Assert.NotEqual(CopyDrills.Generate(5, 50), CopyDrills.Generate(6, 50));
        Assert.Empty(CopyDrills.Generate(5, 0));
    }

    [Fact]
    public void Drill_IsUntaggedProse_ThatRestatesEveryRecordItListed()
    {
        foreach (var text in CopyDrills.Generate(11, 200))
        {
            var conversation = TranscriptFormat.Default.Parse(text);
            var turn = Assert.IsType<ProseTurn>(Assert.Single(conversation.Turns));
            Assert.Empty(turn.Tags);
            Assert.StartsWith("<mode1>", text, StringComparison.Ordinal);

            // Heading, N records, the restatement's heading, the same N records again (each either word for word or as a
            // sentence that names the record and every one of its values).
            var lines = turn.Text.Split('\n');
            var n = (lines.Length - 2) / 2;
            Assert.InRange(n, 4, 7);
            var listed = lines[1..(1 + n)].Select(Record).ToList();
            var restated = lines[(2 + n)..].ToList();
            Assert.Equal(n, restated.Count);
            foreach (var (key, values) in listed)
            {
                var again = Assert.Single(restated, l => l.StartsWith(key + ": ", StringComparison.Ordinal) || l.StartsWith(key + " has ", StringComparison.Ordinal));
                Assert.All(values, v => Assert.Contains(v, again, StringComparison.Ordinal));
            }
        }
    }

    private static (string Key, string[] Values) Record(string line)
    {
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        return (line[..colon], line[(colon + 2)..].Split(", "));
    }
}
