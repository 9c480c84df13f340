namespace Agent.Sandbox;

/// <summary>No running sandbox container has the given name or id.</summary>
public sealed class SandboxNotFoundException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="nameOrId">The name or id asked for.</param>
    public SandboxNotFoundException(string nameOrId)
        : base($"No running sandbox is named '{nameOrId}'. Create one with `agent sandbox run --keep --name {nameOrId} -- true`; `docker ps --filter label=agent.sandbox=true` lists them.")
    {
        NameOrId = nameOrId;
    }

    /// <summary>The name or id asked for.</summary>
    public string NameOrId { get; }
}
