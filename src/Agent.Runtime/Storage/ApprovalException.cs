namespace Agent.Runtime.Storage;

/// <summary>An approval cannot be decided: it does not exist, is not an escalation, or was already decided.</summary>
public sealed class ApprovalException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ApprovalException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ApprovalException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ApprovalException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
