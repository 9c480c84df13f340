namespace Agent.Sandbox;

/// <summary>A sandbox image did not build; the message ends with the tail of the build log.</summary>
public sealed class SandboxImageBuildException : SandboxException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="image">The image folder name.</param>
    /// <param name="reason">Why the build failed.</param>
    /// <param name="logTail">The last lines of the build log.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public SandboxImageBuildException(string image, string reason, string logTail, Exception? innerException = null)
        : base(
            $"Building sandbox image '{image}' failed: {reason}. Fix the image's Dockerfile or build context, then run " +
            $"`agent sandbox build`. Last lines of the build log:{Environment.NewLine}{logTail}",
            innerException)
    {
        Image = image;
        LogTail = logTail;
    }

    /// <summary>The image folder name.</summary>
    public string Image { get; }

    /// <summary>The last lines of the build log.</summary>
    public string LogTail { get; }
}
