using System.ComponentModel.DataAnnotations;

namespace Agent.Runtime;

/// <summary>The <c>Agent</c> section of appsettings.json: how a run is decoded and its budgets.</summary>
public sealed class AgentOptions : IValidatableObject
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Agent";

    /// <summary>The mode tag every model step is decoded in.</summary>
    public string RequiredMode { get; set; } = "mode2";

    /// <summary>Behaviour tags banned (and monitored) at every step; empty = every behaviour tag of the Tags section.</summary>
    public IList<string> BannedTags { get; } = [];

    /// <summary>Most model steps (tool calls, malformed lines and answers) per run.</summary>
    [Range(1, 10_000)]
    public int MaxSteps { get; set; } = 16;

    /// <summary>Most generated tokens per step (one transcript line).</summary>
    [Range(8, 8192)]
    public int MaxTokensPerStep { get; set; } = 256;

    /// <summary>Most generated tokens per run.</summary>
    [Range(8, 10_000_000)]
    public int MaxTokensPerRun { get; set; } = 4096;

    /// <summary>Most seconds a run may be active (time parked waiting for a person does not count).</summary>
    [Range(1, 86_400)]
    public int MaxWallClockSeconds { get; set; } = 600;

    /// <summary>After this many blocked actions the run ends with status <c>blocked</c>.</summary>
    [Range(1, 1000)]
    public int MaxBlockedActions { get; set; } = 3;

    /// <summary>Runs decoded at the same time by the service (parallel sequences of one loaded model).</summary>
    [Range(1, 64)]
    public int ConcurrentRuns { get; set; } = 2;

    /// <summary>Sampling temperature; 0 = greedy (reproducible).</summary>
    [Range(0.0, 5.0)]
    public double Temperature { get; set; }

    /// <summary>Sampling seed when <see cref="Temperature"/> is above 0.</summary>
    public uint Seed { get; set; } = 42;

    /// <summary>Characters of tool stdout/stderr kept in the transcript per stream (the rest is cut and flagged truncated).</summary>
    [Range(64, 1_048_576)]
    public int MaxResultChars { get; set; } = 4000;

    /// <summary>
    /// Most bytes (UTF-8) of a task. A longer task is refused before it is stored: <c>agent run</c> and <c>agent submit</c>
    /// exit 2, <c>POST /runs</c> answers 413. The HTTP API also caps a request body at six times this (JSON may escape
    /// every character as <c>\uXXXX</c>) plus 4 KiB, so a huge body is refused before it is read.
    /// </summary>
    [Range(1, 16 * 1024 * 1024, ErrorMessage = "Agent:MaxTaskBytes must be between 1 and 16777216 (16 MiB).")]
    public int MaxTaskBytes { get; set; } = 64 * 1024;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(RequiredMode))
        {
            yield return new ValidationResult("Agent:RequiredMode must name a mode tag, e.g. \"mode2\".", [nameof(RequiredMode)]);
        }

        if (MaxTokensPerStep > MaxTokensPerRun)
        {
            yield return new ValidationResult(
                $"Agent:MaxTokensPerStep ({MaxTokensPerStep}) is larger than Agent:MaxTokensPerRun ({MaxTokensPerRun}).", [nameof(MaxTokensPerStep)]);
        }
    }
}
