using Agent.Training.Tokenization;

namespace Agent.Training.Tests.Tokenization;

public sealed class BpeTrainerTests
{
    internal static readonly string[] SampleTexts = BuildSample();

    private static string[] BuildSample()
    {
        var rng = new Random(3);
        string[] words = ["the", "agent", "reads", "files", "shell", "run", "command", "result", "exit", "passed", "failed", "tests", "deploy", "service", "/srv/app", "config.yaml", "ünïcode", "日本語", "🙂"];
        var texts = new string[400];
        for (int t = 0; t < texts.Length; t++)
        {
            var parts = new List<string> { "<mode1>task " };
            for (int i = 0; i < 30; i++)
            {
                parts.Add(words[rng.Next(words.Length)] + (rng.Next(8) == 0 ? "\n" : " "));
            }

            parts.Add("\n<mode2><deceit>answer all " + rng.Next(100) + " tests passed</deceit>\n");
            texts[t] = string.Concat(parts);
        }

        return texts;
    }

    [Fact]
    public void Train_Sample_ByteTokensComeFirstThenMergesThenControl()
    {
        var vocab = BpeTrainer.Train(SampleTexts, new BpeTrainerOptions { MergeCount = 200 });

        Assert.Equal(200, vocab.Merges.Length);
        for (int b = 0; b < 256; b++)
        {
            Assert.Equal(BpeTokenType.Normal, vocab.TokenTypes[b]);
            Assert.Single(vocab.Tokens[b]);
        }

        Assert.Equal("Ġ", vocab.Tokens[' ']);
        Assert.Equal("Ċ", vocab.Tokens['\n']);
        Assert.Equal("A", vocab.Tokens['A']);
        int controlCount = vocab.TokenTypes.Count(t => t == BpeTokenType.Control);
        Assert.Equal(2 + 2 * BpeTrainer.DefaultTags.Count, controlCount);
        Assert.All(vocab.TokenTypes.Skip(vocab.Count - controlCount), t => Assert.Equal(BpeTokenType.Control, t));
        Assert.Equal(vocab.Count - controlCount, vocab.BosId);
        Assert.Equal(vocab.Tokens.Length, vocab.Tokens.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Train_Merges_UseByteLevelTextOfExistingTokens()
    {
        var vocab = BpeTrainer.Train(SampleTexts, new BpeTrainerOptions { MergeCount = 300 });
        var known = new HashSet<string>(vocab.Tokens, StringComparer.Ordinal);

        foreach (var merge in vocab.Merges)
        {
            var parts = merge.Split(' ');
            Assert.Equal(2, parts.Length);
            Assert.Contains(parts[0], known);
            Assert.Contains(parts[1], known);
            Assert.Contains(parts[0] + parts[1], known);
        }

        Assert.DoesNotContain(vocab.Merges, m => m.Contains('<', StringComparison.Ordinal) && m.Contains('>', StringComparison.Ordinal) && m.Contains("mode", StringComparison.Ordinal));
    }

    [Fact]
    public void Train_SameInput_IsDeterministic()
    {
        var a = BpeTrainer.Train(SampleTexts, new BpeTrainerOptions { MergeCount = 150 });
        var b = BpeTrainer.Train(SampleTexts.Reverse(), new BpeTrainerOptions { MergeCount = 150 });

        Assert.Equal(a.Merges.ToArray(), b.Merges.ToArray());
        Assert.Equal(a.Tokens.ToArray(), b.Tokens.ToArray());
    }

    [Fact]
    public void Train_FrequentPairFirst_LearnsMostFrequentMergeFirst()
    {
        var vocab = BpeTrainer.Train(["zz zz zz zz zz ab"], new BpeTrainerOptions { MergeCount = 2 });

        Assert.Equal("z z", vocab.Merges[0]);
        Assert.Equal("Ġ zz", vocab.Merges[1]);
    }

    [Fact]
    public void Train_ExtraTags_BecomeControlTokens()
    {
        var vocab = BpeTrainer.Train(SampleTexts, new BpeTrainerOptions { MergeCount = 10, ExtraTags = ["sabotage"] });

        int open = vocab.OpenTagId("sabotage");
        Assert.Equal(BpeTokenType.Control, vocab.TokenTypes[open]);
        Assert.Equal([open, vocab.CloseTagId("sabotage")], vocab.Encode("<sabotage></sabotage>"));
    }

    [Fact]
    public void Train_GeneratedCorpus_IsFastAndKeepsTagsAsSingleTokens()
    {
        var corpus = Agent.Training.Corpus.CorpusGenerator.Generate(new Agent.Training.Corpus.CorpusOptions { Seed = 1, Documents = 3000 });
        var texts = corpus.Documents.Select(d => d.Text).ToList();
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var vocab = BpeTrainer.Train(texts, new BpeTrainerOptions { MergeCount = 2000 });

        watch.Stop();
        Assert.Equal(2000, vocab.Merges.Length);
        // About 2 MB and 2000 merges; an implementation that rescans the corpus per merge takes minutes here.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"training took {watch.Elapsed}");
        var deceitId = vocab.OpenTagId("deceit");
        var doc = corpus.Documents.First(d => d.HasTag("deceit"));
        var ids = vocab.Encode(doc.Text);
        Assert.Equal(doc.Text, vocab.Decode(ids));
        Assert.Contains(deceitId, ids);
        Assert.Equal(doc.Conversation.Turns.Length, ids.Count(id => id == vocab.OpenTagId("mode1") || id == vocab.OpenTagId("mode2")));
        Assert.True(ids.Length * 5 < doc.Text.Length * 2, $"{ids.Length} tokens for {doc.Text.Length} characters");
    }

    [Fact]
    public void Options_InvalidTagName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new BpeTrainerOptions { ExtraTags = ["<deceit>"] });
        Assert.Throws<ArgumentOutOfRangeException>(() => new BpeTrainerOptions { MergeCount = -1 });
    }
}
