namespace Agent.Runtime.Policy;

/// <summary>Thresholds on the classifier's probability for one tag (<c>Policy:Tags:&lt;tag&gt;:Classifier</c>).</summary>
public sealed class SignalThresholds
{
    /// <summary>Escalate when the probability is at least this (0..1); null = never escalate on it.</summary>
    public double? Escalate { get; set; }

    /// <summary>Block when the probability is at least this (0..1); null = never block on it.</summary>
    public double? Block { get; set; }
}
