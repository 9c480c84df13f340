namespace Agent.Sandbox;

/// <summary>The sandbox's container stopped (killed, out of memory, removed from outside). Get a new sandbox for the run.</summary>
public sealed class SandboxContainerDiedException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="containerId">The container.</param>
    /// <param name="reason">Why it stopped, e.g. "OOM-killed" or "exit code 137".</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public SandboxContainerDiedException(string containerId, string reason, Exception? innerException = null)
        : base(
            $"Sandbox container {ShortId(containerId)} is not running: {reason}. Its workspace is lost; " +
            "ISandboxService.GetOrCreateAsync gives the run a fresh sandbox.",
            innerException)
    {
        ContainerId = containerId;
        Reason = reason;
    }

    /// <summary>The container.</summary>
    public string ContainerId { get; }

    /// <summary>Why it stopped.</summary>
    public string Reason { get; }

    private static string ShortId(string id) => id.Length > 12 ? id[..12] : id;
}
