namespace Agent.Sandbox;

/// <summary>
/// A workspace archive given to <see cref="ISandbox.ImportWorkspaceAsync"/> cannot be restored: it is not a readable
/// tar archive (truncated, corrupt), an entry would land outside the workspace, or its files are larger than the
/// workspace (<see cref="SandboxOptions.WorkspaceSizeMiB"/>). Nothing outside the workspace was touched.
/// </summary>
public sealed class SandboxArchiveException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">What is wrong with the archive and, where there is one, what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public SandboxArchiveException(string reason, Exception? innerException = null)
        : base($"The workspace archive cannot be restored: {reason}.", innerException)
    {
        Reason = reason;
    }

    /// <summary>What is wrong with the archive.</summary>
    public string Reason { get; }
}
