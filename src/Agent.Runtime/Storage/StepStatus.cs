namespace Agent.Runtime.Storage;

/// <summary>
/// The journal state of a step. A tool runs only between <see cref="Started"/> and <see cref="Completed"/>; a step
/// found <see cref="Started"/> after a crash becomes <see cref="Interrupted"/> and is never run again.
/// </summary>
public enum StepStatus
{
    /// <summary>Generated and parsed; nothing has happened yet (discarded and regenerated on resume).</summary>
    Proposed,

    /// <summary>Allowed; the tool is running (durably recorded before it starts).</summary>
    Started,

    /// <summary>The tool ran and its result is recorded.</summary>
    Completed,

    /// <summary>The process stopped while the tool ran; its effects are unknown and it is not re-run. The model is told.</summary>
    Interrupted,

    /// <summary>The gate blocked it; the model is told.</summary>
    Blocked,

    /// <summary>Escalated: waiting for a person.</summary>
    Pending,

    /// <summary>A person denied it; the model is told.</summary>
    Denied,

    /// <summary>Malformed line, unknown tool or invalid arguments; the model got an error result.</summary>
    Invalid,

    /// <summary>The tool's infrastructure failed (sandbox died, Docker unavailable); the run failed.</summary>
    Failed,

    /// <summary>An answer the gate let through (or a person approved): the run's final answer.</summary>
    Answered,
}
