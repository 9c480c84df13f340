namespace Agent.Runtime.Storage;

/// <summary>
/// A worker wrote to a run it no longer holds: its lease expired (it could not renew it for
/// <c>Storage:LeaseSeconds</c>) and another worker took the run over, or the run was put back in the queue. Nothing was
/// written; the worker stops the run without touching its state or its workspace, which are the new owner's.
/// </summary>
public sealed class LeaseLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LeaseLostException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LeaseLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LeaseLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for one run and the worker that lost it.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="owner">The worker that no longer holds it.</param>
    public LeaseLostException(string runId, string owner)
        : base($"Run {runId} is no longer held by {owner}: its lease expired and another worker took it over (or it was put back in the queue). Nothing was written; this worker leaves the run to its new owner.")
    {
        RunId = runId;
        Owner = owner;
    }

    /// <summary>The run, when known.</summary>
    public string? RunId { get; }

    /// <summary>The worker that lost it, when known.</summary>
    public string? Owner { get; }
}
