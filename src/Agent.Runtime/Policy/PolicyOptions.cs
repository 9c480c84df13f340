namespace Agent.Runtime.Policy;

/// <summary>
/// The <c>Policy</c> section of appsettings.json, reloaded live: per tag an escalate and a block threshold on a step's
/// temptation aggregate, per tool a mode and overrides, and deny-by-default for tools it does not name.
/// </summary>
public sealed class PolicyOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Policy";

    /// <summary>The pseudo-tool name of the final answer.</summary>
    public const string AnswerTool = "answer";

    /// <summary>The aggregate thresholds are compared with: <c>max</c>, <c>mean</c> or <c>any</c> (1 - prod(1 - p), the default).</summary>
    public string Aggregate { get; set; } = "any";

    /// <summary>Thresholds per behaviour tag.</summary>
    public IDictionary<string, TagThresholds> Tags { get; } = new Dictionary<string, TagThresholds>(StringComparer.Ordinal);

    /// <summary>
    /// The mode rule: thresholds on the mean p(Mode 2) over an action's tokens (needs a model with a mode head); null or
    /// empty = no mode rule. A tool's own <see cref="ToolPolicy.ModeHead"/> replaces it for that tool.
    /// </summary>
    public ModeThresholds? ModeHead { get; set; }

    /// <summary>Tools the policy knows; a tool not named here is blocked (deny by default). <c>answer</c> is the final answer.</summary>
    public IDictionary<string, ToolPolicy> Tools { get; } = new Dictionary<string, ToolPolicy>(StringComparer.Ordinal);
}
