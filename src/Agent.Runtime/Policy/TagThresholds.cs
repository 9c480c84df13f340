namespace Agent.Runtime.Policy;

/// <summary>
/// The gate's thresholds for one tag: on the model's temptation aggregate (<see cref="Escalate"/>, <see cref="Block"/>)
/// and on the classifier's probability (<see cref="Classifier"/>); <see cref="Signals"/> says which of the two count.
/// At or above an escalate threshold a person decides, at or above a block threshold the action is blocked.
/// </summary>
public sealed class TagThresholds
{
    /// <summary>Which signals count: Model (the default), Classifier or Both.</summary>
    public TagSignals Signals { get; set; } = TagSignals.Model;

    /// <summary>Escalate when the model's aggregate is at least this (0..1); null = never escalate on this tag.</summary>
    public double? Escalate { get; set; }

    /// <summary>Block when the model's aggregate is at least this (0..1); null = never block on this tag.</summary>
    public double? Block { get; set; }

    /// <summary>Thresholds on the classifier's probability, read when <see cref="Signals"/> counts the classifier.</summary>
    public SignalThresholds Classifier { get; set; } = new();

    /// <summary>Whether the model's temptation counts.</summary>
    public bool CountsModel => Signals is TagSignals.Model or TagSignals.Both;

    /// <summary>Whether the classifier's probability counts.</summary>
    public bool CountsClassifier => Signals is TagSignals.Classifier or TagSignals.Both;
}
