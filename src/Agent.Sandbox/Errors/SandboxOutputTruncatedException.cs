namespace Agent.Sandbox;

/// <summary>An exec wrote more than the output cap and the caller asked for complete output (<see cref="SandboxExecResult.ThrowIfTruncated"/>).</summary>
public sealed class SandboxOutputTruncatedException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="stream">"stdout" or "stderr".</param>
    /// <param name="keptBytes">Bytes kept.</param>
    /// <param name="totalBytes">Bytes written.</param>
    public SandboxOutputTruncatedException(string stream, long keptBytes, long totalBytes)
        : base(
            $"The command wrote {totalBytes} bytes to {stream}; only the first {keptBytes} were kept (Sandbox:MaxOutputBytes). " +
            "Write large output to a workspace file and fetch it with GetFileAsync, or raise Sandbox:MaxOutputBytes.")
    {
        Stream = stream;
        KeptBytes = keptBytes;
        TotalBytes = totalBytes;
    }

    /// <summary>"stdout" or "stderr".</summary>
    public string Stream { get; }

    /// <summary>Bytes kept.</summary>
    public long KeptBytes { get; }

    /// <summary>Bytes written.</summary>
    public long TotalBytes { get; }
}
