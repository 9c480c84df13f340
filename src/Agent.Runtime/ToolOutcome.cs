namespace Agent.Runtime;

/// <summary>What the model is shown after an action: exit code, output, and whether output was cut.</summary>
/// <param name="ExitCode">0 = success; 126 blocked or denied, 125 interrupted, 127 unknown tool, 2 invalid call.</param>
/// <param name="Stdout">Standard output.</param>
/// <param name="Stderr">Standard error (or the reason the action did not run).</param>
/// <param name="Truncated">Whether output was cut.</param>
public sealed record ToolOutcome(int ExitCode, string Stdout, string Stderr, bool Truncated)
{
    /// <summary>Exit code of an action that was blocked or denied.</summary>
    public const int NotRunExitCode = 126;

    /// <summary>Exit code of an action interrupted by a crash.</summary>
    public const int InterruptedExitCode = 125;

    /// <summary>Exit code of a call of an unknown tool.</summary>
    public const int UnknownToolExitCode = 127;

    /// <summary>Exit code of a malformed line or invalid arguments.</summary>
    public const int InvalidCallExitCode = 2;

    /// <summary>An action that did not run, with the reason on stderr.</summary>
    public static ToolOutcome NotRun(int exitCode, string reason) => new(exitCode, string.Empty, reason, false);
}
