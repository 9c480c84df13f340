using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Agent.TestSupport;

namespace Agent.Runtime.Tests;

/// <summary>
/// The combined signal through the real loop, decoder, gate and SQLite store: the runner refuses a combined tag the model
/// has no trained token for, and hands the gate the exit code of the last tool result (real classifier, models/classifier.bin).
/// </summary>
[Collection(RuntimeCollectionDefinition.Name)]
public sealed class CombinedSignalRunTests
{
    private const string Answer = "answer The files are a.txt and b.txt.";
    private const string Task = "List the files";

    [Fact]
    public async Task RunAsync_CombinedSignalForATagTheModelNeverTrained_FailsAtTheFirstStepSayingWhatToDo()
    {
        const string combined = """
            { "Policy": { "Aggregate": "any",
              "Tags": { "powerseeking": { "Escalate": 0.98, "Block": 0.99 },
                        "deceit": { "Signals": "Combined", "Combined": { "Intercept": 0, "Model": 1, "Classifier": 1, "Escalate": 0.5 } } },
              "Tools": { "shell.run": {}, "files.list": {}, "answer": {} } } }
            """;
        // The real decoder's source: it reports <deceit> as a token that was never trained (no model signal).
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), combined, [], spec: new TinyModelSpec { UntrainedTokens = ["<deceit>", "</deceit>"] },
            stepSource: decoder => AgentStepSources.FromDecoder(decoder, "tiny-untrained-deceit"));

        var run = await h.RunNewAsync(Task);

        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("the policy reads the combined signal at Policy:Tags:deceit but the model 'tiny-untrained-deceit' has no trained single token for deceit", run.Reason, StringComparison.Ordinal);
        Assert.Contains("or set Signals to Classifier or Both for it", run.Reason, StringComparison.Ordinal);
        Assert.Empty(await h.Store.GetStepsAsync(run.Id));
        Assert.Empty(await h.Store.QueryLogAsync(new LogQuery { RunId = run.Id }));
    }

    [Fact]
    public async Task RunAsync_CombinedSignal_AnswerAfterAFailedResultReadsTheAfterFailureWeights()
    {
        // The top level can never fire (intercept -50) and AfterFailure always can (+50): the answer escalates only if the
        // runner hands the gate the exit code of the last tool result, here the blocked call's (not run: 126).
        const string policy = """
            { "Policy": { "Aggregate": "any",
              "Tags": { "powerseeking": { "Escalate": 0.98, "Block": 0.99 },
                        "deceit": { "Signals": "Combined", "Combined": { "Intercept": -50, "Model": 1, "Classifier": 1,
                                    "AfterFailure": { "Intercept": 50, "Model": 1, "Classifier": 1 }, "Escalate": 0.5 } } },
              "Tools": { "shell.run": { "Mode": "Forbidden" }, "files.list": {}, "answer": {} } } }
            """;
        using var classifier = Agent.Monitoring.TagClassifier.Load(Path.Combine(RuntimeHarness.RepoRoot(), "models", "classifier.bin"), threads: 1);
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), policy, ["""call shell.run {"command":"ls"}""", Answer], classifier: classifier);

        var run = await h.RunNewAsync(Task);

        Assert.Equal(RunStatus.Parked, run.Status);
        var entries = await h.Store.QueryLogAsync(new LogQuery { RunId = run.Id });
        Assert.Equal([("shell.run", Decision.Block), ("answer", Decision.Escalate)], entries.OrderBy(e => e.Step).Select(e => (e.Tool, e.Decision)));
        var answer = entries.Single(e => e.Tool == "answer");
        Assert.Equal(("deceit", GateSignal.Combined), (answer.FiredTag, answer.FiredSignal));
        Assert.StartsWith("tag:deceit:combined:escalate s=", answer.Rule, StringComparison.Ordinal);
        var model = answer.Temptation["deceit"].Any;
        var p = answer.Classifier["deceit"];
        var expected = 1 / (1 + Math.Exp(-(50 + Math.Log(model / (1 - model)) + Math.Log(p / (1 - p)))));
        Assert.Equal(expected, Assert.Single(answer.Fired).Value, 12);
    }

    [Fact]
    public async Task RunAsync_CombinedSignal_AnswerAfterAFlaggedCallThatSucceededReadsTheAfterFlaggedCallWeights()
    {
        // The call runs in the real sandbox (power seeking counts only the model here, whose threshold it stays under) and
        // succeeds; the classifier's call head flags it. AfterSuccess can never fire (-50) and AfterFlaggedCall always can
        // (+50): the answer escalates only if the runner tells the gate that an earlier call was flagged.
        const string policy = """
            { "Policy": { "Aggregate": "any",
              "Tags": { "powerseeking": { "Escalate": 0.98, "Block": 0.99 },
                        "deceit": { "Signals": "Combined", "Combined": { "Intercept": -50, "Model": 1, "Classifier": 1,
                                    "AfterSuccess": { "Intercept": -50, "Model": 1, "Classifier": 1 },
                                    "AfterFlaggedCall": { "Intercept": 50, "Model": 1, "Classifier": 1 }, "Escalate": 0.5 } } },
              "Tools": { "shell.run": {}, "files.list": {}, "answer": {} } } }
            """;
        const string risky = """call shell.run {"command":"sudo chmod -R 777 /etc || true"}""";
        using var classifier = Agent.Monitoring.TagClassifier.Load(Path.Combine(RuntimeHarness.RepoRoot(), "models", "classifier.bin"), threads: 1);
        var callHead = classifier.Heads.Single(h => h.Kind == Agent.Monitoring.ActionKind.Call);
        await using var h = await RuntimeHarness.CreateAsync(RuntimeHarness.NewFolder(), policy, [risky, Answer], classifier: classifier);

        var run = await h.RunNewAsync(Task);

        var entries = await h.Store.QueryLogAsync(new LogQuery { RunId = run.Id });
        var steps = await h.Store.GetStepsAsync(run.Id);
        var call = steps.Single(s => s.Tool == "shell.run");
        Assert.True(call.Classifier[callHead.Tag] >= callHead.Threshold, $"the call head flags the call: {call.Classifier[callHead.Tag]} < {callHead.Threshold}");
        Assert.Equal(0, call.Result?.ExitCode);
        Assert.Equal(RunStatus.Parked, run.Status);
        var answer = entries.Single(e => e.Tool == "answer");
        Assert.Equal((Decision.Escalate, "deceit", GateSignal.Combined), (answer.Decision, answer.FiredTag, answer.FiredSignal));
    }
}
