using Agent.Decoding;
using Agent.Runtime.Policy;
using Microsoft.Extensions.Configuration;

namespace Agent.Runtime.Tests.Policy;

/// <summary>The gate's mode rule (<see cref="ModeThresholds"/>): the mean p(mode2) over an action's tokens below a threshold.</summary>
public sealed class ModeRuleTests
{
    private static PolicyOptions Options(double? escalateBelow = 0.5, double? blockBelow = 0.2)
    {
        var options = new PolicyOptions { ModeHead = new ModeThresholds { EscalateBelow = escalateBelow, BlockBelow = blockBelow } };
        options.Tags["powerseeking"] = new TagThresholds { Escalate = 0.3, Block = 0.7 };
        options.Tools["shell.run"] = new ToolPolicy();
        options.Tools["files.read"] = new ToolPolicy();
        return options;
    }

    private static GateSignals Signals(double? meanMode2, double powerseeking = 0) =>
        new(new Dictionary<string, TemptationAggregate> { ["powerseeking"] = new(powerseeking, powerseeking, powerseeking) }, GateSignals.None.Classifier)
        {
            Mode = meanMode2 is { } m ? new ModeSignal(m, m / 2) : null,
        };

    [Theory]
    [InlineData(0.9, Decision.Allow, null)]
    [InlineData(0.5, Decision.Allow, null)]
    [InlineData(0.4999, Decision.Escalate, "mode:escalate mean_p_mode2=0.4999<0.5")]
    [InlineData(0.2, Decision.Escalate, "mode:escalate mean_p_mode2=0.2<0.5")]
    [InlineData(0.1, Decision.Block, "mode:block mean_p_mode2=0.1<0.2")]
    public void Evaluate_MeanPMode2BelowAThreshold_DecidesAndNamesTheModeRule(double mean, Decision expected, string? rule)
    {
        var decision = ActionPolicy.Create(Options()).Evaluate("shell.run", Signals(mean));

        Assert.Equal(expected, decision.Decision);
        if (rule is not null)
        {
            Assert.Equal(rule, decision.Rule);
            Assert.Equal((null, GateSignal.Mode), (decision.Tag, decision.Signal));
            var fired = Assert.Single(decision.Fired);
            Assert.Equal(new FiredSignal(ActionPolicy.ModeTag, GateSignal.Mode, expected, mean, expected == Decision.Block ? 0.2 : 0.5), fired);
        }
    }

    [Fact]
    public void Evaluate_ToolOverride_ReplacesTheGlobalRuleForThatToolOnly()
    {
        var options = Options();
        options.Tools["files.read"] = new ToolPolicy { ModeHead = new ModeThresholds { EscalateBelow = 0 } };
        options.Tools["answer"] = new ToolPolicy { ModeHead = new ModeThresholds { EscalateBelow = 0.95 } };
        var policy = ActionPolicy.Create(options);

        Assert.Equal(Decision.Allow, policy.Evaluate("files.read", Signals(0.05)).Decision);
        Assert.Equal(Decision.Block, policy.Evaluate("shell.run", Signals(0.05)).Decision);
        var answer = policy.Evaluate("answer", Signals(0.9));
        Assert.Equal((Decision.Escalate, "tool:answer:mode:escalate mean_p_mode2=0.9<0.95"), (answer.Decision, answer.Rule));
        Assert.Equal(["Policy:ModeHead", "Policy:Tools:answer:ModeHead", "Policy:Tools:files.read:ModeHead"], policy.ModeRules);
    }

    [Fact]
    public void Evaluate_TagBlockAndModeEscalate_BlockDecidesAndBothAreKept()
    {
        var decision = ActionPolicy.Create(Options()).Evaluate("shell.run", Signals(0.3, powerseeking: 0.9));

        Assert.Equal(Decision.Block, decision.Decision);
        Assert.StartsWith("tag:powerseeking:block", decision.Rule, StringComparison.Ordinal);
        Assert.Equal([GateSignal.Model, GateSignal.Mode], decision.Fired.Select(f => f.Signal));
    }

    [Fact]
    public void Evaluate_NoModeSignal_TheRuleCannotFire()
    {
        var decision = ActionPolicy.Create(Options()).Evaluate("shell.run", Signals(null));

        Assert.Equal(Decision.Allow, decision.Decision);
        Assert.Empty(decision.Fired);
    }

    [Fact]
    public void Create_PolicyWithoutModeRule_KeepsItsVersionAndARuleChangesIt()
    {
        var plain = Options(null, null);
        plain.ModeHead = null;
        var empty = Options(null, null);
        var withRule = Options();

        Assert.Equal(ActionPolicy.Create(plain).Version, ActionPolicy.Create(empty).Version);
        Assert.NotEqual(ActionPolicy.Create(plain).Version, ActionPolicy.Create(withRule).Version);
        Assert.Empty(ActionPolicy.Create(empty).ModeRules);
    }

    [Fact]
    public void Bind_ConfigurationKeys_ReachTheGlobalAndTheToolRule()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Policy:ModeHead:EscalateBelow"] = "0.5",
            ["Policy:ModeHead:BlockBelow"] = "0.1",
            ["Policy:Tools:shell.run:Mode"] = "AlwaysEscalate",
            ["Policy:Tools:shell.run:ModeHead:EscalateBelow"] = "0.7",
        }).Build();
        var options = new PolicyOptions();
        configuration.GetSection(PolicyOptions.Section).Bind(options);

        Assert.Equal((0.5, 0.1), (options.ModeHead!.EscalateBelow, options.ModeHead.BlockBelow));
        Assert.Equal(ToolMode.AlwaysEscalate, options.Tools["shell.run"].Mode);
        Assert.Equal(0.7, options.Tools["shell.run"].ModeHead!.EscalateBelow);
    }

    [Theory]
    [InlineData(1.5, null, null, "Policy:ModeHead:EscalateBelow is 1.5: a threshold on the mean p(mode2) is a probability between 0 and 1.")]
    [InlineData(null, -0.1, null, "Policy:ModeHead:BlockBelow is -0.1: a threshold on the mean p(mode2) is a probability between 0 and 1.")]
    [InlineData(0.3, 0.6, null, "Policy:ModeHead:BlockBelow (0.6) is above Policy:ModeHead:EscalateBelow (0.3): escalation must come first")]
    [InlineData(null, null, 2.0, "Policy:Tools:shell.run:ModeHead:EscalateBelow is 2: a threshold on the mean p(mode2) is a probability between 0 and 1.")]
    public void Validate_BadModeThreshold_FailsNamingTheKey(double? escalateBelow, double? blockBelow, double? toolEscalateBelow, string message)
    {
        var options = Options(escalateBelow, blockBelow);
        if (toolEscalateBelow is { } t)
        {
            options.Tools["shell.run"].ModeHead = new ModeThresholds { EscalateBelow = t };
        }

        var result = new PolicyOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith(message, StringComparison.Ordinal));
    }
}
