namespace Agent.Decoding.Transcripts;

/// <summary>
/// A tool's result, a plain-mode turn. Rendered as a header line <c>&lt;mode1&gt;result &lt;tool&gt; exit=&lt;code&gt;</c>
/// (plus <c> truncated</c> when the output was cut), then one line <c>| &lt;text&gt;</c> per stdout line and
/// <c>! &lt;text&gt;</c> per stderr line. The output is untrusted and escaped (see <see cref="UntrustedText"/>);
/// tool results carry no behaviour tags.
/// </summary>
public sealed class ToolResultTurn : Turn
{
    /// <summary>The header prefix.</summary>
    public const string Keyword = "result ";

    /// <summary>Creates the turn.</summary>
    /// <param name="toolName">The tool that ran, e.g. <c>shell.run</c>.</param>
    /// <param name="exitCode">Its exit code; 0 means success.</param>
    /// <param name="stdout">Standard output ("\r\n" becomes "\n"; trailing newlines are dropped).</param>
    /// <param name="stderr">Standard error (same normalisation).</param>
    /// <param name="truncated">Whether the output was cut.</param>
    /// <exception cref="TranscriptFormatException">The tool name is not valid.</exception>
    public ToolResultTurn(string toolName, int exitCode, string stdout, string stderr = "", bool truncated = false)
        : base(null, string.Empty)
    {
        if (!ToolCall.IsValidName(toolName))
        {
            throw new TranscriptFormatException($"Invalid tool name '{toolName}' in a tool result: use dot-separated identifiers such as 'shell.run'.");
        }

        ToolName = toolName;
        ExitCode = exitCode;
        Stdout = Normalize(stdout);
        Stderr = Normalize(stderr);
        Truncated = truncated;
    }

    /// <summary>The tool that ran.</summary>
    public string ToolName { get; }

    /// <summary>Its exit code.</summary>
    public int ExitCode { get; }

    /// <summary>Standard output, normalised.</summary>
    public string Stdout { get; }

    /// <summary>Standard error, normalised.</summary>
    public string Stderr { get; }

    /// <summary>Whether the output was cut.</summary>
    public bool Truncated { get; }

    /// <summary>Whether the tool succeeded (exit code 0).</summary>
    public bool Succeeded => ExitCode == 0;

    /// <inheritdoc />
    public override TurnMode Mode => TurnMode.Plain;

    /// <inheritdoc />
    public override TurnKind Kind => TurnKind.ToolResult;

    /// <summary>The unescaped header and output lines joined by "\n".</summary>
    public override string Body
    {
        get
        {
            var lines = new List<string> { Header };
            lines.AddRange(Lines(Stdout).Select(l => "| " + l));
            lines.AddRange(Lines(Stderr).Select(l => "! " + l));
            return string.Join('\n', lines);
        }
    }

    internal string Header => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"{Keyword}{ToolName} exit={ExitCode}{(Truncated ? " truncated" : string.Empty)}");

    /// <summary>Tool results carry no tags; only an empty set is accepted.</summary>
    /// <param name="tags">Must be empty.</param>
    /// <returns>This turn.</returns>
    /// <exception cref="ArgumentException">Tags were given.</exception>
    public override Turn WithTags(IEnumerable<TagSpan> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        if (tags.Any())
        {
            throw new ArgumentException("Tool results are untrusted input and carry no behaviour tags; tag the agent's call or answer instead.", nameof(tags));
        }

        return this;
    }

    internal static IEnumerable<string> Lines(string text) => text.Length == 0 ? [] : text.Split('\n');

    private static string Normalize(string? text) =>
        (text ?? string.Empty).Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n');
}
