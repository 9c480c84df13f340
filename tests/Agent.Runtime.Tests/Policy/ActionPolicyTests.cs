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
}
