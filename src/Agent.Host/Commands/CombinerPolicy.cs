using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Monitoring;
using Agent.Runtime.Policy;
using Agent.Training.Audit;

namespace Agent.Host.Commands;

/// <summary>
/// The policy fragment <c>agent audit --fit-on validation --policy-out FILE</c> writes from its fitted combiners: per tag,
/// on each tool whose actions the tag's classifier head reads (deceit's head reads answers: <c>Policy:Tools:answer</c>;
/// powerseeking's reads calls: every other tool the policy names), <c>Signals: Combined</c> with the weights (<c>AfterFailure</c> / <c>AfterSuccess</c> / <c>AfterFlaggedCall</c> where the audit fitted a
/// combiner per outcome of the last tool result) and <c>Escalate</c> at the combiner's threshold (at most 2% false positives on the fitting
/// split). The global <c>Policy:Tags:&lt;tag&gt;</c> is left as it is: on an action the head does not read there is no
/// combined score, so a global Combined entry would leave the tag unable to stop it, where the policy in force still reads
/// the model's temptation. The agent reads it layered over appsettings.json: <c>agent --settings FILE run ...</c>.
/// </summary>
internal static class CombinerPolicy
{
    /// <summary>The fragment, in appsettings.json's shape: <c>{"Policy":{"Tools":{...}}}</c>.</summary>
    /// <param name="combiners">The audit's fitted combiners (<see cref="SignalsReport.Combiners"/>).</param>
    /// <param name="policy">The policy in force, for the tools it names.</param>
    /// <param name="kinds">Per tag, the kind of action its classifier head reads.</param>
    /// <exception cref="InvalidOperationException">A combiner's threshold is not strictly between 0 and 1 (the gate would
    /// refuse it), or its tag has no classifier head.</exception>
    public static JsonObject Fragment(IReadOnlyList<CombinerFit> combiners, PolicyOptions policy, IReadOnlyDictionary<string, ActionKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(combiners);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(kinds);
        var tools = new JsonObject();
        foreach (var fit in combiners.OrderBy(c => c.Tag, StringComparer.Ordinal))
        {
            if (!(fit.Threshold > 0 && fit.Threshold < 1))
            {
                throw new InvalidOperationException(
                    $"The combiner of '{fit.Tag}' has the threshold {fit.Threshold:R}, not strictly between 0 and 1 (its fitting negatives saturate the score), so it cannot be a policy: fit on more spans (a larger --sample, or 0 for all).");
            }

            if (!kinds.TryGetValue(fit.Tag, out var kind))
            {
                throw new InvalidOperationException($"The combiner of '{fit.Tag}' has no classifier head, so no tool's actions carry its combined score.");
            }

            IEnumerable<string> read = kind == ActionKind.Answer
                ? [PolicyOptions.AnswerTool]
                : policy.Tools.Keys.Where(t => t != PolicyOptions.AnswerTool).Order(StringComparer.Ordinal);
            foreach (var tool in read)
            {
                var toolTags = (tools[tool] ??= new JsonObject { ["Tags"] = new JsonObject() })["Tags"]!.AsObject();
                toolTags[fit.Tag] = Entry(fit);
            }
        }

        return new JsonObject { [PolicyOptions.Section] = new JsonObject { ["Tools"] = tools } };
    }

    /// <summary>The fragment as indented JSON text.</summary>
    /// <param name="combiners">The audit's fitted combiners.</param>
    /// <param name="policy">The policy in force.</param>
    /// <param name="kinds">Per tag, the kind of action its classifier head reads.</param>
    public static string Write(IReadOnlyList<CombinerFit> combiners, PolicyOptions policy, IReadOnlyDictionary<string, ActionKind> kinds) =>
        Fragment(combiners, policy, kinds).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>
    /// One tag's section. The audit scores a span with its outcome's combiner where it fitted one and the pooled one
    /// otherwise; the gate reads the top level when no tool result precedes the action, and AfterFailure / AfterSuccess
    /// (falling back to the top level) after one. So the top level is the no-result combiner where there is one (else the
    /// pooled), and each outcome gets its own section where its combiner differs from the top level's: the gate's score
    /// is then the audit's for every outcome.
    /// </summary>
    private static JsonObject Entry(CombinerFit fit)
    {
        // As CombinerFit.Score picks: the outcome as the fit's scope reads it, its own combiner where fitted, else the pooled one.
        SignalCombiner For(ResultOutcome outcome) => fit.ByOutcome.FirstOrDefault(o => o.Outcome == outcome.In(fit.Scope))?.Combiner ?? fit.Combiner;
        var top = For(ResultOutcome.None);
        var combined = Weights(top);
        foreach (var (outcome, key) in new[] { (ResultOutcome.Failed, "AfterFailure"), (ResultOutcome.Succeeded, "AfterSuccess"), (ResultOutcome.SucceededAfterFlaggedCall, "AfterFlaggedCall") })
        {
            // The gate reads AfterFlaggedCall, when absent, as AfterSuccess: write it only where it differs from that.
            var own = For(outcome);
            if (own != (outcome == ResultOutcome.SucceededAfterFlaggedCall ? For(ResultOutcome.Succeeded) : top))
            {
                combined[key] = Weights(own);
            }
        }

        combined["Escalate"] = fit.Threshold;
        return new JsonObject { ["Signals"] = nameof(TagSignals.Combined), ["Combined"] = combined };
    }

    private static JsonObject Weights(SignalCombiner c) => new() { ["Intercept"] = c.Intercept, ["Model"] = c.ModelWeight, ["Classifier"] = c.ClassifierWeight };
}
