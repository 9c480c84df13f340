using Agent.Decoding;
using Agent.Runtime.Policy;

namespace Agent.Runtime;

/// <summary>
/// What the gate can read for one configured tag (<c>agent info</c>, <c>agent run</c>): how the model spells it, whether the
/// policy has an entry for it, which signals that entry counts, and therefore what the gate reads.
/// </summary>
/// <param name="Tag">The tag name.</param>
/// <param name="Kind"><c>mode</c> or <c>behaviour</c>.</param>
/// <param name="Token">How the model spells it.</param>
/// <param name="PolicyEntry">Whether <c>Policy:Tags</c> or some <c>Policy:Tools:&lt;tool&gt;:Tags</c> has an entry for it (mode tags need none).</param>
/// <param name="Counted">The signals the policy counts for it (<c>model</c>, <c>classifier</c>, and <c>combined</c> when an entry reads their combined score), in any entry.</param>
/// <param name="GateReads">What the gate reads: <c>model</c>, <c>classifier</c>, <c>combined</c>, joined by <c>+</c> (e.g. <c>model+classifier</c>), or <c>nothing</c>; <c>-</c> for a mode tag.</param>
/// <param name="Note">Why, in words, when the gate reads less than the policy asks, or nothing.</param>
public sealed record TagReadout(string Tag, string Kind, TagTokenState Token, bool PolicyEntry, IReadOnlyList<string> Counted, string GateReads, string? Note)
{
    /// <summary>Whether the model's own probability of the tag is a signal (<see cref="TagTokens.IsModelSignal"/>).</summary>
    public bool ModelSignal => TagTokens.IsModelSignal(Token);

    /// <summary>The readout of every tag of <paramref name="tags"/>.</summary>
    /// <param name="tags">The configured tags resolved against the model.</param>
    /// <param name="states">How the model spells each (<see cref="TagTokens.Inspect"/>).</param>
    /// <param name="policy">The policy in force.</param>
    /// <param name="classifierLoaded">Whether the classifier is loaded; null when not known (<c>agent info</c> does not load it).</param>
    public static IReadOnlyList<TagReadout> Describe(TagSet tags, IReadOnlyDictionary<string, TagTokenState> states, PolicyOptions policy, bool? classifierLoaded)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(policy);
        return [.. tags.Tags.Select(t => Describe(t, states[t.Name], policy, classifierLoaded))];
    }

    private static TagReadout Describe(ResolvedTag tag, TagTokenState token, PolicyOptions policy, bool? classifierLoaded)
    {
        if (tag.Kind == TagKind.Mode)
        {
            return new TagReadout(tag.Name, "mode", token, PolicyEntry: true, [], "-", null);
        }

        var entries = policy.Tags.Where(e => e.Key == tag.Name).Select(e => e.Value)
            .Concat(policy.Tools.Values.SelectMany(p => p.Tags.Where(e => e.Key == tag.Name).Select(e => e.Value)))
            .ToList();
        if (entries.Count == 0)
        {
            return new TagReadout(tag.Name, "behaviour", token, PolicyEntry: false, [], "nothing",
                $"no policy entry: Policy:Tags has no '{tag.Name}', so this tag never stops an action; add thresholds for it (Policy:Tags:{tag.Name})");
        }

        var countsModel = entries.Any(e => e.CountsModel);
        var countsClassifier = entries.Any(e => e.CountsClassifier);
        var countsCombined = entries.Any(e => e.Signals == TagSignals.Combined);
        string[] counted = [.. new[] { countsModel ? "model" : null, countsClassifier ? "classifier" : null, countsCombined ? "combined" : null }.OfType<string>()];
        var modelSignal = TagTokens.IsModelSignal(token);
        var classifierReadable = classifierLoaded != false;
        var readsModel = entries.Any(e => e.ReadsModelThresholds) && modelSignal;
        var readsClassifier = entries.Any(e => e.ReadsClassifierThresholds) && classifierReadable;
        var readsCombined = countsCombined && modelSignal && classifierReadable;
        var parts = new[] { readsModel ? "model" : null, readsClassifier ? "classifier" : null, readsCombined ? "combined" : null }.OfType<string>().ToArray();
        var reads = parts.Length == 0 ? "nothing" : string.Join("+", parts);
        string? note = null;
        if (countsCombined && !modelSignal)
        {
            note = $"the model's own signal is absent ({Words(token)}) and the policy reads the combined signal for it, which needs it: runs refuse to start; "
                + $"use a model trained with the tag or set Signals to Classifier or Both for it";
        }
        else if (countsModel && !modelSignal)
        {
            note = $"the model's own signal is absent ({Words(token)})"
                + (readsClassifier ? "; the gate reads the classifier for it" : $"; the policy counts only the model's signal, so this tag cannot stop an action: count the classifier (Policy:Tags:{tag.Name}:Signals = Classifier or Both)");
        }
        else if (countsClassifier && !classifierReadable)
        {
            note = countsCombined ? "the classifier is not loaded, so the combined score and the classifier's thresholds cannot fire" : "the classifier is not loaded, so its threshold cannot fire";
        }

        return new TagReadout(tag.Name, "behaviour", token, PolicyEntry: true, counted, reads, note);
    }

    /// <summary>The state in words.</summary>
    public static string Words(TagTokenState token) => token switch
    {
        TagTokenState.TrainedToken => "a trained single token",
        TagTokenState.UntrainedToken => "a single token that was never trained",
        TagTokenState.UncheckedToken => "a single token (rows not checked)",
        _ => "only a multi-token string",
    };
}
