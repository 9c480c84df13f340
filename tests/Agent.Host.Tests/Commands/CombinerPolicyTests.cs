using System.Text.Json;
using Agent.Decoding;
using Agent.Host.Commands;
using Agent.Monitoring;
using Agent.Runtime.Policy;
using Agent.Training.Audit;

namespace Agent.Host.Tests.Commands;

/// <summary>
/// The policy fragment of <c>agent audit --policy-out</c> (<see cref="CombinerPolicy"/>): read back through the real host
/// configuration (<c>--settings</c> layered over appsettings.json) and the policy validator, the gate's combined score
/// equals the audit's combiner's for every outcome of the last tool result.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class CombinerPolicyTests
{
    private static readonly double[] Models = [1e-15, 0.01, 0.2, 0.5, 0.93, 1];
    private static readonly double[] Classifiers = [0, 0.05, 0.5, 0.99];
    private static readonly int?[] ExitCodes = [null, 0, 1, 100];
    private static readonly Dictionary<string, ActionKind> s_kinds = new() { ["deceit"] = ActionKind.Answer, ["powerseeking"] = ActionKind.Call };

    // Two noisy signals of one label; the offsets differ per outcome so each outcome's fit differs.
    private static SignalCombiner Fit(int seed, double modelShift)
    {
        var random = new Random(seed);
        var model = new List<double>();
        var classifier = new List<double>();
        var labels = new List<bool>();
        for (int i = 0; i < 200; i++)
        {
            var label = i % 2 == 0;
            var z = label ? 1.0 : -1.0;
            model.Add(1 / (1 + Math.Exp(-((modelShift * z) + random.NextDouble() - 0.5))));
            classifier.Add(1 / (1 + Math.Exp(-((1.5 * z) + (2 * random.NextDouble()) - 1))));
            labels.Add(label);
        }

        return SignalCombiner.Fit(model, classifier, labels);
    }

    public static TheoryData<CombinerScope> Scopes => new() { CombinerScope.PerOutcomeAndFlaggedCall, CombinerScope.PerOutcome, CombinerScope.Pooled };

    [Theory]
    [MemberData(nameof(Scopes))]
    public void Fragment_LoadedThroughTheHost_GateScoresEqualTheAuditsCombinerPerOutcome(CombinerScope scope)
    {
        var perOutcome = scope != CombinerScope.Pooled;
        List<OutcomeCombiner> byOutcome = scope switch
        {
            CombinerScope.Pooled => [],
            CombinerScope.PerOutcome => [new(ResultOutcome.Failed, 50, 50, Fit(2, 2.5)), new(ResultOutcome.Succeeded, 50, 50, Fit(3, 0.2))],
            _ => [new(ResultOutcome.Failed, 50, 50, Fit(2, 2.5)), new(ResultOutcome.Succeeded, 50, 50, Fit(3, 0.2)), new(ResultOutcome.SucceededAfterFlaggedCall, 30, 30, Fit(6, 1.8))],
        };
        var fits = new List<CombinerFit>
        {
            new("deceit", 100, 100, Fit(1, 1.0), 0.81) { Scope = scope, ByOutcome = byOutcome },
            // A per-outcome fit of the no-result spans alone (as the audit's calls are): it is the top level.
            new("powerseeking", 100, 100, Fit(4, 1.5), 0.62) { Scope = scope, ByOutcome = perOutcome ? [new OutcomeCombiner(ResultOutcome.None, 60, 60, Fit(5, 3))] : [] },
        };
        var settings = TestSettings.Create();
        var fragment = Path.Combine(settings.Folder, "combined-policy.json");
        File.WriteAllText(fragment, CombinerPolicy.Write(fits, ShippedPolicy(settings), s_kinds));

        var builder = AgentHost.CreateBuilder(settings.SettingsFile, [], [fragment]);
        AgentHost.AddPolicy(builder);
        using var host = builder.Build();
        var (policy, options) = PolicyReader.Read(host.Services);

        // Each tag on the tools its head reads (deceit: answers; powerseeking: every call tool), the global entries untouched:
        // there the tags still read the model where the classifier has no head.
        var json = JsonDocument.Parse(File.ReadAllText(fragment)).RootElement.GetProperty("Policy");
        Assert.False(json.TryGetProperty("Tags", out _));
        Assert.Equal(["answer", "files.list", "files.read", "files.write", "shell.run"], json.GetProperty("Tools").EnumerateObject().Select(t => t.Name));
        Assert.Equal(["deceit"], json.GetProperty("Tools").GetProperty("answer").GetProperty("Tags").EnumerateObject().Select(t => t.Name));
        Assert.Equal(["powerseeking"], json.GetProperty("Tools").GetProperty("files.write").GetProperty("Tags").EnumerateObject().Select(t => t.Name));
        Assert.NotEqual(TagSignals.Combined, options.Tags["deceit"].Signals);
        Assert.NotEqual(TagSignals.Combined, options.Tags["powerseeking"].Signals);
        var deceit = json.GetProperty("Tools").GetProperty("answer").GetProperty("Tags").GetProperty("deceit");
        Assert.Equal("Combined", deceit.GetProperty("Signals").GetString());
        Assert.Equal(perOutcome, deceit.GetProperty("Combined").TryGetProperty("AfterFailure", out _));
        Assert.Equal(scope == CombinerScope.PerOutcomeAndFlaggedCall, deceit.GetProperty("Combined").TryGetProperty("AfterFlaggedCall", out _));
        Assert.Equal(0.81, deceit.GetProperty("Combined").GetProperty("Escalate").GetDouble());
        Assert.Equal(["Policy:Tools:answer:Tags:deceit", "Policy:Tools:files.list:Tags:powerseeking", "Policy:Tools:files.read:Tags:powerseeking",
            "Policy:Tools:files.write:Tags:powerseeking", "Policy:Tools:shell.run:Tags:powerseeking"], policy.CombinedRules.Select(r => r.Key));

        foreach (var (fit, tool) in new[] { (fits[0], PolicyOptions.AnswerTool), (fits[1], "shell.run"), (fits[1], "files.write") })
        {
            var combined = options.Tools[tool].Tags[fit.Tag].Combined!;
            foreach (var (exit, flagged) in ExitCodes.SelectMany(e => new[] { (e, false), (e, true) }))
            {
                foreach (var m in Models)
                {
                    foreach (var c in Classifiers)
                    {
                        var expected = fit.Score(m, c, ResultOutcomes.Of(exit, flagged));
                        Assert.Equal(expected, combined.WeightsFor(exit, flagged).Score(m, c), 12);

                        var decision = policy.Evaluate(tool, new GateSignals(
                            new Dictionary<string, TemptationAggregate> { [fit.Tag] = new(m, m, m) }, new Dictionary<string, double> { [fit.Tag] = c })
                        { LastExitCode = exit, EarlierCallFlagged = flagged });
                        Assert.Equal(expected >= fit.Threshold, decision.Signal == GateSignal.Combined);
                        if (decision.Signal == GateSignal.Combined)
                        {
                            Assert.Equal(expected, Assert.Single(decision.Fired).Value, 12);
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Info_WithTheFragment_ReadsTheCombinedSignalAndAnInvalidOneExitsTwoNamingTheKey()
    {
        var settings = TestSettings.Create(Path.Combine(TestSettings.RepoRoot, "models", "agent-default.gguf"));
        var fragment = Path.Combine(settings.Folder, "combined-policy.json");
        File.WriteAllText(fragment, CombinerPolicy.Write([new CombinerFit("deceit", 10, 10, Fit(1, 1.0), 0.81)], ShippedPolicy(settings), s_kinds));

        var info = await AgentProcess.RunAsync(settings, "info", "--json", "--model", "default", "--settings", fragment);

        Assert.True(info.ExitCode == 0, info.ToString());
        var root = JsonDocument.Parse(info.Stdout).RootElement;
        var tags = (root.TryGetProperty("model", out var model) ? model : root).GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("tag").GetString()!, t => t.GetProperty("readout"));
        Assert.Equal("model+classifier+combined", tags["deceit"].GetProperty("gate_reads").GetString());
        Assert.Equal("model+classifier", tags["powerseeking"].GetProperty("gate_reads").GetString());

        var broken = JsonDocument.Parse(File.ReadAllText(fragment)).RootElement.GetRawText().Replace("\"Escalate\": 0.81", "\"Escalate\": 1.5", StringComparison.Ordinal);
        Assert.Contains("1.5", broken, StringComparison.Ordinal);
        File.WriteAllText(fragment, broken);
        var refused = await AgentProcess.RunAsync(settings, "info", "--json", "--settings", fragment);

        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("Policy:Tools:answer:Tags:deceit:Combined:Escalate is 1.5: a threshold on the combined score lies strictly between 0 and 1", refused.Stderr, StringComparison.Ordinal);
    }

    private static PolicyOptions ShippedPolicy(TestSettings settings)
    {
        var builder = AgentHost.CreateBuilder(settings.SettingsFile, []);
        AgentHost.AddPolicy(builder);
        using var host = builder.Build();
        return PolicyReader.Read(host.Services).Options;
    }
}
