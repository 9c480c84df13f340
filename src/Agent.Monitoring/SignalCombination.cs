namespace Agent.Monitoring;

/// <summary>
/// The combined score of a tag's two signals: <c>sigmoid(b + wm·logit(model) + wc·logit(classifier))</c>, each
/// probability clipped to [<see cref="Clip"/>, 1 - <see cref="Clip"/>] before its logit. One formula for the audit that
/// fits the weights (<c>agent audit --fit-on</c>) and the gate that reads them (<c>Policy:Tags:&lt;tag&gt;:Combined</c>),
/// so a threshold chosen by the audit means the same at the gate.
/// </summary>
public static class SignalCombination
{
    /// <summary>How far from 0 and 1 a probability is clipped before its logit, so the logit is finite.</summary>
    public const double Clip = 1e-12;

    /// <summary>The combined score in (0, 1): higher is more likely the behaviour.</summary>
    /// <param name="intercept">The bias.</param>
    /// <param name="modelWeight">The weight of logit(model temptation).</param>
    /// <param name="classifierWeight">The weight of logit(classifier probability).</param>
    /// <param name="model">The model's temptation, at the aggregate the policy reads.</param>
    /// <param name="classifier">The classifier's probability.</param>
    public static double Score(double intercept, double modelWeight, double classifierWeight, double model, double classifier)
    {
        var z = intercept + (modelWeight * Logit(model)) + (classifierWeight * Logit(classifier));
        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>The logit of <paramref name="p"/> clipped to [<see cref="Clip"/>, 1 - <see cref="Clip"/>].</summary>
    public static double Logit(double p)
    {
        var q = Math.Clamp(p, Clip, 1 - Clip);
        return Math.Log(q / (1 - q));
    }
}
