namespace Agent.Sandbox;

/// <summary>An exec ran past its timeout; it was killed, with every other process of the sandbox user but the container's own.</summary>
public sealed class SandboxExecTimeoutException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="command">The command that ran.</param>
    /// <param name="timeout">The timeout it passed.</param>
    /// <param name="partialOutput">What it wrote before the kill.</param>
    public SandboxExecTimeoutException(string command, TimeSpan timeout, SandboxExecResult partialOutput)
        : base(
            $"'{command}' ran past its {timeout.TotalSeconds:0.###} s timeout and was killed, with every other process it and earlier commands left running in the sandbox. " +
            "Give the exec a longer SandboxExecRequest.Timeout (or Sandbox:ExecTimeoutSeconds), or make the command finish sooner.")
    {
        Command = command;
        Timeout = timeout;
        PartialOutput = partialOutput;
    }

    /// <summary>The command that ran.</summary>
    public string Command { get; }

    /// <summary>The timeout it passed.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Output written before the kill.</summary>
    public SandboxExecResult PartialOutput { get; }
}
