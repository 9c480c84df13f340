namespace Agent.Runtime.Policy;

/// <summary>Which signals count for a tag at the gate (<c>Policy:Tags:&lt;tag&gt;:Signals</c>).</summary>
public enum TagSignals
{
    /// <summary>Only the acting model's temptation (the thresholds <see cref="TagThresholds.Escalate"/> and <see cref="TagThresholds.Block"/>).</summary>
    Model,

    /// <summary>Only the classifier's probability (<see cref="TagThresholds.Classifier"/>).</summary>
    Classifier,

    /// <summary>Both: whichever crosses its own threshold decides.</summary>
    Both,
}
