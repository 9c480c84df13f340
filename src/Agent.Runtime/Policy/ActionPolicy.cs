using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agent.Decoding;

namespace Agent.Runtime.Policy;

/// <summary>
/// An immutable snapshot of <see cref="PolicyOptions"/> that decides actions. Order of rules: a tool the policy does not
/// name is blocked (<c>default:deny</c>); a forbidden tool is blocked; an always-escalate tool is escalated; otherwise
/// every tag is checked with the signals it counts (the model's temptation, the classifier's probability, both, or their
/// combined score), block
/// thresholds before escalate thresholds, and the first tag (in name order) and signal that crosses one decides; the mode
/// rule (<see cref="ModeThresholds"/>: the mean p(Mode 2) over the action's tokens below a threshold) is read after the tags. The final answer (<see cref="PolicyOptions.AnswerTool"/>) is gated by the tag thresholds even when
/// the policy does not name it.
/// </summary>
public sealed class ActionPolicy
{
    /// <summary>The <see cref="FiredSignal.Tag"/> of the mode rule's crossing (it reads no tag): <c>mode2</c>.</summary>
    public const string ModeTag = "mode2";

    private readonly PolicyOptions _options;

    private ActionPolicy(PolicyOptions options, string version)
    {
        _options = options;
        Version = version;
        ModeRules = ModeRuleKeys(options);
        CombinedRules = CombinedRuleKeys(options);
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
        // A policy without a mode rule keeps the version it had before the mode rule existed.
        var modeRules = ModeRuleKeys(options);
        if (modeRules.Count > 0)
        {
            canonical += "\n" + JsonSerializer.Serialize(new
            {
                mode = Canonical(options.ModeHead),
                tools = options.Tools.Where(t => t.Value.ModeHead is not null).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new { tool = t.Key, mode = Canonical(t.Value.ModeHead) }),
            });
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
        return new ActionPolicy(options, hash);
    }

    // A policy that counts only the model's signal keeps the version it had before the classifier existed, and one that
    // does not use the combined signal the version it had before that existed.
    private static object Canonical(string tag, TagThresholds t) => t.Signals switch
    {
        TagSignals.Model => new { tag, escalate = t.Escalate, block = t.Block },
        TagSignals.Combined => new
        {
            tag,
            escalate = t.Escalate,
            block = t.Block,
            signals = t.Signals.ToString(),
            classifier_escalate = t.Classifier.Escalate,
            classifier_block = t.Classifier.Block,
            combined = t.Combined is not { } c ? null : new
            {
                weights = Canonical(c.TopLevel),
                after_failure = Canonical(c.AfterFailure),
                after_success = Canonical(c.AfterSuccess),
                after_flagged_call = Canonical(c.AfterFlaggedCall),
                escalate = c.Escalate,
                block = c.Block,
            },
        },
        _ => new { tag, escalate = t.Escalate, block = t.Block, signals = t.Signals.ToString(), classifier_escalate = t.Classifier.Escalate, classifier_block = t.Classifier.Block },
    };

    private static object? Canonical(CombinedWeights? w) => w is null ? null : new { intercept = w.Intercept, model = w.Model, classifier = w.Classifier };

    private static object? Canonical(ModeThresholds? m) => m is null ? null : new { escalate_below = m.EscalateBelow, block_below = m.BlockBelow };

    /// <summary>The keys of every mode rule that sets a threshold (<c>Policy:ModeHead</c>, <c>Policy:Tools:&lt;tool&gt;:ModeHead</c>); empty when none does.</summary>
    public static IReadOnlyList<string> ModeRuleKeys(PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new List<string>();
        if (options.ModeHead?.IsSet == true)
        {
            keys.Add("Policy:ModeHead");
        }

        keys.AddRange(options.Tools.Where(t => t.Value.ModeHead?.IsSet == true).Select(t => $"Policy:Tools:{t.Key}:ModeHead").Order(StringComparer.Ordinal));
        return keys;
    }

    /// <summary>The keys of the mode rules of this policy (<see cref="ModeRuleKeys(PolicyOptions)"/>): when any, the model must have a mode head.</summary>
    public IReadOnlyList<string> ModeRules { get; }

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
    /// name order, and each signal the tag counts (the model's before the classifier's; a <see cref="TagSignals.Combined"/>
    /// tag only its combined score, with the weights for <see cref="GateSignals.LastExitCode"/>): the first value at or
    /// over its threshold decides, and the decision names its tag and signal; every other signal that crossed a threshold
    /// with it is kept in <see cref="GateDecision.Fired"/>. A signal that is absent for a tag (no trained token, no
    /// classifier head for this kind of action) cannot fire, and a combined score needs both.
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

        var aggregate = toolPolicy?.Aggregate ?? _options.Aggregate;
        var fired = Crossings(toolPolicy, aggregate, signals);
        switch (toolPolicy?.Mode)
        {
            case ToolMode.Forbidden:
                return new GateDecision(Decision.Block, $"tool:{tool}:forbidden", Version) { Fired = fired };
            case ToolMode.AlwaysEscalate:
                return new GateDecision(Decision.Escalate, $"tool:{tool}:always-escalate", Version) { Fired = fired };
        }

        // The first crossing at the highest level decides: block before escalate, then tag name, then model before classifier.
        if ((fired.FirstOrDefault(f => f.Level == Decision.Block) ?? fired.FirstOrDefault()) is { } first)
        {
            var source = toolPolicy?.Tags.ContainsKey(first.Tag) == true ? $"tool:{tool}:" : string.Empty;
            var verb = first.Level == Decision.Block ? "block" : "escalate";
            if (first.Signal == GateSignal.Mode)
            {
                var modeSource = toolPolicy?.ModeHead is not null ? $"tool:{tool}:" : string.Empty;
                var modeRule = string.Create(CultureInfo.InvariantCulture, $"{modeSource}mode:{verb} mean_p_mode2={first.Value:0.####}<{first.Threshold:0.####}");
                return new GateDecision(first.Level, modeRule, Version) { Signal = GateSignal.Mode, Fired = fired };
            }

            var rule = first.Signal switch
            {
                GateSignal.Model => string.Create(CultureInfo.InvariantCulture, $"{source}tag:{first.Tag}:{verb} {aggregate}={first.Value:0.####}>={first.Threshold:0.####}"),
                GateSignal.Combined => string.Create(CultureInfo.InvariantCulture, $"{source}tag:{first.Tag}:combined:{verb} s={first.Value:0.####}>={first.Threshold:0.####}"),
                _ => string.Create(CultureInfo.InvariantCulture, $"{source}tag:{first.Tag}:classifier:{verb} p={first.Value:0.####}>={first.Threshold:0.####}"),
            };
            return new GateDecision(first.Level, rule, Version) { Tag = first.Tag, Signal = first.Signal, Fired = fired };
        }

        return new GateDecision(Decision.Allow, named ? $"tool:{tool}:below-thresholds" : "answer:below-thresholds", Version);
    }

    /// <summary>Whether any tag of any tool counts the classifier's signal (then the classifier must be loaded).</summary>
    public bool CountsClassifier =>
        _options.Tags.Values.Any(t => t.CountsClassifier) || _options.Tools.Values.Any(t => t.Tags.Values.Any(g => g.CountsClassifier));

    /// <summary>Every counted signal at or over a threshold, tag by tag (name order), the model's before the classifier's (a combined tag reads only its combined score), each at its highest level.</summary>
    private List<FiredSignal> Crossings(ToolPolicy? toolPolicy, string aggregate, GateSignals signals)
    {
        var fired = new List<FiredSignal>();
        foreach (var (tag, limits) in ThresholdsFor(toolPolicy))
        {
            if (limits.ReadsModelThresholds && signals.Temptation.TryGetValue(tag, out var seen) && Crossing(tag, GateSignal.Model, seen.Get(aggregate), limits.Block, limits.Escalate) is { } model)
            {
                fired.Add(model);
            }

            if (limits.ReadsClassifierThresholds && signals.Classifier.TryGetValue(tag, out var p) && Crossing(tag, GateSignal.Classifier, p, limits.Classifier.Block, limits.Classifier.Escalate) is { } classifier)
            {
                fired.Add(classifier);
            }

            // The combined score needs both signals: without either (no trained token, no classifier head for this kind of
            // action) there is no score and it cannot cross. The runner refuses to start when the model lacks the tag.
            if (limits.Signals == TagSignals.Combined && limits.Combined is { } c && CombinedScore(tag, aggregate, signals, c) is { } score
                && Crossing(tag, GateSignal.Combined, score, c.Block, c.Escalate) is { } combined)
            {
                fired.Add(combined);
            }
        }

        // The mode rule after the tags: a mean p(Mode 2) below a threshold crosses it (the model's signal of the action
        // being written as text, not as an action). No mode signal (no head) cannot cross; the runner refuses that case.
        if ((toolPolicy?.ModeHead ?? _options.ModeHead) is { IsSet: true } mode && signals.Mode is { } m)
        {
            if (mode.BlockBelow is { } b && m.Mean < b)
            {
                fired.Add(new FiredSignal(ModeTag, GateSignal.Mode, Decision.Block, m.Mean, b));
            }
            else if (mode.EscalateBelow is { } e && m.Mean < e)
            {
                fired.Add(new FiredSignal(ModeTag, GateSignal.Mode, Decision.Escalate, m.Mean, e));
            }
        }

        return fired;
    }

    /// <summary>
    /// The combined score of <paramref name="tag"/> for an action (the weights for how its last tool result ended), or null
    /// when either signal is absent for the tag.
    /// </summary>
    private static double? CombinedScore(string tag, string aggregate, GateSignals signals, CombinedThresholds combined) =>
        signals.Temptation.TryGetValue(tag, out var temptation) && signals.Classifier.TryGetValue(tag, out var p)
            ? combined.WeightsFor(signals.LastExitCode, signals.EarlierCallFlagged).Score(temptation.Get(aggregate), p)
            : null;

    /// <summary>
    /// The keys of every tag entry that reads the combined signal (<c>Policy:Tags:&lt;tag&gt;</c>,
    /// <c>Policy:Tools:&lt;tool&gt;:Tags:&lt;tag&gt;</c>) with its tag; empty when none does. The combined signal needs the
    /// model's temptation for the tag, so the runner refuses to start when the model has no trained token for one of them.
    /// </summary>
    public static IReadOnlyList<(string Key, string Tag)> CombinedRuleKeys(PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [.. options.Tags.Where(t => t.Value.Signals == TagSignals.Combined).Select(t => ($"Policy:Tags:{t.Key}", t.Key)).OrderBy(k => k.Item1, StringComparer.Ordinal)
            .Concat(options.Tools.SelectMany(tool => tool.Value.Tags.Where(t => t.Value.Signals == TagSignals.Combined).Select(t => ($"Policy:Tools:{tool.Key}:Tags:{t.Key}", t.Key)))
                .OrderBy(k => k.Item1, StringComparer.Ordinal))];
    }

    /// <summary>The combined rules of this policy (<see cref="CombinedRuleKeys(PolicyOptions)"/>).</summary>
    public IReadOnlyList<(string Key, string Tag)> CombinedRules { get; }

    private static FiredSignal? Crossing(string tag, GateSignal signal, double value, double? block, double? escalate) =>
        block is { } b && value >= b ? new FiredSignal(tag, signal, Decision.Block, value, b)
        : escalate is { } e && value >= e ? new FiredSignal(tag, signal, Decision.Escalate, value, e)
        : null;

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
