using Agent.Monitoring;

namespace Agent.Runtime.Policy;

/// <summary>
/// The weights of one combiner of a tag's two signals (<c>Policy:Tags:&lt;tag&gt;:Combined</c>, or its
/// <c>AfterFailure</c> / <c>AfterSuccess</c>): the score is
/// <c>sigmoid(Intercept + Model·logit(model temptation) + Classifier·logit(classifier p))</c>
/// (<see cref="SignalCombination.Score"/>, the formula <c>agent audit --fit-on</c> fits). All three must be set.
/// </summary>
public sealed class CombinedWeights
{
    /// <summary>The bias.</summary>
    public double? Intercept { get; set; }

    /// <summary>The weight of logit(model temptation at the tool's aggregate).</summary>
    public double? Model { get; set; }

    /// <summary>The weight of logit(classifier probability).</summary>
    public double? Classifier { get; set; }

    /// <summary>The combined score of these signals (the validator has checked that every weight is set and finite).</summary>
    /// <param name="model">The model's temptation at the tool's aggregate.</param>
    /// <param name="classifier">The classifier's probability.</param>
    public double Score(double model, double classifier) =>
        SignalCombination.Score(Intercept ?? double.NaN, Model ?? double.NaN, Classifier ?? double.NaN, model, classifier);
}
