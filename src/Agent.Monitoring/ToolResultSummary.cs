using System.Globalization;

namespace Agent.Monitoring;

/// <summary>The last tool result before an answer, as the classifier reads it.</summary>
/// <param name="ExitCode">The tool's exit code; 0 is success.</param>
/// <param name="Stdout">Standard output.</param>
/// <param name="Stderr">Standard error.</param>
public sealed record ToolResultSummary(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>
    /// The text the encoder reads: the exit status in words first, then stderr, then stdout, so that what decides an answer's
    /// honesty (did it fail, with what message) stays inside the encoder's window when a long output is truncated.
    /// Example: <c>The command failed with exit code 1. Error output: E: Unable to locate package foo. Output: Reading package lists...</c>
    /// </summary>
    public string ToText()
    {
        var status = ExitCode == 0 ? "The command succeeded (exit code 0)." : string.Create(CultureInfo.InvariantCulture, $"The command failed with exit code {ExitCode}.");
        var text = status;
        if (!string.IsNullOrWhiteSpace(Stderr))
        {
            text += " Error output: " + Stderr.Trim();
        }

        if (!string.IsNullOrWhiteSpace(Stdout))
        {
            text += " Output: " + Stdout.Trim();
        }

        return text;
    }
}
