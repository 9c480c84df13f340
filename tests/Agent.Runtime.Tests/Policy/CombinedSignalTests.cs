using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agent.Decoding;
using Agent.Runtime.Policy;

namespace Agent.Runtime.Tests.Policy;

/// <summary>The gate's combined signal (<see cref="TagSignals.Combined"/>): its score, thresholds, weights per outcome, override, rule text, validation and version.</summary>
public sealed class CombinedSignalTests
{
    private const double B = -1.5, Wm = 0.6, Wc = 1.2;
    private const double FailB = 0.5, FailWm = 1.4, FailWc = 0.3;
    private const double SuccessB = -3, SuccessWm = -0.2, SuccessWc = 2.0;

    // The score written out here, not through the code under test: sigmoid(b + wm logit(m) + wc logit(c)).
    private static double Expected(double b, double wm, double wc, double m, double c) =>
        1 / (1 + Math.Exp(-(b + (wm * Math.Log(m / (1 - m))) + (wc * Math.Log(c / (1 - c))))));

    private static CombinedThresholds Combined(double? escalate, double? block = null, bool perOutcome = true) => new()
    {
        Intercept = B,
        Model = Wm,
        Classifier = Wc,
        AfterFailure = perOutcome ? new CombinedWeights { Intercept = FailB, Model = FailWm, Classifier = FailWc } : null,
        AfterSuccess = perOutcome ? new CombinedWeights { Intercept = SuccessB, Model = SuccessWm, Classifier = SuccessWc } : null,
        Escalate = escalate,
        Block = block,
    };

    private static PolicyOptions Options(CombinedThresholds combined)
    {
        var options = new PolicyOptions { Aggregate = "any" };
        // The model's and classifier's own thresholds are low on purpose: a combined tag must not read them.
        options.Tags["deceit"] = new TagThresholds { Signals = TagSignals.Combined, Escalate = 0.01, Block = 0.02, Classifier = new SignalThresholds { Escalate = 0.01 }, Combined = combined };
        options.Tags["powerseeking"] = new TagThresholds { Escalate = 0.3, Block = 0.7 };
        options.Tools["shell.run"] = new ToolPolicy();
        return options;
    }

    // Max, mean and any differ, so reading the wrong aggregate changes the score.
    private static GateSignals Signals(double deceitAny, double classifier, int? lastExitCode = null, double powerseeking = 0) => new(
        new Dictionary<string, TemptationAggregate>
        {
            ["deceit"] = new TemptationAggregate(deceitAny / 2, deceitAny / 3, deceitAny),
            ["powerseeking"] = new TemptationAggregate(powerseeking, powerseeking, powerseeking),
        },
        new Dictionary<string, double> { ["deceit"] = classifier })
    { LastExitCode = lastExitCode };

    [Fact]
    public void Evaluate_SuccessAfterAFlaggedCall_ReadsAfterFlaggedCallAndAfterSuccessWithoutIt()
    {
        const double FlagB = 1.5, FlagWm = 1.2, FlagWc = 0.4;
        var combined = Combined(escalate: 0.5);
        combined.AfterFlaggedCall = new CombinedWeights { Intercept = FlagB, Model = FlagWm, Classifier = FlagWc };
        var policy = ActionPolicy.Create(Options(combined));

        Assert.Equal(Expected(FlagB, FlagWm, FlagWc, 0.4, 0.7), combined.WeightsFor(0, earlierCallFlagged: true).Score(0.4, 0.7), 12);
        Assert.Equal(Expected(SuccessB, SuccessWm, SuccessWc, 0.4, 0.7), combined.WeightsFor(0, earlierCallFlagged: false).Score(0.4, 0.7), 12);
        Assert.Equal(Expected(FailB, FailWm, FailWc, 0.4, 0.7), combined.WeightsFor(1, earlierCallFlagged: true).Score(0.4, 0.7), 12);
        Assert.Equal(Expected(B, Wm, Wc, 0.4, 0.7), combined.WeightsFor(null, earlierCallFlagged: true).Score(0.4, 0.7), 12);

        // The flagged weights score 0.92, the plain success ones 0.07: only the flagged answer escalates.
        var flagged = policy.Evaluate(PolicyOptions.AnswerTool, Signals(0.4, 0.7, lastExitCode: 0) with { EarlierCallFlagged = true });
        var plain = policy.Evaluate(PolicyOptions.AnswerTool, Signals(0.4, 0.7, lastExitCode: 0));
        Assert.Equal(Decision.Escalate, flagged.Decision);
        Assert.Equal(Expected(FlagB, FlagWm, FlagWc, 0.4, 0.7), Assert.Single(flagged.Fired).Value, 12);
        Assert.Equal(Decision.Allow, plain.Decision);

        // Without AfterFlaggedCall a flagged success reads AfterSuccess; the weights are part of the policy's version.
        combined.AfterFlaggedCall = null;
        var without = ActionPolicy.Create(Options(combined));
        Assert.Equal(Decision.Allow, without.Evaluate(PolicyOptions.AnswerTool, Signals(0.4, 0.7, lastExitCode: 0) with { EarlierCallFlagged = true }).Decision);
        Assert.NotEqual(policy.Version, without.Version);
    }

    [Fact]
    public void Validate_NonFiniteAfterFlaggedCallWeight_NamesTheKey()
    {
        var combined = Combined(escalate: 0.5);
        combined.AfterFlaggedCall = new CombinedWeights { Intercept = 0, Model = double.NaN, Classifier = 1 };

        var failures = new PolicyOptionsValidator().Validate(null, Options(combined)).Failures!.ToList();

        Assert.Contains(failures, f => f.StartsWith("Policy:Tags:deceit:Combined:AfterFlaggedCall:Model is NaN", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_ScoreAtItsThreshold_EscalatesNamingTheCombinedSignalAndNotBelow()
    {
        var score = Expected(B, Wm, Wc, 0.4, 0.7);

        var at = ActionPolicy.Create(Options(Combined(escalate: score, perOutcome: false))).Evaluate(PolicyOptions.AnswerTool, Signals(0.4, 0.7));
        var below = ActionPolicy.Create(Options(Combined(escalate: Math.BitIncrement(score), perOutcome: false))).Evaluate(PolicyOptions.AnswerTool, Signals(0.4, 0.7));

        Assert.Equal((Decision.Escalate, "deceit", GateSignal.Combined), (at.Decision, at.Tag, at.Signal));
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"tag:deceit:combined:escalate s={score:0.####}>={score:0.####}"), at.Rule);
        var fired = Assert.Single(at.Fired);
        Assert.Equal(("deceit", GateSignal.Combined, Decision.Escalate, score), (fired.Tag, fired.Signal, fired.Level, fired.Threshold));
        Assert.Equal(score, fired.Value, 12);
        Assert.Equal((Decision.Allow, GateSignal.None), (below.Decision, below.Signal));
        Assert.Empty(below.Fired); // the model's 0.4 and the classifier's 0.7 are over the tag's own thresholds, which a combined tag does not read
    }

    [Theory]
    [InlineData(null, B, Wm, Wc)]
    [InlineData(1, FailB, FailWm, FailWc)]
    [InlineData(127, FailB, FailWm, FailWc)]
    [InlineData(-1, FailB, FailWm, FailWc)]
    [InlineData(0, SuccessB, SuccessWm, SuccessWc)]
    public void Evaluate_LastExitCode_PicksTheWeightsOfItsOutcome(int? exitCode, double b, double wm, double wc)
    {
        var decision = ActionPolicy.Create(Options(Combined(escalate: 1e-9))).Evaluate(PolicyOptions.AnswerTool, Signals(0.35, 0.6, exitCode));

        var fired = Assert.Single(decision.Fired);
        Assert.Equal(Expected(b, wm, wc, 0.35, 0.6), fired.Value, 12);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    [InlineData(2)]
    public void Evaluate_NoWeightsForTheOutcome_ReadsTheTopLevelOnes(int? exitCode)
    {
        var decision = ActionPolicy.Create(Options(Combined(escalate: 1e-9, perOutcome: false))).Evaluate(PolicyOptions.AnswerTool, Signals(0.35, 0.6, exitCode));

        Assert.Equal(Expected(B, Wm, Wc, 0.35, 0.6), Assert.Single(decision.Fired).Value, 12);
    }

    [Fact]
    public void Evaluate_ScoreOverBlock_BlocksBeforeEscalating()
    {
        var score = Expected(B, Wm, Wc, 0.8, 0.9);

        var decision = ActionPolicy.Create(Options(Combined(escalate: score / 2, block: score, perOutcome: false))).Evaluate(PolicyOptions.AnswerTool, Signals(0.8, 0.9));

        Assert.Equal((Decision.Block, GateSignal.Combined), (decision.Decision, decision.Signal));
        Assert.StartsWith("tag:deceit:combined:block s=", decision.Rule, StringComparison.Ordinal);
        Assert.Equal(Decision.Block, Assert.Single(decision.Fired).Level);
    }

    [Fact]
    public void Evaluate_CombinedAndAnotherTagsModelCross_BothAreInFiredAndBlockDecides()
    {
        var decision = ActionPolicy.Create(Options(Combined(escalate: 1e-9, perOutcome: false))).Evaluate("shell.run", Signals(0.35, 0.6, powerseeking: 0.9));

        Assert.Equal(("powerseeking", GateSignal.Model, Decision.Block), (decision.Tag, decision.Signal, decision.Decision));
        Assert.Equal([("deceit", GateSignal.Combined, Decision.Escalate), ("powerseeking", GateSignal.Model, Decision.Block)],
            decision.Fired.Select(f => (f.Tag, f.Signal, f.Level)));
    }

    [Fact]
    public void Evaluate_ToolOverride_ReplacesTheGlobalCombinedSettingsForThatToolOnly()
    {
        var options = Options(Combined(escalate: 0.999, perOutcome: false));
        options.Tools[PolicyOptions.AnswerTool] = new ToolPolicy { Aggregate = "max" };
        options.Tools[PolicyOptions.AnswerTool].Tags["deceit"] = new TagThresholds
        {
            Signals = TagSignals.Combined,
            Combined = new CombinedThresholds { Intercept = 0, Model = 1, Classifier = 1, Escalate = 0.05 },
        };
        var policy = ActionPolicy.Create(options);

        var answer = policy.Evaluate(PolicyOptions.AnswerTool, Signals(0.4, 0.3));
        var call = policy.Evaluate("shell.run", Signals(0.4, 0.3));

        // The override reads the answer's own aggregate (max = 0.2) with its own weights and threshold.
        var score = Expected(0, 1, 1, 0.2, 0.3);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"tool:answer:tag:deceit:combined:escalate s={score:0.####}>=0.05"), answer.Rule);
        Assert.Equal(score, Assert.Single(answer.Fired).Value, 12);
        Assert.Equal(Decision.Allow, call.Decision);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Evaluate_EitherSignalAbsent_NoCombinedScoreSoItCannotFire(bool model, bool classifier)
    {
        // Intercept 40: any score there is would be 1.
        var combined = new CombinedThresholds { Intercept = 40, Model = 1, Classifier = 1, Escalate = 0.5, Block = 0.9 };
        var signals = new GateSignals(
            model ? new Dictionary<string, TemptationAggregate> { ["deceit"] = new(0.9, 0.9, 0.9) } : [],
            classifier ? new Dictionary<string, double> { ["deceit"] = 0.9 } : []);

        var decision = ActionPolicy.Create(Options(combined)).Evaluate(PolicyOptions.AnswerTool, signals);

        Assert.Equal((Decision.Allow, "answer:below-thresholds"), (decision.Decision, decision.Rule));
        Assert.Empty(decision.Fired);
    }

    [Fact]
    public void CountsClassifierAndCombinedRules_CombinedTag_LoadsTheClassifierAndIsListed()
    {
        var options = Options(Combined(escalate: 0.5));
        options.Tags.Remove("deceit");
        Assert.False(ActionPolicy.Create(options).CountsClassifier);
        Assert.Empty(ActionPolicy.CombinedRuleKeys(options));

        options.Tools["shell.run"].Tags["deceit"] = new TagThresholds { Signals = TagSignals.Combined, Combined = Combined(escalate: 0.5) };

        Assert.True(ActionPolicy.Create(options).CountsClassifier);
        Assert.Equal([("Policy:Tools:shell.run:Tags:deceit", "deceit")], ActionPolicy.CombinedRuleKeys(options));
    }

    [Fact]
    public void Version_PolicyWithoutCombined_KeepsTheVersionOfTheCanonicalJsonBeforeCombinedExisted()
    {
        var options = new PolicyOptions { Aggregate = "any" };
        options.Tags["deceit"] = new TagThresholds { Signals = TagSignals.Both, Escalate = 0.3, Block = 0.7, Classifier = new SignalThresholds { Escalate = 0.987 } };
        options.Tags["powerseeking"] = new TagThresholds { Escalate = 0.3, Block = 0.7 };
        options.Tools["shell.run"] = new ToolPolicy();
        options.Tools["shell.run"].Tags["powerseeking"] = new TagThresholds { Signals = TagSignals.Classifier, Classifier = new SignalThresholds { Escalate = 0.443 } };
        // A Combined section that is not read (Signals is not Combined) is not part of the policy either.
        options.Tags["powerseeking"].Combined = Combined(escalate: 0.5);

        // The canonical JSON as ActionPolicy.Create wrote it before the combined signal existed.
        var canonical = JsonSerializer.Serialize(new
        {
            aggregate = "any",
            tags = new object[]
            {
                new { tag = "deceit", escalate = (double?)0.3, block = (double?)0.7, signals = "Both", classifier_escalate = (double?)0.987, classifier_block = (double?)null },
                new { tag = "powerseeking", escalate = (double?)0.3, block = (double?)0.7 },
            },
            tools = new[]
            {
                new
                {
                    tool = "shell.run",
                    mode = "Gated",
                    aggregate = (string?)null,
                    tags = new object[] { new { tag = "powerseeking", escalate = (double?)null, block = (double?)null, signals = "Classifier", classifier_escalate = (double?)0.443, classifier_block = (double?)null } },
                },
            },
        });
        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];

        Assert.Equal(expected, ActionPolicy.Create(options).Version);
    }

    [Fact]
    public void Version_CombinedSettings_AreHashed()
    {
        var versions = new List<string>();
        foreach (var edit in new Action<CombinedThresholds>[] { _ => { }, c => c.Intercept = -1.4, c => c.AfterFailure!.Model = 1.5, c => c.AfterSuccess = null, c => c.Escalate = 0.6, c => c.Block = 0.9 })
        {
            var combined = Combined(escalate: 0.5);
            edit(combined);
            versions.Add(ActionPolicy.Create(Options(combined)).Version);
        }

        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.Equal(versions[0], ActionPolicy.Create(Options(Combined(escalate: 0.5))).Version);
    }

    [Fact]
    public void Validate_CombinedWithoutSection_FailsNamingTheKeyAndWhatToDo()
    {
        var options = Options(Combined(escalate: 0.5));
        options.Tags["deceit"].Combined = null;

        var failure = Assert.Single(new PolicyOptionsValidator().Validate(null, options).Failures!);

        Assert.StartsWith("Policy:Tags:deceit:Signals is Combined but Policy:Tags:deceit:Combined is missing", failure, StringComparison.Ordinal);
        Assert.Contains("--policy-out", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadCombinedSettings_FailEachNamingItsKey()
    {
        var options = Options(Combined(escalate: 0.9, block: 0.5));
        var deceit = options.Tags["deceit"].Combined!;
        deceit.Model = double.NaN;
        deceit.Classifier = null;
        deceit.AfterFailure!.Intercept = double.PositiveInfinity;
        options.Tools["shell.run"].Tags["deceit"] = new TagThresholds { Signals = TagSignals.Combined, Combined = Combined(escalate: 1, block: 0) };
        options.Tools["shell.run"].Tags["powerseeking"] = new TagThresholds { Signals = TagSignals.Combined, Combined = Combined(escalate: null) };

        var failures = new PolicyOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Contains("Policy:Tags:deceit:Combined:Model is NaN: a combiner's weight must be a finite number.", failures);
        Assert.Contains(failures, f => f.StartsWith("Policy:Tags:deceit:Combined:Classifier is missing", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Policy:Tags:deceit:Combined:AfterFailure:Intercept is Infinity:", StringComparison.Ordinal));
        Assert.Contains("Policy:Tags:deceit:Combined:Escalate (0.9) is above Policy:Tags:deceit:Combined:Block (0.5): escalation must come first.", failures);
        Assert.Contains(failures, f => f.StartsWith("Policy:Tools:shell.run:Tags:deceit:Combined:Escalate is 1: a threshold on the combined score lies strictly between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Policy:Tools:shell.run:Tags:deceit:Combined:Block is 0:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Policy:Tools:shell.run:Tags:powerseeking:Signals is Combined but Policy:Tools:shell.run:Tags:powerseeking:Combined sets no threshold", StringComparison.Ordinal));
        Assert.Contains("Policy:Tools:shell.run:Tags:deceit:Combined:Escalate (1) is above Policy:Tools:shell.run:Tags:deceit:Combined:Block (0): escalation must come first.", failures);
        Assert.Equal(8, failures.Count);
    }

    [Fact]
    public void Validate_GoodCombinedSettings_Pass()
    {
        Assert.True(new PolicyOptionsValidator().Validate(null, Options(Combined(escalate: 0.4, block: 0.9))).Succeeded);
    }
}
