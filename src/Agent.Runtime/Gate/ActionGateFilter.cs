using System.Diagnostics;
using Agent.Runtime.Policy;
using Agent.Runtime.Storage;
using Agent.Sandbox;
using Microsoft.SemanticKernel;

namespace Agent.Runtime.Gate;

/// <summary>
/// The action gate as a Semantic Kernel function-invocation filter. Every tool call the loop invokes passes here:
/// the gate decides; a blocked or escalated call never reaches the plugin. An allowed call is journaled
/// exactly-once: the step is durably marked started (with an execution record) before the plugin runs and completed
/// with its result right after, so a crash in between leaves a started step that the loop reports as interrupted
/// and never runs again.
/// </summary>
internal sealed class ActionGateFilter : IFunctionInvocationFilter
{
    private readonly ActionGate _gate;
    private readonly IRunStore _store;
    private readonly int _maxResultChars;

    public ActionGateFilter(ActionGate gate, IRunStore store, int maxResultChars)
    {
        _gate = gate;
        _store = store;
        _maxResultChars = maxResultChars;
    }

    public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!context.Kernel.Data.TryGetValue(ActionContext.Key, out var value) || value is not ActionContext action)
        {
            // Deny by default: a function invoked outside the agent loop has no trace to judge.
            context.Result = new FunctionResult(context.Function, "blocked: no action context (tools run only inside the agent loop)");
            return;
        }

        using var activity = RuntimeTelemetry.Source.StartActivity("agent.action");
        activity?.SetTag("agent.run_id", action.Run.Id);
        activity?.SetTag("agent.step", action.Step.Step);
        activity?.SetTag("agent.tool", action.Call.Name);
        var decision = await _gate.DecideAsync(action, context.CancellationToken).ConfigureAwait(false);
        if (decision.Decision != Decision.Allow)
        {
            context.Result = new FunctionResult(context.Function, action.Outcome);
            return;
        }

        await _store.MarkStartedAsync(action.Step, CancellationToken.None).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        ToolOutcome outcome;
        try
        {
            await next(context).ConfigureAwait(false);
            outcome = ToOutcome(context.Result.GetValue<object>());
        }
        catch (Exception e) when (e is SandboxContainerDiedException or DockerUnavailableException or DockerApiVersionException or SandboxImageBuildException)
        {
            action.Failure = e;
            outcome = ToolOutcome.NotRun(1, e.Message);
            action.Step = action.Step with { Status = StepStatus.Failed, Result = outcome, CompletedAt = DateTimeOffset.UtcNow };
            await _store.SaveStepAsync(action.Step, CancellationToken.None).ConfigureAwait(false);
            action.Outcome = outcome;
            return;
        }
        catch (SandboxExecTimeoutException e)
        {
            outcome = Killed(124, e.PartialOutput, e.Message);
        }
        catch (SandboxOutOfMemoryException e)
        {
            outcome = Killed(137, e.PartialOutput, e.Message);
        }
        catch (Exception e) when (e is SandboxException or ArgumentException or KernelException or IOException or FormatException)
        {
            outcome = ToolOutcome.NotRun(1, e.Message);
        }

        RuntimeTelemetry.ExecLatency.Record(clock.Elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("tool", action.Call.Name));
        outcome = Cap(outcome);
        action.Outcome = outcome;
        action.Step = action.Step with { Status = StepStatus.Completed, Result = outcome, CompletedAt = DateTimeOffset.UtcNow };
        await _store.SaveStepAsync(action.Step, CancellationToken.None).ConfigureAwait(false);
        context.Result = new FunctionResult(context.Function, outcome);
    }

    /// <summary>A command that ran and was killed: what it wrote before the kill, then why it was killed (the model needs both).</summary>
    private static ToolOutcome Killed(int exitCode, SandboxExecResult partial, string reason)
    {
        var stderr = partial.StandardError;
        var separator = stderr.Length == 0 || stderr.EndsWith('\n') ? "" : "\n";
        return new ToolOutcome(exitCode, partial.StandardOutput, stderr + separator + reason, partial.Truncated);
    }

    private static ToolOutcome ToOutcome(object? result) => result switch
    {
        ToolOutcome outcome => outcome,
        SandboxExecResult exec => new ToolOutcome(exec.ExitCode, exec.StandardOutput, exec.StandardError, exec.Truncated),
        null => new ToolOutcome(0, string.Empty, string.Empty, false),
        _ => new ToolOutcome(0, result.ToString() ?? string.Empty, string.Empty, false),
    };

    private ToolOutcome Cap(ToolOutcome outcome)
    {
        var cut = outcome.Stdout.Length > _maxResultChars || outcome.Stderr.Length > _maxResultChars;
        return cut
            ? outcome with
            {
                Stdout = outcome.Stdout.Length > _maxResultChars ? outcome.Stdout[.._maxResultChars] : outcome.Stdout,
                Stderr = outcome.Stderr.Length > _maxResultChars ? outcome.Stderr[.._maxResultChars] : outcome.Stderr,
                Truncated = true,
            }
            : outcome;
    }
}
