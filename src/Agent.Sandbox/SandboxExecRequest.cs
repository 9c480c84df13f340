namespace Agent.Sandbox;

/// <summary>A command to run in a sandbox: an executable and its arguments, never a host shell line.</summary>
public sealed class SandboxExecRequest
{
    /// <summary>Creates a request.</summary>
    /// <param name="command">The executable (a path, or a name found on the image's PATH).</param>
    /// <param name="arguments">Its arguments, passed as they are.</param>
    /// <exception cref="ArgumentException"><paramref name="command"/> is empty.</exception>
    public SandboxExecRequest(string command, params IEnumerable<string> arguments)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ArgumentNullException.ThrowIfNull(arguments);
        Command = command;
        Arguments = [.. arguments];
    }

    /// <summary>The executable.</summary>
    public string Command { get; }

    /// <summary>The arguments.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Bytes written to the command's stdin, which is then closed; null leaves stdin unattached.</summary>
    public ReadOnlyMemory<byte>? StandardInput { get; init; }

    /// <summary>Extra environment variables.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Working directory relative to the workspace; null is the workspace itself.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Timeout of this exec; null takes <see cref="SandboxOptions.ExecTimeoutSeconds"/>.</summary>
    public TimeSpan? Timeout { get; init; }
}
