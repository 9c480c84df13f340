namespace Agent.Sandbox;

/// <summary>The engine and this library share no API version.</summary>
public sealed class DockerApiVersionException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="endpoint">The daemon's endpoint.</param>
    /// <param name="requested">The version from Sandbox:ApiVersion.</param>
    /// <param name="daemonMinimum">The oldest version the daemon serves.</param>
    /// <param name="daemonMaximum">The newest version the daemon serves.</param>
    /// <param name="innerException">The refusal, if the daemon sent one.</param>
    public DockerApiVersionException(string endpoint, string requested, string daemonMinimum, string daemonMaximum, Exception? innerException = null)
        : base(
            $"The Docker engine at {endpoint} serves API versions {daemonMinimum} to {daemonMaximum}, but Sandbox:ApiVersion is {requested} " +
            $"and this library needs at least {SandboxOptions.MinimumApiVersion}. Set Sandbox:ApiVersion within the daemon's range " +
            "(`docker version` shows it) or upgrade the engine (Debian's docker.io 20.10 serves 1.41).",
            innerException)
    {
        Requested = requested;
        DaemonMinimum = daemonMinimum;
        DaemonMaximum = daemonMaximum;
    }

    /// <summary>The version from Sandbox:ApiVersion.</summary>
    public string Requested { get; }

    /// <summary>The oldest version the daemon serves.</summary>
    public string DaemonMinimum { get; }

    /// <summary>The newest version the daemon serves.</summary>
    public string DaemonMaximum { get; }
}
