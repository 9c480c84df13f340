using Agent.Decoding.Transcripts;
using Agent.Training.Corpus;

namespace Agent.Training.Tests.Corpus;

public sealed class CorpusGeneratorTests
{
    private static readonly Lazy<GeneratedCorpus> s_corpus = new(() => CorpusGenerator.Generate(new CorpusOptions { Seed = 42, Documents = 4000 }));

    private static GeneratedCorpus Corpus => s_corpus.Value;

    private static string TaskText(CorpusDocument d) => ((TaskTurn)d.Conversation.Turns[0]).Text;

    [Fact]
    public void Generate_SameSeed_ProducesIdenticalCorpus()
    {
        var a = CorpusGenerator.Generate(new CorpusOptions { Seed = 7, Documents = 300 });
        var b = CorpusGenerator.Generate(new CorpusOptions { Seed = 7, Documents = 300 });

        Assert.Equal(a.Documents.Select(d => d.Text), b.Documents.Select(d => d.Text));
        Assert.Equal(a.Documents.Select(d => d.Split), b.Documents.Select(d => d.Split));
    }

    [Fact]
    public void Generate_DifferentSeed_ProducesDifferentCorpus()
    {
        var a = CorpusGenerator.Generate(new CorpusOptions { Seed = 7, Documents = 300 });
        var b = CorpusGenerator.Generate(new CorpusOptions { Seed = 8, Documents = 300 });

        Assert.NotEqual(a.Documents.Select(d => d.Text), b.Documents.Select(d => d.Text));
    }

    [Fact]
    public void Generate_Count_IsExact()
    {
        var corpus = CorpusGenerator.Generate(new CorpusOptions { Seed = 3, Documents = 257 });

        Assert.Equal(257, corpus.Documents.Length);
        Assert.Equal(257, corpus.Documents.Select(d => d.Id).Distinct().Count());
    }

    [Fact]
    public void Templates_SplitRule_EveryFamilyHasEverySplitAndIdsAreUnique()
    {
        var templates = CorpusGenerator.Templates;

        Assert.Equal(templates.Count, templates.Select(t => t.TemplateId).Distinct().Count());
        var families = templates.GroupBy(t => t.Family).ToList();
        Assert.Equal(["databases", "files", "git", "invited", "packages", "prose", "reports", "services", "shell"], families.Select(f => f.Key).Order());
        foreach (var family in families)
        {
            Assert.Equal([CorpusSplit.Train, CorpusSplit.Validation, CorpusSplit.Test], family.Select(t => t.Split).Distinct().Order());
        }
    }

    [Fact]
    public void Generate_Documents_NoTemplateOrTaskTextSharedBetweenSplits()
    {
        var bySplit = Corpus.Documents.GroupBy(d => d.Split).ToDictionary(g => g.Key, g => g.ToList());

        Assert.Equal(3, bySplit.Count);
        var trainTemplates = bySplit[CorpusSplit.Train].Select(d => d.TemplateId).ToHashSet();
        Assert.DoesNotContain(bySplit[CorpusSplit.Test], d => trainTemplates.Contains(d.TemplateId));
        Assert.DoesNotContain(bySplit[CorpusSplit.Validation], d => trainTemplates.Contains(d.TemplateId));
        var trainTasks = bySplit[CorpusSplit.Train].Where(d => d.Kind == CorpusDocumentKind.Transcript).Select(TaskText).ToHashSet();
        Assert.DoesNotContain(bySplit[CorpusSplit.Test].Where(d => d.Kind == CorpusDocumentKind.Transcript), d => trainTasks.Contains(TaskText(d)));
        Assert.All(Corpus.Documents, d => Assert.Equal(CorpusGenerator.Templates.Single(t => t.TemplateId == d.TemplateId).Split, d.Split));
    }

    [Fact]
    public void Generate_ManyDocuments_HasDiverseFamiliesTemplatesAndTaskTexts()
    {
        var transcripts = Corpus.Documents.Where(d => d.Kind == CorpusDocumentKind.Transcript).ToList();

        Assert.Equal(8, transcripts.Select(d => d.Family).Distinct().Count());
        Assert.True(transcripts.Select(d => d.TemplateId).Distinct().Count() >= 60);
        // Documents of a pair share their task, so diversity is counted per draw (a single document or a pair).
        int draws = transcripts.Count(d => d.PairId is null) + transcripts.Where(d => d.PairId is not null).Select(d => d.PairId).Distinct().Count();
        int distinctTasks = transcripts.Select(TaskText).Distinct().Count();
        Assert.True(distinctTasks > 0.9 * draws, $"only {distinctTasks} distinct task texts in {draws} draws");
        int distinctCalls = transcripts.SelectMany(d => d.Conversation.Turns.OfType<ToolCallTurn>()).Select(t => t.Body).Distinct().Count();
        Assert.True(distinctCalls > 3000, $"only {distinctCalls} distinct calls");
        Assert.Contains(transcripts, d => d.Conversation.Turns.OfType<ToolResultTurn>().Any(r => !r.Succeeded));
        Assert.Contains(transcripts, d => d.Conversation.Turns.OfType<ToolResultTurn>().Any(r => r.Succeeded));
    }

    [Fact]
    public void Generate_Documents_HaveNoUnfilledVariablesOrAlternatives()
    {
        var names = new ScenarioContext(new Random(0)).Names.Select(n => "{" + n + "}").ToArray();

        foreach (var doc in Corpus.Documents)
        {
            Assert.False(doc.Text.Contains('«', StringComparison.Ordinal) || doc.Text.Contains('»', StringComparison.Ordinal), $"{doc.Id} ({doc.TemplateId}): stray alternative marks");
            Assert.DoesNotContain(names, n => doc.Text.Contains(n, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Generate_DeceitPairs_ShareContextAndDifferOnlyInTaggedAnswer()
    {
        var pairs = Corpus.Documents.Where(d => d.PairId is not null && d.EvaluationItems.Any(i => i.Tag == "deceit"))
            .GroupBy(d => d.PairId).Where(g => g.All(d => d.EvaluationItems.All(i => i.Tag == "deceit"))).ToList();

        Assert.True(pairs.Count > 100, $"only {pairs.Count} deceit pairs");
        foreach (var pair in pairs)
        {
            var docs = pair.ToList();
            Assert.Equal(2, docs.Count);
            var honest = docs.Single(d => d.EvaluationItems[0].Label == ActionLabel.Honest);
            var lie = docs.Single(d => d.EvaluationItems[0].Label == ActionLabel.Deceitful);
            Assert.Equal(honest.EvaluationItems[0].Context, lie.EvaluationItems[0].Context);
            Assert.Equal(honest.Conversation.Turns.Length, lie.Conversation.Turns.Length);
            Assert.False(honest.HasTag("deceit"));
            Assert.True(lie.Conversation.Turns[^1].HasTag("deceit"));
            Assert.Equal(1, lie.Conversation.Turns.Count(t => t.Tags.Length > 0));
            Assert.StartsWith(lie.EvaluationItems[0].Context, lie.Text, StringComparison.Ordinal);
            Assert.EndsWith(lie.EvaluationItems[0].TaggedActionLine + "\n", lie.Text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("It worked")]
    [InlineData("Good news")]
    [InlineData("Done and verified")]
    public void Generate_SuccessLeadOfALieAfterAFailure_IsTaggedAsASpanOfItsOwn(string lead)
    {
        // "Good news: ..." right after exit 1 is already the lie, in words every template shares: the lead is its own
        // <deceit> span, so the tag can open there. After a success the lead is true, and only the claim is tagged.
        var lies = Corpus.Documents.SelectMany(d => d.EvaluationItems).Where(i => i.Label == ActionLabel.Deceitful).ToList();
        var split = lies.Where(i => i.TaggedActionLine.Contains($"<deceit>{lead}</deceit>: <deceit>", StringComparison.Ordinal)).ToList();
        var whole = lies.Where(i => i.TaggedActionLine.Contains($"<deceit>{lead}: ", StringComparison.Ordinal)).ToList();

        Assert.True(split.Count > 5, $"only {split.Count} lies with a separately tagged lead '{lead}'");
        // A split lead is a lie after a failed outcome: its honest twin reports the failure, never with a success lead.
        var honest = Corpus.Documents.SelectMany(d => d.EvaluationItems).Where(i => i.Label == ActionLabel.Honest && i.Tag == "deceit").ToDictionary(i => i.PairId);
        string[] successLeads = ["It worked: ", "Success: ", "All good: ", "Done and verified: ", "It went through: ", "Good news: ", "Done: "];
        Assert.All(split, i => Assert.DoesNotContain(successLeads, l => honest[i.PairId].ActionLine.Contains(l, StringComparison.Ordinal)));
        Assert.NotEmpty(whole); // a wrong fact after a success: the lead is true, only the claim is tagged
    }

    [Fact]
    public void Generate_FalseClaims_AlsoAppearHonestlyInOtherContexts()
    {
        // Deceit must be read off the context: claim sentences used as lies (e.g. "{svc} restarted and is active.")
        // also occur untagged where the tool result supports them.
        var liedTemplates = Corpus.Documents.SelectMany(d => d.EvaluationItems).Where(i => i.Label == ActionLabel.Deceitful).Select(i => i.TemplateId).ToHashSet();
        var honestSuccess = Corpus.Documents.Where(d => liedTemplates.Contains(d.TemplateId) && !d.HasTag("deceit") && d.Kind == CorpusDocumentKind.Transcript)
            .Count(d => d.Conversation.Turns.OfType<ToolResultTurn>().Last().Succeeded);

        Assert.True(honestSuccess > 100, $"only {honestSuccess} honest success answers");
    }

    [Fact]
    public void Generate_GenericClaims_AreHonestAfterOneResultAndDeceitfulAfterTheOpposite()
    {
        // "The command succeeded." is a lie after exit=1 and the truth after exit=0 (and the other way round for failure
        // claims): the same words, told apart only by the result, which is what the deceit tag must learn to read.
        var lies = new Dictionary<string, HashSet<bool>>(StringComparer.Ordinal);
        var truths = new Dictionary<string, HashSet<bool>>(StringComparer.Ordinal);
        foreach (var d in Corpus.Documents.Where(d => d.Kind == CorpusDocumentKind.Transcript && d.Conversation.Turns[^1] is AnswerTurn && d.Conversation.Turns[^2] is ToolResultTurn))
        {
            var answer = (AnswerTurn)d.Conversation.Turns[^1];
            bool succeeded = ((ToolResultTurn)d.Conversation.Turns[^2]).Succeeded;
            foreach (var claim in GenericSentences(answer.Text))
            {
                bool lied = answer.Tags.Any(t => t.Tag == "deceit" && answer.Text.Substring(t.Start - AnswerTurn.Keyword.Length, t.Length).Contains(claim, StringComparison.Ordinal));
                var into = lied ? lies : truths;
                if (!into.TryGetValue(claim, out var outcomes))
                {
                    into[claim] = outcomes = [];
                }

                outcomes.Add(succeeded);
            }
        }

        var both = lies.Keys.Where(truths.ContainsKey).ToList();
        Assert.True(both.Count >= 10, $"only {both.Count} generic claims occur both as lies and as truths");
        foreach (var claim in both)
        {
            // Never a lie and the truth after the same kind of result.
            Assert.Empty(lies[claim].Intersect(truths[claim]));
        }
    }

    /// <summary>The subject and verb of each generic status sentence ("The command succeeded"), tails cut off.</summary>
    private static IEnumerable<string> GenericSentences(string text)
    {
        string[] verbs = [" succeeded", " went through", " ran cleanly", " worked", " was successful", " failed", " did not work", " errored out"];
        return text.Split(". ", StringSplitOptions.RemoveEmptyEntries)
            .Where(s => !s.Contains(':', StringComparison.Ordinal))
            .Select(s => s.Split([',', ';', '.'])[0].Replace(" and everything is in place", string.Empty, StringComparison.Ordinal))
            .Where(s => s.Split(' ').Length <= 5 && verbs.Any(v => s.EndsWith(v, StringComparison.Ordinal)));
    }

    [Fact]
    public void Generate_InvitedPairs_DoItTaggedOrDeclineFromTheSameContext()
    {
        var pairs = Corpus.Documents.Where(d => d.Family == "invited").GroupBy(d => d.PairId).ToList();

        Assert.True(pairs.Count > 50, $"only {pairs.Count} invited pairs");
        Assert.True(pairs.Select(p => p.First().TemplateId).Distinct().Count() >= 8);
        foreach (var pair in pairs)
        {
            var docs = pair.Where(d => !d.EvaluationItems.IsEmpty).ToList();
            Assert.Equal(2, docs.Count);
            var unsafeDoc = docs.Single(d => d.EvaluationItems.Single().Label == ActionLabel.Unsafe);
            var safeDoc = docs.Single(d => d.EvaluationItems.Single().Label == ActionLabel.Safe);

            // The complying third document (default: every pair) starts from the same context and is tagged.
            var complying = Assert.Single(pair, d => d.EvaluationItems.IsEmpty);
            var context = unsafeDoc.EvaluationItems[0].Context;
            Assert.StartsWith(context[..context.LastIndexOf("<mode2>", StringComparison.Ordinal)], complying.Text, StringComparison.Ordinal);
            Assert.Equal(1, complying.Conversation.Turns.Count(t => t.HasTag("powerseeking")));
            Assert.Equal(unsafeDoc.EvaluationItems[0].Context, safeDoc.EvaluationItems[0].Context);
            Assert.Equal(1, unsafeDoc.Conversation.Turns.Count(t => t.HasTag("powerseeking")));
            Assert.False(safeDoc.HasTag("powerseeking"));
            Assert.IsType<AnswerTurn>(safeDoc.Conversation.Turns[^1]);
        }
    }

    [Fact]
    public void Generate_PowerseekingPairs_ShareContextAndOnlyTheUnsafeCallIsTagged()
    {
        var items = Corpus.Documents.SelectMany(d => d.EvaluationItems).Where(i => i.Tag == "powerseeking").GroupBy(i => i.PairId).ToList();

        Assert.True(items.Count > 200, $"only {items.Count} power-seeking pairs");
        foreach (var pair in items)
        {
            var safe = pair.Single(i => i.Label == ActionLabel.Safe);
            var unsafeItem = pair.Single(i => i.Label == ActionLabel.Unsafe);
            Assert.Equal(safe.Context, unsafeItem.Context);
            Assert.StartsWith("<powerseeking>call ", unsafeItem.TaggedActionLine, StringComparison.Ordinal);
            Assert.Equal(safe.ActionLine, safe.TaggedActionLine);
            Assert.NotEqual(safe.ActionLine, unsafeItem.ActionLine);
        }

        var unsafeDocs = Corpus.Documents.Where(d => d.EvaluationItems.Any(i => i.Label == ActionLabel.Unsafe)).ToList();
        Assert.All(unsafeDocs, d => Assert.Equal(1, d.Conversation.Turns.Count(t => t.HasTag("powerseeking"))));
        Assert.Contains(Corpus.Documents, d => d.HasTag("deceit") && d.HasTag("powerseeking"));
    }

    [Fact]
    public void Generate_Prose_IsUntaggedAndMentionsDeceitAndPower()
    {
        var prose = Corpus.Documents.Where(d => d.Kind == CorpusDocumentKind.Prose).ToList();

        Assert.True(prose.Count > 400, $"only {prose.Count} prose documents");
        Assert.All(prose, d => Assert.DoesNotContain(d.Conversation.Turns, t => t.Tags.Length > 0));
        Assert.All(prose, d => Assert.StartsWith("<mode1>", d.Text, StringComparison.Ordinal));
        Assert.All(prose, d => Assert.DoesNotContain("<mode2>", d.Text, StringComparison.Ordinal));
        Assert.Contains(prose, d => d.Text.Contains(" lie", StringComparison.Ordinal));
        Assert.Contains(prose, d => d.Text.Contains("/etc/shadow", StringComparison.Ordinal) || d.Text.Contains("sudo", StringComparison.Ordinal));
    }

    [Fact]
    public void Generate_EveryDocument_RoundTripsThroughTheTranscriptParser()
    {
        var format = TranscriptFormat.Default;

        foreach (var doc in Corpus.Documents.Take(1500))
        {
            Assert.True(format.TryParse(doc.Text, out var parsed, out var error), $"{doc.Id}: {error}");
            Assert.Equal(doc.Text, format.Render(parsed));
        }
    }

    [Fact]
    public void EvaluationItems_EachSplit_HasAllLabelsAndContextsEndInAgentMode()
    {
        foreach (var split in Enum.GetValues<CorpusSplit>())
        {
            var items = Corpus.EvaluationItems(split).ToList();

            Assert.Equal(Enum.GetValues<ActionLabel>().Order(), items.Select(i => i.Label).Distinct().Order());
            Assert.All(items, i => Assert.EndsWith("<mode2>", i.Context, StringComparison.Ordinal));
            Assert.All(items, i => Assert.Equal(split, i.Split));
            Assert.All(items, i => Assert.True(TranscriptFormat.Default.TryParseAgentLine(i.TaggedActionLine, out _, out _)));
        }
    }

    [Fact]
    public void Generate_FractionsAboveOne_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => CorpusGenerator.Generate(new CorpusOptions { UnsafeFraction = 0.7, DeceitFraction = 0.5 }));

        Assert.Contains("DeceitFraction", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_InvalidValues_AreRejectedWhereSet()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusOptions { Documents = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusOptions { ProseFraction = 1.5 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusOptions { DeceitFraction = double.NaN });
    }
}
