namespace Agent.Sandbox;

/// <summary>The Docker engine does not answer. Tools never fall back to the host: start the daemon.</summary>
public sealed class DockerUnavailableException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="endpoint">The endpoint that did not answer.</param>
    /// <param name="innerException">The transport failure.</param>
    public DockerUnavailableException(string endpoint, Exception? innerException)
        : base(
            $"The Docker engine at {endpoint} (Sandbox:DockerEndpoint) does not answer ({innerException?.Message ?? "no reply"}). " +
            "Start it with `bash scripts/docker-up.sh` (installs docker.io if missing and starts dockerd), or point " +
            "Sandbox:DockerEndpoint at a running daemon. Tools never run outside a sandbox, so nothing ran.",
            innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint that did not answer.</summary>
    public string Endpoint { get; }
}
