using Agent.Runtime.Storage;

namespace Agent.Runtime;

/// <summary>Runs (or resumes) one stored run until it ends, parks for a person, or is cancelled.</summary>
public interface IAgentRunner
{
    /// <summary>
    /// Runs <paramref name="runId"/>, already claimed by <paramref name="owner"/>, from its last completed step.
    /// Cancellation (host shutdown) stops before the next model step and puts the run back in the queue; a tool
    /// that is running is let finish first.
    /// </summary>
    /// <returns>The run as stored afterwards.</returns>
    Task<RunRecord> RunAsync(string runId, string owner, CancellationToken cancellationToken = default);
}
