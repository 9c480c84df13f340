using Microsoft.SemanticKernel;

namespace Agent.Runtime.Gate;

/// <summary>
/// Carries a <see cref="ProposedAction"/> with one function invocation, in that invocation's own
/// <see cref="KernelArguments"/>: the loop builds the arguments of exactly one call with <see cref="For"/>, the gate
/// filter reads them back with <see cref="TryGet"/>. Nothing is left on the kernel between calls. Method-based kernel
/// functions bind parameters by name, so the entry is never seen by a tool.
/// </summary>
internal static class ActionArguments
{
    private const string Key = "__agent_proposed_action";

    /// <summary>A copy of <paramref name="callArguments"/> (the call's own arguments) that also carries <paramref name="action"/>.</summary>
    public static KernelArguments For(ProposedAction action, KernelArguments? callArguments)
    {
        ArgumentNullException.ThrowIfNull(action);
        var arguments = callArguments is null ? new KernelArguments() : new KernelArguments(callArguments);
        arguments[Key] = action;
        return arguments;
    }

    /// <summary>The action an invocation carries, when it was started by the loop.</summary>
    public static bool TryGet(KernelArguments arguments, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProposedAction? action)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        action = arguments.TryGetValue(Key, out var value) ? value as ProposedAction : null;
        return action is not null;
    }
}
