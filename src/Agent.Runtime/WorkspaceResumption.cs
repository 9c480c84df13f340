namespace Agent.Runtime;

/// <summary>Where a resumed run's workspace came from (<see cref="IRunWorkspaces.ResumeAsync"/>).</summary>
public enum WorkspaceResumption
{
    /// <summary>No archive, and a sandbox of the run was still running (held by this process, or adopted from a killed one): used as it is.</summary>
    Running,

    /// <summary>A new sandbox was filled from the archive saved when the run parked or the host stopped; the archive is deleted.</summary>
    Restored,

    /// <summary>Neither existed: the run goes on with an empty workspace, and a warning says so.</summary>
    Empty,
}
