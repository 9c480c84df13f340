using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Agent.Decoding;
using Agent.Runtime.Policy;

namespace Agent.Runtime.Storage;

/// <summary>
/// The evidence of an escalated or blocked action, as the log keeps it: the per-token trace of the model's step and the
/// classifier's reading. Not a <see cref="TemptationTrace"/>: the log keeps what a reviewer reads (text and
/// probabilities), not token ids or leaks, so what is read back from the store is exactly this.
/// </summary>
/// <remarks>
/// Serialised (by the store, and on the wire) as
/// <c>{"tags":[..],"tokens":[{"text":..,"p_token":..,"p":[..]}],"classifier":{"p":{"tag":p},"truncated":bool}}</c>; a
/// token of a model with a mode head also has <c>"p_mode2":..</c>.
/// </remarks>
[JsonConverter(typeof(ActionTraceJsonConverter))]
public sealed record ActionTrace
{
    /// <summary>Creates a trace.</summary>
    /// <param name="tags">Every monitored tag, in the order of each token's <see cref="ActionTraceToken.Probabilities"/>.</param>
    /// <param name="tokens">The step's tokens; empty when the step was resumed from the journal.</param>
    /// <param name="classifier">The classifier's reading; null when it did not run.</param>
    public ActionTrace(ImmutableArray<string> tags, ImmutableArray<ActionTraceToken> tokens, ActionTraceClassifier? classifier)
    {
        Tags = tags.IsDefault ? [] : tags;
        Tokens = tokens.IsDefault ? [] : tokens;
        Classifier = classifier;
    }

    /// <summary>No tags, no tokens, no classifier reading.</summary>
    public static ActionTrace Empty { get; } = new([], [], null);

    /// <summary>Every monitored tag, in the order of each token's <see cref="ActionTraceToken.Probabilities"/>.</summary>
    public ImmutableArray<string> Tags { get; }

    /// <summary>The step's tokens; empty when the step was resumed from the journal.</summary>
    public ImmutableArray<ActionTraceToken> Tokens { get; }

    /// <summary>The classifier's reading; null when it did not run.</summary>
    public ActionTraceClassifier? Classifier { get; }

    /// <summary>The trace of a step and the signals the gate read for it.</summary>
    /// <param name="trace">The model's per-token trace; null when the step was resumed from the journal.</param>
    /// <param name="signals">The gate's signals; the classifier's reading is kept when it scored any tag.</param>
    public static ActionTrace From(TemptationTrace? trace, GateSignals? signals = null)
    {
        var tokens = trace is null
            ? []
            : trace.Entries.Select(e => new ActionTraceToken(e.Text, e.TokenProbability, e.Probabilities) { Mode2 = e.Mode2Probability }).ToImmutableArray();
        var classifier = signals is { Classifier.Count: > 0 } s
            ? new ActionTraceClassifier(new SortedDictionary<string, double>(s.Classifier.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal), s.ClassifierTruncated)
            : null;
        return new ActionTrace(trace?.Tags ?? [], tokens, classifier);
    }
}
