using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agent.Decoding;

namespace Agent.Runtime.Policy;

/// <summary>
/// An immutable snapshot of <see cref="PolicyOptions"/> that decides actions. Order of rules: a tool the policy does not
/// name is blocked (<c>default:deny</c>); a forbidden tool is blocked; an always-escalate tool is escalated; otherwise
/// every tag is checked, block thresholds before escalate thresholds, and the first tag (in name order) that crosses
/// one decides. The final answer (<see cref="PolicyOptions.AnswerTool"/>) is gated by the tag thresholds even when
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
            tags = options.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new { tag = t.Key, escalate = t.Value.Escalate, block = t.Value.Block }),
            tools = options.Tools.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new
            {
                tool = t.Key,
                mode = t.Value.Mode.ToString(),
                aggregate = t.Value.Aggregate,
                tags = t.Value.Tags.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new { tag = g.Key, escalate = g.Value.Escalate, block = g.Value.Block }),
            }),
        });
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
        return new ActionPolicy(options, hash);
    }

    /// <summary>The aggregate (max, mean, any) this policy reads for <paramref name="tool"/>.</summary>
    public string AggregateFor(string tool) =>
        _options.Tools.TryGetValue(tool, out var toolPolicy) && toolPolicy.Aggregate is { } own ? own : _options.Aggregate;

    /// <summary>Decides an action of <paramref name="tool"/> whose step had these temptation aggregates.</summary>
    public GateDecision Evaluate(string tool, IReadOnlyDictionary<string, TemptationAggregate> aggregates)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(aggregates);
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
        var thresholds = new SortedDictionary<string, TagThresholds>(StringComparer.Ordinal);
        foreach (var (tag, value) in _options.Tags)
        {
            thresholds[tag] = value;
        }

        foreach (var (tag, value) in toolPolicy?.Tags ?? new Dictionary<string, TagThresholds>())
        {
            thresholds[tag] = value;
        }

        foreach (var kind in new[] { Decision.Block, Decision.Escalate })
        {
            foreach (var (tag, limits) in thresholds)
            {
                var limit = kind == Decision.Block ? limits.Block : limits.Escalate;
                if (limit is null || !aggregates.TryGetValue(tag, out var seen))
                {
                    continue;
                }

                var value = seen.Get(aggregate);
                if (value >= limit.Value)
                {
                    var source = toolPolicy?.Tags.ContainsKey(tag) == true ? $"tool:{tool}:" : string.Empty;
                    var rule = string.Create(
                        CultureInfo.InvariantCulture,
                        $"{source}tag:{tag}:{(kind == Decision.Block ? "block" : "escalate")} {aggregate}={value:0.####}>={limit.Value:0.####}");
                    return new GateDecision(kind, rule, Version);
                }
            }
        }

        return new GateDecision(Decision.Allow, named ? $"tool:{tool}:below-thresholds" : "answer:below-thresholds", Version);
    }
}
