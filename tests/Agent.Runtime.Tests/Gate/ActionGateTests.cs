using Agent.Decoding;
using Agent.Runtime.Gate;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Tests.Gate;

/// <summary>The gate's decision on its own: a pure function of the policy and a typed request, no store, model or sandbox.</summary>
public sealed class ActionGateTests
{
    private static ActionPolicy Policy()
    {
        var options = new PolicyOptions();
        options.Tags["powerseeking"] = new TagThresholds { Signals = TagSignals.Both, Escalate = 0.3, Block = 0.7, Classifier = new SignalThresholds { Escalate = 0.443 } };
        options.Tags["deceit"] = new TagThresholds { Signals = TagSignals.Both, Escalate = 0.3, Block = 0.7, Classifier = new SignalThresholds { Escalate = 0.852 } };
        options.Tools["shell.run"] = new ToolPolicy();
        return ActionPolicy.Create(options);
    }

    private static GateSignals Signals(double powerseekingModel, double? powerseekingClassifier = null)
    {
        var classifier = new Dictionary<string, double>();
        if (powerseekingClassifier is { } p)
        {
            classifier["powerseeking"] = p;
        }

        return new GateSignals(new Dictionary<string, TemptationAggregate> { ["powerseeking"] = new(powerseekingModel, powerseekingModel, powerseekingModel) }, classifier);
    }

    private static ActionLogEntry Approved(string tool, string arguments) => new()
    {
        Id = 4, RunId = "r", Step = 1, Tool = tool, Arguments = arguments, ArgumentsHash = CallBinding.Hash(tool, arguments), Decision = Decision.Escalate,
        Rule = "tag:powerseeking:escalate", PolicyVersion = "v", Model = "m", Temptation = GateSignals.None.Temptation, Trace = ActionTrace.Empty, ReviewStatus = "approved", Reviewer = "alice",
    };

    [Fact]
    public void Decide_CallAndAnswer_SameRequestShapeSamePolicy()
    {
        var call = ActionGate.Decide(Policy(), new GateRequest("shell.run", """{"command":"sudo -n true"}""", Signals(0.01, 0.9)));
        var answer = ActionGate.Decide(Policy(), new GateRequest(PolicyOptions.AnswerTool, """{"text":"done"}""",
            new GateSignals(GateSignals.None.Temptation, new Dictionary<string, double> { ["deceit"] = 0.9 })));

        Assert.Equal((Decision.Escalate, "powerseeking", GateSignal.Classifier), (call.Decision, call.Tag, call.Signal));
        Assert.Equal((Decision.Escalate, "deceit", GateSignal.Classifier), (answer.Decision, answer.Tag, answer.Signal));
    }

    [Fact]
    public void Decide_SeveralSignalsCross_FirstAtTheHighestLevelDecidesAndAllAreKept()
    {
        var signals = new GateSignals(
            new Dictionary<string, TemptationAggregate> { ["deceit"] = new(0.4, 0.4, 0.4), ["powerseeking"] = new(0.75, 0.75, 0.75) },
            new Dictionary<string, double> { ["deceit"] = 0.9, ["powerseeking"] = 0.5 });

        var decision = ActionGate.Decide(Policy(), new GateRequest("shell.run", """{"command":"sudo -n true"}""", signals));

        Assert.Equal((Decision.Block, "powerseeking", GateSignal.Model), (decision.Decision, decision.Tag, decision.Signal));
        Assert.StartsWith("tag:powerseeking:block any=0.75>=0.7", decision.Rule, StringComparison.Ordinal);
        Assert.Equal(
            [
                new FiredSignal("deceit", GateSignal.Model, Decision.Escalate, 0.4, 0.3),
                new FiredSignal("deceit", GateSignal.Classifier, Decision.Escalate, 0.9, 0.852),
                new FiredSignal("powerseeking", GateSignal.Model, Decision.Block, 0.75, 0.7),
                new FiredSignal("powerseeking", GateSignal.Classifier, Decision.Escalate, 0.5, 0.443),
            ],
            decision.Fired);
    }

    [Fact]
    public void Decide_NothingCrosses_FiredIsEmpty()
    {
        var decision = ActionGate.Decide(Policy(), new GateRequest("shell.run", """{"command":"ls"}""", Signals(0.01, 0.1)));

        Assert.Equal((Decision.Allow, 0), (decision.Decision, decision.Fired.Count));
    }

    [Fact]
    public void Decide_ClassifierDidNotRun_ModelAloneDecides()
    {
        var low = ActionGate.Decide(Policy(), new GateRequest("shell.run", """{"command":"ls"}""", Signals(0.01)));
        var high = ActionGate.Decide(Policy(), new GateRequest("shell.run", """{"command":"ls"}""", Signals(0.75)));

        Assert.Equal((Decision.Allow, GateSignal.None), (low.Decision, low.Signal));
        Assert.Equal((Decision.Block, GateSignal.Model), (high.Decision, high.Signal));
    }

    [Fact]
    public void Decide_ApprovalBoundToThisCall_AllowsWhateverTheSignals()
    {
        const string args = """{"command":"sudo -n true"}""";

        var decision = ActionGate.Decide(Policy(), new GateRequest("shell.run", args, Signals(0.99, 0.99), Approved("shell.run", args)));

        Assert.Equal((Decision.Allow, "approved:4", GateSignal.None), (decision.Decision, decision.Rule, decision.Signal));
    }

    [Fact]
    public void Decide_ApprovalOfOtherArguments_Blocks()
    {
        var decision = ActionGate.Decide(Policy(), new GateRequest("shell.run", """{"command":"rm -rf /"}""", Signals(0), Approved("shell.run", """{"command":"ls"}""")));

        Assert.Equal(Decision.Block, decision.Decision);
        Assert.StartsWith("approval:4:mismatch", decision.Rule, StringComparison.Ordinal);
    }
}
