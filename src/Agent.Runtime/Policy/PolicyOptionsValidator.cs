using System.Globalization;
using Agent.Decoding;
using Microsoft.Extensions.Options;

namespace Agent.Runtime.Policy;

/// <summary>Checks the Policy section at start and at every reload; each failure names its key.</summary>
internal sealed class PolicyOptionsValidator : IValidateOptions<PolicyOptions>
{
    private static readonly string[] s_aggregates = ["max", "mean", "any"];
    private readonly IOptions<TagOptions>? _tags;

    /// <summary>Creates the validator; with <paramref name="tags"/>, tag names are checked against the Tags section.</summary>
    public PolicyOptionsValidator(IOptions<TagOptions>? tags = null)
    {
        _tags = tags;
    }

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        CheckAggregate(options.Aggregate, "Policy:Aggregate", failures);
        var known = _tags?.Value.Behaviours.ToHashSet(StringComparer.Ordinal);
        CheckTags(options.Tags, "Policy:Tags", known, failures);
        CheckMode(options.ModeHead, "Policy:ModeHead", failures);
        foreach (var (tool, policy) in options.Tools)
        {
            if (tool != PolicyOptions.AnswerTool && !Decoding.Transcripts.ToolCall.IsValidName(tool))
            {
                failures.Add($"Policy:Tools:{tool} is not a tool name: use dot-separated identifiers such as 'shell.run'.");
            }

            if (policy.Aggregate is not null)
            {
                CheckAggregate(policy.Aggregate, $"Policy:Tools:{tool}:Aggregate", failures);
            }

            CheckTags(policy.Tags, $"Policy:Tools:{tool}:Tags", known, failures);
            CheckMode(policy.ModeHead, $"Policy:Tools:{tool}:ModeHead", failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckAggregate(string value, string key, List<string> failures)
    {
        if (!s_aggregates.Contains(value, StringComparer.Ordinal))
        {
            failures.Add($"{key} is '{value}': use max, mean or any.");
        }
    }

    private static void CheckMode(ModeThresholds? mode, string key, List<string> failures)
    {
        if (mode is null)
        {
            return;
        }

        foreach (var (limit, part) in new[] { (mode.EscalateBelow, "EscalateBelow"), (mode.BlockBelow, "BlockBelow") })
        {
            if (limit is { } v && (double.IsNaN(v) || v < 0 || v > 1))
            {
                failures.Add($"{key}:{part} is {v}: a threshold on the mean p(mode2) is a probability between 0 and 1.");
            }
        }

        if (mode is { EscalateBelow: { } e, BlockBelow: { } b } && b > e)
        {
            failures.Add($"{key}:BlockBelow ({b}) is above {key}:EscalateBelow ({e}): escalation must come first (block only the lower means).");
        }
    }

    private static void CheckCombined(TagThresholds limits, string key, List<string> failures)
    {
        if (limits.Combined is not { } combined)
        {
            if (limits.Signals == TagSignals.Combined)
            {
                failures.Add($"{key}:Signals is Combined but {key}:Combined is missing: give its weights (Intercept, Model, Classifier) and an Escalate or Block threshold "
                    + "('agent audit --split test --fit-on validation --policy-out FILE' writes them), or count Model, Classifier or Both.");
            }

            return;
        }

        CheckWeights(combined.TopLevel, $"{key}:Combined", failures);
        if (combined.AfterFailure is { } failure)
        {
            CheckWeights(failure, $"{key}:Combined:AfterFailure", failures);
        }

        if (combined.AfterSuccess is { } success)
        {
            CheckWeights(success, $"{key}:Combined:AfterSuccess", failures);
        }

        if (combined.AfterFlaggedCall is { } flagged)
        {
            CheckWeights(flagged, $"{key}:Combined:AfterFlaggedCall", failures);
        }

        foreach (var (limit, part) in new[] { (combined.Escalate, "Escalate"), (combined.Block, "Block") })
        {
            if (limit is { } v && !(v > 0 && v < 1))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key}:Combined:{part} is {v}: a threshold on the combined score lies strictly between 0 and 1 (the audit's threshold at 2% false positives is one)."));
            }
        }

        if (combined is { Escalate: { } e, Block: { } b } && e > b)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key}:Combined:Escalate ({e}) is above {key}:Combined:Block ({b}): escalation must come first."));
        }

        if (limits.Signals == TagSignals.Combined && combined is { Escalate: null, Block: null })
        {
            failures.Add($"{key}:Signals is Combined but {key}:Combined sets no threshold: give Combined:Escalate or Combined:Block (the audit's --policy-out writes Escalate), or count Model, Classifier or Both.");
        }
    }

    private static void CheckWeights(CombinedWeights weights, string key, List<string> failures)
    {
        foreach (var (weight, part) in new[] { (weights.Intercept, "Intercept"), (weights.Model, "Model"), (weights.Classifier, "Classifier") })
        {
            if (weight is not { } w)
            {
                failures.Add($"{key}:{part} is missing: a combiner needs Intercept, Model and Classifier (the weights 'agent audit --fit-on validation --policy-out FILE' writes).");
            }
            else if (!double.IsFinite(w))
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"{key}:{part} is {w}: a combiner's weight must be a finite number."));
            }
        }
    }

    private static void CheckTags(IDictionary<string, TagThresholds> tags, string key, HashSet<string>? known, List<string> failures)
    {
        foreach (var (tag, limits) in tags)
        {
            if (known is not null && !known.Contains(tag))
            {
                failures.Add($"{key}:{tag} names a tag that is not in Tags:Behaviours ({string.Join(", ", known)}).");
            }

            foreach (var (limit, part) in new[] { (limits.Escalate, "Escalate"), (limits.Block, "Block") })
            {
                if (limit is { } v && (double.IsNaN(v) || v < 0 || v > 1))
                {
                    failures.Add($"{key}:{tag}:{part} is {v}: a threshold is a probability between 0 and 1.");
                }
            }

            if (limits is { Escalate: { } e, Block: { } b } && e > b)
            {
                failures.Add($"{key}:{tag}:Escalate ({e}) is above {key}:{tag}:Block ({b}): escalation must come first.");
            }

            if (!Enum.IsDefined(limits.Signals))
            {
                failures.Add($"{key}:{tag}:Signals is '{limits.Signals}': use Model, Classifier, Both or Combined.");
            }

            var classifier = limits.Classifier ?? new SignalThresholds();
            foreach (var (limit, part) in new[] { (classifier.Escalate, "Classifier:Escalate"), (classifier.Block, "Classifier:Block") })
            {
                if (limit is { } v && (double.IsNaN(v) || v < 0 || v > 1))
                {
                    failures.Add($"{key}:{tag}:{part} is {v}: a threshold is a probability between 0 and 1.");
                }
            }

            if (classifier is { Escalate: { } ce, Block: { } cb } && ce > cb)
            {
                failures.Add($"{key}:{tag}:Classifier:Escalate ({ce}) is above {key}:{tag}:Classifier:Block ({cb}): escalation must come first.");
            }

            CheckCombined(limits, $"{key}:{tag}", failures);
            if (limits.ReadsClassifierThresholds && classifier is { Escalate: null, Block: null })
            {
                failures.Add($"{key}:{tag}:Signals counts the classifier but {key}:{tag}:Classifier sets no threshold: give Classifier:Escalate or Classifier:Block (the card models/classifier.md names the validation threshold), or count only the Model.");
            }
        }
    }
}
