namespace Agent.Runtime;

/// <summary>
/// A run's saved workspace cannot be given back to it: the archive file is corrupt, holds an entry outside the
/// workspace, is larger than <c>Sandbox:WorkspaceSizeMiB</c>, or cannot be read. The message names the file and what
/// to do; the runner fails the run with it (the service goes on).
/// </summary>
public sealed class WorkspaceArchiveException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkspaceArchiveException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public WorkspaceArchiveException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public WorkspaceArchiveException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for one archive file.</summary>
    /// <param name="path">The archive file as it is now (moved aside when it was corrupt).</param>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public WorkspaceArchiveException(string path, string message, Exception innerException)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The archive file, when one is concerned.</summary>
    public string? Path { get; }
}
