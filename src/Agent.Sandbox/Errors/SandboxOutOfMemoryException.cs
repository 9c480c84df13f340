namespace Agent.Sandbox;

/// <summary>The kernel killed an exec's process for going over the sandbox's memory limit.</summary>
public sealed class SandboxOutOfMemoryException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="command">The command that ran.</param>
    /// <param name="memoryLimitMiB">The sandbox's memory limit.</param>
    /// <param name="partialOutput">What the command wrote before it was killed.</param>
    public SandboxOutOfMemoryException(string command, int memoryLimitMiB, SandboxExecResult partialOutput)
        : base(
            $"'{command}' was OOM-killed: the sandbox's memory limit is {memoryLimitMiB} MiB (Sandbox:MemoryLimitMiB, " +
            "the workspace tmpfs counts against it). Use less memory or raise the limit.")
    {
        Command = command;
        MemoryLimitMiB = memoryLimitMiB;
        PartialOutput = partialOutput;
    }

    /// <summary>The command that ran.</summary>
    public string Command { get; }

    /// <summary>The sandbox's memory limit in MiB.</summary>
    public int MemoryLimitMiB { get; }

    /// <summary>Output written before the kill, exit code 137.</summary>
    public SandboxExecResult PartialOutput { get; }
}
