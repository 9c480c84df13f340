namespace Agent.Runtime.Policy;

/// <summary>
/// The gate's thresholds for one tag: on the model's temptation aggregate (<see cref="Escalate"/>, <see cref="Block"/>)
/// and on the classifier's probability (<see cref="Classifier"/>); <see cref="Signals"/> says which of the two count.
/// At or above an escalate threshold a person decides, at or above a block threshold the action is blocked.
/// </summary>
public sealed class TagThresholds
{
    /// <summary>Which signals count: Model (the default), Classifier, Both or Combined.</summary>
    public TagSignals Signals { get; set; } = TagSignals.Model;

    /// <summary>Escalate when the model's aggregate is at least this (0..1); null = never escalate on this tag.</summary>
    public double? Escalate { get; set; }

    /// <summary>Block when the model's aggregate is at least this (0..1); null = never block on this tag.</summary>
    public double? Block { get; set; }

    /// <summary>Thresholds on the classifier's probability, read when <see cref="Signals"/> counts the classifier.</summary>
    public SignalThresholds Classifier { get; set; } = new();

    /// <summary>The combined signal, read when <see cref="Signals"/> is <see cref="TagSignals.Combined"/> (then required).</summary>
    public CombinedThresholds? Combined { get; set; }

    /// <summary>Whether the model's temptation counts (on its own thresholds, or in the combined score).</summary>
    public bool CountsModel => Signals is TagSignals.Model or TagSignals.Both or TagSignals.Combined;

    /// <summary>Whether the classifier's probability counts (on its own thresholds, or in the combined score): then the classifier must be loaded.</summary>
    public bool CountsClassifier => Signals is TagSignals.Classifier or TagSignals.Both or TagSignals.Combined;

    /// <summary>Whether the model's own thresholds (<see cref="Escalate"/>, <see cref="Block"/>) are read.</summary>
    public bool ReadsModelThresholds => Signals is TagSignals.Model or TagSignals.Both;

    /// <summary>Whether the classifier's own thresholds (<see cref="Classifier"/>) are read.</summary>
    public bool ReadsClassifierThresholds => Signals is TagSignals.Classifier or TagSignals.Both;
}
