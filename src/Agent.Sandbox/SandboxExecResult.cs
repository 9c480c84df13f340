using System.Text;

namespace Agent.Sandbox;

/// <summary>What a finished exec produced. Output beyond <see cref="SandboxOptions.MaxOutputBytes"/> is dropped and flagged, never silently.</summary>
public sealed class SandboxExecResult
{
    internal SandboxExecResult(int exitCode, SandboxOutput standardOutput, SandboxOutput standardError, TimeSpan wallTime)
    {
        ExitCode = exitCode;
        StandardOutputCapture = standardOutput;
        StandardErrorCapture = standardError;
        WallTime = wallTime;
    }

    /// <summary>The command's exit code (128 + n when signal n ended it).</summary>
    public int ExitCode { get; }

    /// <summary>Captured stdout.</summary>
    public SandboxOutput StandardOutputCapture { get; }

    /// <summary>Captured stderr.</summary>
    public SandboxOutput StandardErrorCapture { get; }

    /// <summary>Captured stdout as UTF-8 text.</summary>
    public string StandardOutput => StandardOutputCapture.Text;

    /// <summary>Captured stderr as UTF-8 text.</summary>
    public string StandardError => StandardErrorCapture.Text;

    /// <summary>True when stdout or stderr went over the cap.</summary>
    public bool Truncated => StandardOutputCapture.Truncated || StandardErrorCapture.Truncated;

    /// <summary>Time from exec creation to the exit code, as seen by the caller.</summary>
    public TimeSpan WallTime { get; }

    /// <summary>Throws when any output was dropped, for callers that need the whole output.</summary>
    /// <returns>This result, for chaining.</returns>
    /// <exception cref="SandboxOutputTruncatedException">stdout or stderr went over the cap.</exception>
    public SandboxExecResult ThrowIfTruncated()
    {
        if (StandardOutputCapture.Truncated)
        {
            throw new SandboxOutputTruncatedException("stdout", StandardOutputCapture.Bytes.Length, StandardOutputCapture.TotalBytes);
        }

        if (StandardErrorCapture.Truncated)
        {
            throw new SandboxOutputTruncatedException("stderr", StandardErrorCapture.Bytes.Length, StandardErrorCapture.TotalBytes);
        }

        return this;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("exit ").Append(ExitCode).Append(" in ").Append(WallTime.TotalMilliseconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)).Append(" ms");
        if (Truncated)
        {
            text.Append(" (output truncated)");
        }

        return text.ToString();
    }
}
