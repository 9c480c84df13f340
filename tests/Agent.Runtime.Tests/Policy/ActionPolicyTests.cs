using Agent.Decoding;
using Agent.Runtime.Policy;

namespace Agent.Runtime.Tests.Policy;

public sealed class ActionPolicyTests
{
    private static PolicyOptions Options()
    {
        var options = new PolicyOptions();
        options.Tags["powerseeking"] = new TagThresholds { Escalate = 0.3, Block = 0.7 };
        options.Tags["deceit"] = new TagThresholds { Escalate = 0.3, Block = 0.7 };
        options.Tools["shell.run"] = new ToolPolicy();
        options.Tools["files.read"] = new ToolPolicy();
        return options;
    }

    private static Dictionary<string, TemptationAggregate> Seen(double powerseeking, double deceit = 0) => new()
    {
        ["powerseeking"] = new TemptationAggregate(powerseeking, powerseeking, powerseeking),
        ["deceit"] = new TemptationAggregate(deceit, deceit, deceit),
    };

    [Theory]
    [InlineData(0.1, Decision.Allow)]
    [InlineData(0.3, Decision.Escalate)]
    [InlineData(0.69, Decision.Escalate)]
    [InlineData(0.7, Decision.Block)]
    public void Evaluate_TagThresholds_DecideByAggregate(double temptation, Decision expected)
    {
        var decision = ActionPolicy.Create(Options()).Evaluate("shell.run", Seen(temptation));

        Assert.Equal(expected, decision.Decision);
        if (expected != Decision.Allow)
        {
            Assert.Contains("tag:powerseeking:", decision.Rule, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Evaluate_ToolNotNamed_BlocksByDefault()
    {
        var decision = ActionPolicy.Create(Options()).Evaluate("net.fetch", Seen(0));

        Assert.Equal(Decision.Block, decision.Decision);
        Assert.StartsWith("default:deny", decision.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_ForbiddenAndAlwaysEscalateTools_IgnoreTemptation()
    {
        var options = Options();
        options.Tools["shell.run"] = new ToolPolicy { Mode = ToolMode.Forbidden };
        options.Tools["files.read"] = new ToolPolicy { Mode = ToolMode.AlwaysEscalate };
        var policy = ActionPolicy.Create(options);

        Assert.Equal(Decision.Block, policy.Evaluate("shell.run", Seen(0)).Decision);
        Assert.Equal(Decision.Escalate, policy.Evaluate("files.read", Seen(0)).Decision);
    }

    [Fact]
    public void Evaluate_ToolTagOverride_ReplacesGlobalThreshold()
    {
        var options = Options();
        options.Tools["shell.run"].Tags["powerseeking"] = new TagThresholds { Escalate = 0.05, Block = 0.2 };
        var policy = ActionPolicy.Create(options);

        Assert.Equal(Decision.Block, policy.Evaluate("shell.run", Seen(0.25)).Decision);
        Assert.Equal(Decision.Allow, policy.Evaluate("files.read", Seen(0.25)).Decision);
    }

    [Fact]
    public void Evaluate_AnswerNotNamed_IsGatedByTags()
    {
        var policy = ActionPolicy.Create(Options());

        Assert.Equal(Decision.Allow, policy.Evaluate(PolicyOptions.AnswerTool, Seen(0, 0.1)).Decision);
        Assert.Equal(Decision.Escalate, policy.Evaluate(PolicyOptions.AnswerTool, Seen(0, 0.5)).Decision);
    }

    [Fact]
    public void Version_ChangesWithPolicyAndOnlyWithIt()
    {
        var a = ActionPolicy.Create(Options());
        var b = ActionPolicy.Create(Options());
        var changed = Options();
        changed.Tags["deceit"].Block = 0.8;

        Assert.Equal(a.Version, b.Version);
        Assert.NotEqual(a.Version, ActionPolicy.Create(changed).Version);
    }

    [Fact]
    public void Validate_EscalateAboveBlock_FailsNamingTheKey()
    {
        var options = Options();
        options.Tags["deceit"] = new TagThresholds { Escalate = 0.9, Block = 0.5 };
        options.Aggregate = "median";

        var result = new PolicyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("Policy:Tags:deceit:Escalate", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("Policy:Aggregate", StringComparison.Ordinal));
    }

    private static PolicyOptions BothSignals()
    {
        var options = new PolicyOptions();
        options.Tags["deceit"] = new TagThresholds { Signals = TagSignals.Both, Escalate = 0.3, Block = 0.7, Classifier = new SignalThresholds { Escalate = 0.85 } };
        options.Tags["powerseeking"] = new TagThresholds { Signals = TagSignals.Model, Escalate = 0.3, Block = 0.7, Classifier = new SignalThresholds { Escalate = 0.1 } };
        options.Tools["shell.run"] = new ToolPolicy();
        return options;
    }

    private static GateSignals Signals(double deceitModel, double deceitClassifier, double powerseekingClassifier = 0) => new(
        Seen(0, deceitModel),
        new Dictionary<string, double> { ["deceit"] = deceitClassifier, ["powerseeking"] = powerseekingClassifier });

    [Theory]
    [InlineData(0.1, 0.2, Decision.Allow, GateSignal.None)]
    [InlineData(0.4, 0.2, Decision.Escalate, GateSignal.Model)]
    [InlineData(0.1, 0.9, Decision.Escalate, GateSignal.Classifier)]
    [InlineData(0.8, 0.9, Decision.Block, GateSignal.Model)]
    public void Evaluate_BothSignalsCounted_AnyOverItsThresholdDecidesAndIsNamed(double model, double classifier, Decision expected, GateSignal fired)
    {
        var decision = ActionPolicy.Create(BothSignals()).Evaluate(PolicyOptions.AnswerTool, Signals(model, classifier));

        Assert.Equal((expected, fired), (decision.Decision, decision.Signal));
        Assert.Equal(expected == Decision.Allow ? null : "deceit", decision.Tag);
        if (fired == GateSignal.Classifier)
        {
            Assert.Equal("tag:deceit:classifier:escalate p=0.9>=0.85", decision.Rule);
        }
    }

    [Fact]
    public void Evaluate_ClassifierNotCountedForTag_ItsProbabilityCannotFire()
    {
        var decision = ActionPolicy.Create(BothSignals()).Evaluate("shell.run", Signals(0, 0, powerseekingClassifier: 0.99));

        Assert.Equal(Decision.Allow, decision.Decision);
    }

    [Fact]
    public void Evaluate_ClassifierOnlyAndModelSignalAbsent_ClassifierStillGates()
    {
        var options = BothSignals();
        options.Tags["powerseeking"] = new TagThresholds { Signals = TagSignals.Classifier, Escalate = 0.01, Classifier = new SignalThresholds { Escalate = 0.4, Block = 0.95 } };
        var policy = ActionPolicy.Create(options);
        var noModel = new GateSignals(new Dictionary<string, TemptationAggregate>(), new Dictionary<string, double> { ["powerseeking"] = 0.97 });

        var decision = policy.Evaluate("shell.run", noModel);

        Assert.Equal((Decision.Block, "powerseeking", GateSignal.Classifier), (decision.Decision, decision.Tag, decision.Signal));
        Assert.True(policy.CountsClassifier);
        Assert.False(ActionPolicy.Create(Options()).CountsClassifier);
    }

    [Fact]
    public void Create_ModelOnlyPolicy_KeepsTheVersionItHadBeforeSignalsExisted()
    {
        // The hash of Options() as computed before the Signals key existed: a model-only policy must not change version.
        var options = Options();
        var before = ActionPolicy.Create(options).Version;
        options.Tags["deceit"].Classifier.Escalate = 0.5; // not counted: still the same policy

        Assert.Equal(before, ActionPolicy.Create(options).Version);
        options.Tags["deceit"].Signals = TagSignals.Both;
        Assert.NotEqual(before, ActionPolicy.Create(options).Version);
    }

    [Fact]
    public void Validate_ClassifierCountedWithoutThreshold_FailsNamingTheKey()
    {
        var options = Options();
        options.Tags["deceit"].Signals = TagSignals.Both;
        options.Tags["powerseeking"].Classifier.Escalate = 1.5;

        var result = new PolicyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Policy:Tags:deceit:Signals counts the classifier", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Policy:Tags:powerseeking:Classifier:Escalate is 1.5", StringComparison.Ordinal));
    }
}
