namespace Agent.Sandbox;

/// <summary>One entry of the read-only host mount allowlist (<c>Sandbox:ReadOnlyMounts</c>).</summary>
public sealed class SandboxMount
{
    /// <summary>Absolute path on the host; it must exist.</summary>
    public string HostPath { get; set; } = "";

    /// <summary>Absolute path inside the sandbox, outside the workspace.</summary>
    public string ContainerPath { get; set; } = "";
}
