using System.Diagnostics;
using Agent.Runtime.Gate;
using Agent.Runtime.Storage;

namespace Agent.Runtime.Execution;

/// <summary>
/// Runs an allowed tool call exactly once and journals it: the step is durably marked started (with an execution
/// record) before the tool runs and completed with its result right after, so a crash in between leaves a started
/// step that the loop reports as interrupted and never runs again. Every failure of the tool reaches here as one type,
/// <see cref="ToolExecutionException"/> (mapped once by <see cref="ToolExecutionException.From"/>), and its
/// <see cref="ToolExecutionException.Reason"/> alone decides what the model is shown or whether the run fails.
/// </summary>
internal sealed class ToolExecutor
{
    private readonly IRunStore _store;
    private readonly int _maxResultChars;

    public ToolExecutor(IRunStore store, int maxResultChars)
    {
        _store = store;
        _maxResultChars = maxResultChars;
    }

    /// <summary>
    /// Runs <paramref name="tool"/> for the allowed action <paramref name="allowed"/> and returns it with its journaled
    /// step. The tool returns a <see cref="ToolOutcome"/>, a sandbox result, any other value (its text is the output) or null.
    /// </summary>
    public async Task<HandledAction> ExecuteAsync(HandledAction allowed, Func<Task<object?>> tool)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        ArgumentNullException.ThrowIfNull(tool);

        // Journal writes are not cancelled: a started call must be recorded as started, and a finished one as completed.
        await _store.MarkStartedAsync(allowed.Step, CancellationToken.None).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        ToolOutcome outcome;
        try
        {
            outcome = ToOutcome(await RunAsync(tool).ConfigureAwait(false));
        }
        catch (ToolExecutionException e) when (e.FailsRun)
        {
            var failed = allowed.Step with { Status = StepStatus.Failed, Result = ToolOutcome.NotRun(1, e.Message), CompletedAt = DateTimeOffset.UtcNow };
            await _store.SaveStepAsync(failed, CancellationToken.None).ConfigureAwait(false);
            return allowed with { Step = failed, Failure = e };
        }
        catch (ToolExecutionException e)
        {
            outcome = Outcome(e);
        }

        RuntimeTelemetry.ExecLatency.Record(clock.Elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("tool", allowed.Step.Tool));
        var completed = allowed.Step with { Status = StepStatus.Completed, Result = Cap(outcome), CompletedAt = DateTimeOffset.UtcNow };
        await _store.SaveStepAsync(completed, CancellationToken.None).ConfigureAwait(false);
        return allowed with { Step = completed };
    }

    /// <summary>The one place a tool's exceptions become <see cref="ToolExecutionException"/>; anything else propagates.</summary>
    private static async Task<object?> RunAsync(Func<Task<object?>> tool)
    {
        try
        {
            return await tool().ConfigureAwait(false);
        }
        catch (Exception e) when (ToolExecutionException.From(e) is { } failure && !ReferenceEquals(failure, e))
        {
            throw failure;
        }
    }

    /// <summary>What the model is shown for a failure it can react to.</summary>
    private static ToolOutcome Outcome(ToolExecutionException failure) => failure.Reason switch
    {
        // A command that ran and was killed: what it wrote before the kill, then why it was killed (the model needs both).
        ToolFailure.Timeout => Killed(124, failure.PartialOutput, failure.Message),
        ToolFailure.OutOfMemory => Killed(137, failure.PartialOutput, failure.Message),
        _ => ToolOutcome.NotRun(1, failure.Message),
    };

    private static ToolOutcome Killed(int exitCode, ToolOutcome? partial, string reason)
    {
        var stderr = partial?.Stderr ?? string.Empty;
        var separator = stderr.Length == 0 || stderr.EndsWith('\n') ? "" : "\n";
        return new ToolOutcome(exitCode, partial?.Stdout ?? string.Empty, stderr + separator + reason, partial?.Truncated ?? false);
    }

    private static ToolOutcome ToOutcome(object? result) => result switch
    {
        ToolOutcome outcome => outcome,
        Agent.Sandbox.SandboxExecResult exec => new ToolOutcome(exec.ExitCode, exec.StandardOutput, exec.StandardError, exec.Truncated),
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
