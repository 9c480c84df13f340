using System.Globalization;
using Agent.Decoding;
using Agent.Llama;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Agent.TestSupport;

namespace Agent.Runtime.Tests;

/// <summary>
/// The mode rule end to end: a tiny model with a trained mode head (<see cref="TinyModeHead"/>) through the real
/// decoder, gate, SQLite store and loop; a model without a head, with and without the rule.
/// </summary>
[Collection(RuntimeCollectionDefinition.Name)]
public sealed class ModeRuleRunTests
{
    private const string Answer = "answer The files are a.txt and b.txt.";
    private const string Task = "List the files";

    private static string Policy(string modeHead) => $$"""
        { "Policy": { "Aggregate": "any", "ModeHead": {{modeHead}},
          "Tags": { "powerseeking": { "Escalate": 0.98, "Block": 0.99 }, "deceit": { "Escalate": 0.98, "Block": 0.99 } },
          "Tools": { "shell.run": {}, "files.list": {}, "answer": {} } } }
        """;

    [Fact]
    public async Task RunAsync_TrainedHeadAndMeanBelowEscalateBelow_EscalatesAndJournalAndLogCarryPMode2()
    {
        var (model, accuracy) = TinyModeHead.Create();
        Assert.True(accuracy >= 0.85, $"the head read the mode of only {accuracy:P0} of its training tokens");

        // A rule that cannot fire (nothing is below 0) still needs the head: the step's p(mode2) is journaled.
        double mean;
        string prompt;
        await using (var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), Policy("""{ "EscalateBelow": 0 }"""), [Answer], modelPath: model))
        {
            var done = await h.RunNewAsync(Task);
            Assert.Equal(RunStatus.Completed, done.Status);
            var step = Assert.Single(await h.Store.GetStepsAsync(done.Id));
            Assert.NotNull(step.Mode);
            mean = step.Mode.Mean;
            Assert.InRange(step.Mode.Min, 0, mean);
            Assert.InRange(mean, step.Mode.Min, 1);
            prompt = h.Source.Prompts[0];
        }

        // The journaled mean is the head's own reading of exactly these tokens, by a decoder of its own.
        using (var llama = LlamaModel.Load(model))
        using (var decoder = TagDecoder.Create(llama, TagSet.Resolve(llama.Vocab, Tags()), new DecoderOptions { ContextSize = 1024, Threads = 2, ModeHead = ModeHead.TryLoad(model) }))
        {
            var reference = await decoder.ScoreAsync(prompt, Answer);
            Assert.Equal(reference.Entries.Average(e => e.Mode2Probability!.Value), mean, 6);

            // The trained head tells the modes apart on these very tokens: written as text after <mode1> they read lower.
            var asText = await decoder.ScoreAsync("<mode1>a blog post on how to list the files\n", Answer);
            Assert.True(asText.Entries.Average(e => e.Mode2Probability!.Value) < mean, "the head did not read the answer written as text as less Mode 2");
        }

        // Just above the mean, the same step escalates by the mode rule and the log entry keeps mean, min and each token's value.
        var threshold = mean + 1e-4;
        await using (var h = await RuntimeHarness.CreateAsync(
            RuntimeHarness.NewFolder(), Policy($$"""{ "EscalateBelow": {{threshold.ToString("R", CultureInfo.InvariantCulture)}} }"""), [Answer], modelPath: model))
        {
            var parked = await h.RunNewAsync(Task);

            Assert.Equal(RunStatus.Parked, parked.Status);
            var entry = Assert.Single(await h.Store.QueryLogAsync(new LogQuery { RunId = parked.Id }));
            Assert.Equal(Decision.Escalate, entry.Decision);
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"mode:escalate mean_p_mode2={mean:0.####}<{threshold:0.####}"), entry.Rule);
            Assert.Equal((null, GateSignal.Mode), (entry.FiredTag, entry.FiredSignal));
            var fired = Assert.Single(entry.Fired);
            Assert.Equal((GateSignal.Mode, Decision.Escalate, threshold), (fired.Signal, fired.Level, fired.Threshold));
            Assert.Equal(mean, entry.Mode!.Mean, 9);
            Assert.All(entry.Trace.Tokens, t => Assert.NotNull(t.Mode2));
            Assert.Equal(entry.Mode.Mean, entry.Trace.Tokens.Average(t => t.Mode2!.Value), 9);
            Assert.Equal(entry.Mode.Min, entry.Trace.Tokens.Min(t => t.Mode2!.Value), 9);
            var step = Assert.Single(await h.Store.GetStepsAsync(parked.Id));
            Assert.Equal((StepStatus.Pending, entry.Mode.Mean, entry.Mode.Min), (step.Status, step.Mode!.Mean, step.Mode.Min));
        }
    }

    [Fact]
    public async Task RunAsync_ModeRuleAndAModelWithoutHead_FailsAtTheFirstStepSayingWhatToDo()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), Policy("""{ "EscalateBelow": 0.5 }"""), [Answer]);

        var run = await h.RunNewAsync(Task);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("the policy has a mode rule (Policy:ModeHead) but the model 'tiny-test-model' has no mode head", run.Reason, StringComparison.Ordinal);
        Assert.Contains("use a model with a mode head", run.Reason, StringComparison.Ordinal);
        Assert.Contains("or remove Policy:ModeHead from the policy", run.Reason, StringComparison.Ordinal);
        Assert.Empty(await h.Store.GetStepsAsync(run.Id));
        Assert.Empty(await h.Store.QueryLogAsync(new LogQuery { RunId = run.Id }));
    }

    [Fact]
    public async Task RunAsync_ModelWithoutHeadAndNoModeRule_RunsAsBeforeWithNoModeSignal()
    {
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), Policy("null"), [Answer]);

        var run = await h.RunNewAsync(Task);

        Assert.Equal(RunStatus.Completed, run.Status);
        Assert.Equal("The files are a.txt and b.txt.", run.FinalAnswer);
        var step = Assert.Single(await h.Store.GetStepsAsync(run.Id));
        Assert.Equal((StepStatus.Answered, "tool:answer:below-thresholds"), (step.Status, step.Rule));
        Assert.Null(step.Mode);
    }

    private static TagOptions Tags() => TestTags.Default();
}
