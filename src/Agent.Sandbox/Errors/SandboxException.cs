namespace Agent.Sandbox;

/// <summary>Base of every failure this library reports; catch it to handle all sandbox failures at once.</summary>
public abstract class SandboxException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    protected SandboxException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
