using Agent.Runtime.Execution;
using Agent.Runtime.Policy;
using Microsoft.SemanticKernel;

namespace Agent.Runtime.Gate;

/// <summary>
/// The action gate as a Semantic Kernel function-invocation filter, in the shape of Semantic Kernel's
/// function-invocation approval sample: it asks the gate and either lets the call proceed (through the
/// <see cref="ToolExecutor"/>, which journals it exactly once) or sets the result without calling <c>next</c>, so a
/// blocked or escalated call never reaches the plugin. The action travels with the invocation's own arguments
/// (<see cref="ActionArguments"/>), and what became of it comes back as the invocation's result, a
/// <see cref="HandledAction"/>.
/// </summary>
internal sealed class ActionGateFilter : IFunctionInvocationFilter
{
    private readonly ActionGate _gate;
    private readonly ToolExecutor _executor;

    public ActionGateFilter(ActionGate gate, ToolExecutor executor)
    {
        _gate = gate;
        _executor = executor;
    }

    public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!ActionArguments.TryGet(context.Arguments, out var action))
        {
            // Deny by default: a function invoked outside the agent loop has no trace to judge.
            context.Result = new FunctionResult(context.Function, "blocked: no action context (tools run only inside the agent loop)");
            return;
        }

        using var activity = ActionGate.StartActivity(action);
        var decided = await _gate.DecideAsync(action, context.CancellationToken).ConfigureAwait(false);
        var handled = decided.Decision.Decision == Decision.Allow
            ? await _executor.ExecuteAsync(decided, async () =>
            {
                await next(context).ConfigureAwait(false);
                return context.Result.GetValue<object>();
            }).ConfigureAwait(false)
            : decided;
        context.Result = new FunctionResult(context.Function, handled);
    }
}
