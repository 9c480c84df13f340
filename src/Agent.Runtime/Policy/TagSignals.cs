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

    /// <summary>
    /// Only the combined score of the two (<see cref="TagThresholds.Combined"/>: a logistic combiner on their logits, as
    /// <c>agent audit --fit-on</c> fits it); needs both signals, so the classifier is loaded and the model must have a trained
    /// token for the tag. The model and classifier thresholds of the tag are not read.
    /// </summary>
    Combined,
}
