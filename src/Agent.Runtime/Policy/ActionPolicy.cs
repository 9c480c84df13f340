using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agent.Decoding;

namespace Agent.Runtime.Policy;

/// <summary>
/// An immutable snapshot of <see cref="PolicyOptions"/> that decides actions. Order of rules: a tool the policy does not
/// name is blocked (<c>default:deny</c>); a forbidden tool is blocked; an always-escalate tool is escalated; otherwise
/// every tag is checked with the signals it counts (the model's temptation, the classifier's probability, or both), block
/// thresholds before escalate thresholds, and the first tag (in name order) and signal that crosses one decides. The final answer (<see cref="PolicyOptions.AnswerTool"/>) is gated by the tag thresholds even when
/// the policy does not name it.
/// </summary>
public sealed class ActionPolicy
{
    private readonly PolicyOptions _options;

    private ActionPolicy(PolicyOptions options, string version)
    {
        _options = options;
        Version = version;
    }

    /// <summary>The first 16 hex digits of the SHA-256 of the policy's canonical JSON: two equal policies have the same version.</summary>
    public string Version { get; }

    /// <summary>Snapshots options (callers validate them first, see <see cref="PolicyOptionsValidator"/>).</summary>
    public static ActionPolicy Create(PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var canonical = JsonSerializer.Serialize(new
        {
            aggregate = options.Aggregate,
            tags = options.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => Canonical(t.Key, t.Value)),
            tools = options.Tools.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new
            {
                tool = t.Key,
                mode = t.Value.Mode.ToString(),
                aggregate = t.Value.Aggregate,
                tags = t.Value.Tags.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Canonical(g.Key, g.Value)),
            }),
        });
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
        return new ActionPolicy(options, hash);
    }

    // A policy that counts only the model's signal keeps the version it had before the classifier existed.
    private static object Canonical(string tag, TagThresholds t) => t.Signals == TagSignals.Model
        ? new { tag, escalate = t.Escalate, block = t.Block }
        : new { tag, escalate = t.Escalate, block = t.Block, signals = t.Signals.ToString(), classifier_escalate = t.Classifier.Escalate, classifier_block = t.Classifier.Block };

    /// <summary>The aggregate (max, mean, any) this policy reads for <paramref name="tool"/>.</summary>
    public string AggregateFor(string tool) =>
        _options.Tools.TryGetValue(tool, out var toolPolicy) && toolPolicy.Aggregate is { } own ? own : _options.Aggregate;

    /// <summary>Decides an action of <paramref name="tool"/> whose step had these temptation aggregates (the model's signal only).</summary>
    public GateDecision Evaluate(string tool, IReadOnlyDictionary<string, TemptationAggregate> aggregates)
    {
        ArgumentNullException.ThrowIfNull(aggregates);
        return Evaluate(tool, GateSignals.FromModel(aggregates));
    }

    /// <summary>
    /// Decides an action of <paramref name="tool"/> from both signals. For each kind (block before escalate), each tag in
    /// name order, and each signal the tag counts (the model's before the classifier's): the first value at or over its
    /// threshold decides, and the decision names its tag and signal. A signal that is absent for a tag (no trained
    /// token, no classifier head for this kind of action) cannot fire.
    /// </summary>
    public GateDecision Evaluate(string tool, GateSignals signals)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(signals);
        var named = _options.Tools.TryGetValue(tool, out var toolPolicy);
        if (!named && tool != PolicyOptions.AnswerTool)
        {
            return new GateDecision(Decision.Block, "default:deny (tool not named in Policy:Tools)", Version);
        }

        switch (toolPolicy?.Mode)
        {
            case ToolMode.Forbidden:
                return new GateDecision(Decision.Block, $"tool:{tool}:forbidden", Version);
            case ToolMode.AlwaysEscalate:
                return new GateDecision(Decision.Escalate, $"tool:{tool}:always-escalate", Version);
        }

        var aggregate = toolPolicy?.Aggregate ?? _options.Aggregate;
        foreach (var kind in new[] { Decision.Block, Decision.Escalate })
        {
            foreach (var (tag, limits) in ThresholdsFor(toolPolicy))
            {
                var source = toolPolicy?.Tags.ContainsKey(tag) == true ? $"tool:{tool}:" : string.Empty;
                var verb = kind == Decision.Block ? "block" : "escalate";
                if (limits.CountsModel && (kind == Decision.Block ? limits.Block : limits.Escalate) is { } limit
                    && signals.Temptation.TryGetValue(tag, out var seen) && seen.Get(aggregate) is var value && value >= limit)
                {
                    var rule = string.Create(CultureInfo.InvariantCulture, $"{source}tag:{tag}:{verb} {aggregate}={value:0.####}>={limit:0.####}");
                    return new GateDecision(kind, rule, Version) { Tag = tag, Signal = GateSignal.Model };
                }

                if (limits.CountsClassifier && (kind == Decision.Block ? limits.Classifier.Block : limits.Classifier.Escalate) is { } classifierLimit
                    && signals.Classifier.TryGetValue(tag, out var p) && p >= classifierLimit)
                {
                    var rule = string.Create(CultureInfo.InvariantCulture, $"{source}tag:{tag}:classifier:{verb} p={p:0.####}>={classifierLimit:0.####}");
                    return new GateDecision(kind, rule, Version) { Tag = tag, Signal = GateSignal.Classifier };
                }
            }
        }

        return new GateDecision(Decision.Allow, named ? $"tool:{tool}:below-thresholds" : "answer:below-thresholds", Version);
    }

    /// <summary>Whether any tag of any tool counts the classifier's signal (then the classifier must be loaded).</summary>
    public bool CountsClassifier =>
        _options.Tags.Values.Any(t => t.CountsClassifier) || _options.Tools.Values.Any(t => t.Tags.Values.Any(g => g.CountsClassifier));

    private SortedDictionary<string, TagThresholds> ThresholdsFor(ToolPolicy? toolPolicy)
    {
        var thresholds = new SortedDictionary<string, TagThresholds>(StringComparer.Ordinal);
        foreach (var (tag, value) in _options.Tags)
        {
            thresholds[tag] = value;
        }

        foreach (var (tag, value) in toolPolicy?.Tags ?? new Dictionary<string, TagThresholds>())
        {
            thresholds[tag] = value;
        }

        return thresholds;
    }
}
