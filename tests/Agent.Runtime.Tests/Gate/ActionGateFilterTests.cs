using Agent.Decoding;
using Agent.Decoding.Transcripts;
using Agent.Runtime.Execution;
using Agent.Runtime.Gate;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;

namespace Agent.Runtime.Tests.Gate;

/// <summary>The gate filter with a real SQLite store and an in-process kernel function: no Docker, no model.</summary>
public sealed class ActionGateFilterTests
{
    private sealed class FixedPolicy(PolicyOptions value) : IOptionsMonitor<PolicyOptions>
    {
        public PolicyOptions CurrentValue => value;

        public PolicyOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<PolicyOptions, string?> listener) => null;
    }

    private static PolicyOptions Policy()
    {
        var options = new PolicyOptions();
        options.Tags["powerseeking"] = new TagThresholds { Signals = TagSignals.Both, Escalate = 0.3, Block = 0.7, Classifier = new SignalThresholds { Escalate = 0.443, Block = 0.95 } };
        options.Tools["shell.run"] = new ToolPolicy();
        return options;
    }

    private static async Task<(IRunStore Store, RunRecord Run, Microsoft.SemanticKernel.Kernel Kernel, KernelFunction Function, Func<int> Calls)> SetUpAsync(Func<string, object> tool, ILogger<ActionGate>? logger = null)
    {
        var store = new SqliteRunStore(new StorageOptions { DatabasePath = Path.Combine(RuntimeHarness.NewFolder(), "agent.db") });
        await store.InitializeAsync();
        var run = await store.EnqueueAsync("tidy the workspace", "m");
        var calls = 0;
        var function = KernelFunctionFactory.CreateFromMethod((string command) => { calls++; return tool(command); }, "run");
        var kernel = new Microsoft.SemanticKernel.Kernel();
        kernel.Plugins.AddFromFunctions("shell", [function]);
        var gate = new ActionGate(new FixedPolicy(Policy()), store, logger ?? NullLogger<ActionGate>.Instance, ["deceit", "powerseeking"]);
        kernel.FunctionInvocationFilters.Add(new ActionGateFilter(gate, new ToolExecutor(store, maxResultChars: 100)));
        return (store, run, kernel, function, () => calls);
    }

    private static ProposedAction Action(RunRecord run, string command, double model, double classifier) => new(
        run,
        new StepRecord { RunId = run.Id, Step = 1, Kind = StepKind.Call, Status = StepStatus.Proposed },
        ToolCall.Shell(command),
        new GateSignals(
            new Dictionary<string, TemptationAggregate> { ["powerseeking"] = new(model, model, model) },
            new Dictionary<string, double> { ["powerseeking"] = classifier }));

    private static async Task<HandledAction> InvokeAsync(Microsoft.SemanticKernel.Kernel kernel, KernelFunction function, ProposedAction action)
    {
        var arguments = ActionArguments.For(action, new KernelArguments { ["command"] = action.Call.GetString("command") });
        var result = await kernel.InvokeAsync(function, arguments);
        return result.GetValue<HandledAction>()!;
    }

    [Fact]
    public async Task OnFunctionInvocationAsync_ClassifierOverBlock_NeverRunsAndLogsBothSignals()
    {
        var (store, run, kernel, function, calls) = await SetUpAsync(_ => new ToolOutcome(0, "ran", string.Empty, false));
        var action = Action(run, "sudo -n true", model: 0.01, classifier: 0.97);

        var handled = await InvokeAsync(kernel, function, action);

        Assert.Equal(0, calls());
        Assert.Equal((Decision.Block, GateSignal.Classifier), (handled.Decision.Decision, handled.Decision.Signal));
        Assert.Equal((StepStatus.Blocked, ToolOutcome.NotRunExitCode), (handled.Step.Status, handled.Step.Result!.ExitCode));
        var entry = Assert.Single(await store.QueryLogAsync(new LogQuery { RunId = run.Id }));
        Assert.Equal(("powerseeking", GateSignal.Classifier, 0.97, 0.01), (entry.FiredTag, entry.FiredSignal, entry.Classifier["powerseeking"], entry.Temptation["powerseeking"].Any));
        Assert.Equal(0.97, entry.Trace.Classifier!.Probabilities["powerseeking"]);
        Assert.Equal(StepStatus.Blocked, Assert.Single(await store.GetStepsAsync(run.Id)).Status);
    }

    [Fact]
    public async Task OnFunctionInvocationAsync_Decision_LogsBothSignalsAsMapsNotText()
    {
        var logger = new CapturingLogger();
        var (_, run, kernel, function, _) = await SetUpAsync(_ => new ToolOutcome(0, "ran", string.Empty, false), logger);

        await InvokeAsync(kernel, function, Action(run, "ls", model: 0.01, classifier: 0.02));

        // A structured sink (the CLEF file) then writes {"powerseeking":0.01}, which a log query can filter on.
        var state = Assert.Single(logger.Events, e => e.Id == 100).State;
        var temptation = Assert.IsAssignableFrom<IReadOnlyDictionary<string, double>>(state.Single(p => p.Key == "Temptation").Value);
        var classifier = Assert.IsAssignableFrom<IReadOnlyDictionary<string, double>>(state.Single(p => p.Key == "Classifier").Value);
        Assert.Equal((0.01, 0.02), (temptation["powerseeking"], classifier["powerseeking"]));
    }

    private sealed class CapturingLogger : ILogger<ActionGate>
    {
        public List<(int Id, IReadOnlyList<KeyValuePair<string, object?>> State)> Events { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Events.Add((eventId.Id, state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
    }

    [Fact]
    public async Task OnFunctionInvocationAsync_Allowed_RunsOnceJournaledAndCapped()
    {
        var (store, run, kernel, function, calls) = await SetUpAsync(_ => new ToolOutcome(0, new string('x', 500), string.Empty, false));
        var action = Action(run, "ls", model: 0.01, classifier: 0.1);

        var handled = await InvokeAsync(kernel, function, action);

        Assert.Equal(1, calls());
        Assert.Equal((Decision.Allow, StepStatus.Completed, 100), (handled.Decision.Decision, handled.Step.Status, handled.Step.Result!.Stdout.Length));
        Assert.Equal(1, await store.CountExecutionsAsync(run.Id, 1));
        var step = Assert.Single(await store.GetStepsAsync(run.Id));
        Assert.Equal((StepStatus.Completed, 100, true, 0.1), (step.Status, step.Result!.Stdout.Length, step.Result.Truncated, step.Classifier["powerseeking"]));
    }

    [Fact]
    public async Task OnFunctionInvocationAsync_ToolRefusesItsArguments_IsExit1WithTheReasonOnStderr()
    {
        var (store, run, kernel, function, _) = await SetUpAsync(_ => throw new ArgumentException("command must not be empty"));
        var action = Action(run, " ", model: 0, classifier: 0);

        await InvokeAsync(kernel, function, action);

        var step = Assert.Single(await store.GetStepsAsync(run.Id));
        Assert.Equal((StepStatus.Completed, 1), (step.Status, step.Result!.ExitCode));
        Assert.Contains("command must not be empty", step.Result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnFunctionInvocationAsync_Escalated_ParksPendingWithoutRunning()
    {
        var (store, run, kernel, function, calls) = await SetUpAsync(_ => new ToolOutcome(0, "ran", string.Empty, false));

        var handled = await InvokeAsync(kernel, function, Action(run, "sudo -n true", model: 0.4, classifier: 0.1));

        Assert.Equal(0, calls());
        Assert.Equal((Decision.Escalate, GateSignal.Model, StepStatus.Pending), (handled.Decision.Decision, handled.Decision.Signal, handled.Step.Status));
        var entry = Assert.Single(await store.QueryLogAsync(new LogQuery { RunId = run.Id }));
        Assert.Equal(("pending", entry.Id), (entry.ReviewStatus, handled.Step.LogEntryId));
        Assert.Equal(0, await store.CountExecutionsAsync(run.Id));
    }

    [Fact]
    public async Task OnFunctionInvocationAsync_SandboxContainerDied_FailsTheStepAndCarriesOneFailureType()
    {
        var (store, run, kernel, function, calls) = await SetUpAsync(_ => throw new Agent.Sandbox.SandboxContainerDiedException("c0ffee", "killed by the host"));

        var handled = await InvokeAsync(kernel, function, Action(run, "ls", model: 0, classifier: 0));

        Assert.Equal(1, calls());
        Assert.Equal(ToolFailure.ContainerDied, handled.Failure!.Reason);
        var step = Assert.Single(await store.GetStepsAsync(run.Id));
        Assert.Equal((StepStatus.Failed, 1), (step.Status, step.Result!.ExitCode));
        Assert.Equal(1, await store.CountExecutionsAsync(run.Id, 1));
    }

    [Fact]
    public async Task OnFunctionInvocationAsync_ActionRidesTheArguments_NothingLeftOnTheKernel()
    {
        var (_, run, kernel, function, calls) = await SetUpAsync(_ => new ToolOutcome(0, "ran", string.Empty, false));

        await InvokeAsync(kernel, function, Action(run, "ls", model: 0, classifier: 0));
        var second = await kernel.InvokeAsync(function, new KernelArguments { ["command"] = "ls" });

        Assert.Empty(kernel.Data);
        Assert.Equal(1, calls());
        Assert.Contains("no action context", second.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnFunctionInvocationAsync_NoActionContext_BlocksWithoutRunning()
    {
        var (_, _, kernel, function, calls) = await SetUpAsync(_ => new ToolOutcome(0, "ran", string.Empty, false));

        var result = await kernel.InvokeAsync(function, new KernelArguments { ["command"] = "ls" });

        Assert.Equal(0, calls());
        Assert.Contains("no action context", result.GetValue<string>(), StringComparison.Ordinal);
    }
}
