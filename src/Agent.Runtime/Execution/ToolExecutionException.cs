using Agent.Sandbox;
using Microsoft.SemanticKernel;

namespace Agent.Runtime.Execution;

/// <summary>
/// The one failure type of a tool call in the runtime: every sandbox or tool exception is mapped to it once, by
/// <see cref="From"/>, with a typed <see cref="Reason"/> and what the command wrote before it stopped.
/// </summary>
public sealed class ToolExecutionException : Exception
{
    /// <summary>Creates the exception (reason <see cref="ToolFailure.Failed"/>).</summary>
    public ToolExecutionException()
        : this(ToolFailure.Failed, "The tool failed.")
    {
    }

    /// <summary>Creates the exception with a message (reason <see cref="ToolFailure.Failed"/>).</summary>
    public ToolExecutionException(string message)
        : this(ToolFailure.Failed, message)
    {
    }

    /// <summary>Creates the exception with a message and its cause (reason <see cref="ToolFailure.Failed"/>).</summary>
    public ToolExecutionException(string message, Exception innerException)
        : this(ToolFailure.Failed, message, null, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="reason">Why the tool did not finish.</param>
    /// <param name="message">What was wrong, as the model and the run's reason show it.</param>
    /// <param name="partialOutput">What the command wrote before it was killed; null when it did not run.</param>
    /// <param name="innerException">The exception the tool or sandbox threw.</param>
    public ToolExecutionException(ToolFailure reason, string message, ToolOutcome? partialOutput = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
        PartialOutput = partialOutput;
    }

    /// <summary>Why the tool did not finish.</summary>
    public ToolFailure Reason { get; }

    /// <summary>What the command wrote before it was killed (timeout, out of memory); null when it did not run.</summary>
    public ToolOutcome? PartialOutput { get; }

    /// <summary>Whether the sandbox itself broke, so the run fails instead of telling the model.</summary>
    public bool FailsRun => Reason is ToolFailure.ContainerDied or ToolFailure.SandboxUnavailable;

    /// <summary>
    /// <paramref name="exception"/> as a tool failure; null for an exception that is not one (a bug, a cancellation),
    /// which is left to fail the run as before.
    /// </summary>
    public static ToolExecutionException? From(Exception exception) => exception switch
    {
        ToolExecutionException same => same,
        SandboxExecTimeoutException e => new(ToolFailure.Timeout, e.Message, Partial(e.PartialOutput), e),
        SandboxOutOfMemoryException e => new(ToolFailure.OutOfMemory, e.Message, Partial(e.PartialOutput), e),
        SandboxContainerDiedException e => new(ToolFailure.ContainerDied, e.Message, null, e),
        DockerUnavailableException or DockerApiVersionException or SandboxImageBuildException => new(ToolFailure.SandboxUnavailable, exception.Message, null, exception),
        SandboxPathException e => new(ToolFailure.PathRefused, e.Message, null, e),
        ArgumentException or FormatException or KernelException => new(ToolFailure.InvalidArguments, exception.Message, null, exception),
        SandboxException or IOException => new(ToolFailure.Failed, exception.Message, null, exception),
        _ => null,
    };

    private static ToolOutcome Partial(SandboxExecResult partial) => new(partial.ExitCode, partial.StandardOutput, partial.StandardError, partial.Truncated);
}
