namespace Agent.Sandbox;

/// <summary><c>Sandbox:NetworkMode</c> names a network the Docker engine does not have.</summary>
public sealed class SandboxNetworkNotFoundException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="network">The configured network.</param>
    /// <param name="innerException">The engine's refusal.</param>
    public SandboxNetworkNotFoundException(string network, Exception? innerException = null)
        : base(
            $"Sandbox:NetworkMode is '{network}', a network the Docker engine does not have, so no sandbox can start. " +
            $"Create it (for example `docker network create --internal {network}`) or set Sandbox:NetworkMode to none.",
            innerException)
    {
        Network = network;
    }

    /// <summary>The configured network.</summary>
    public string Network { get; }
}
