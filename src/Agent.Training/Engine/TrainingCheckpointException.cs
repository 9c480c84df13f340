namespace Agent.Training.Engine;

/// <summary>A checkpoint folder is missing, incomplete, or was written for another model shape.</summary>
public sealed class TrainingCheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingCheckpointException()
    {
    }

    /// <summary>Creates the exception with a message that names the folder or file involved.</summary>
    public TrainingCheckpointException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public TrainingCheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
