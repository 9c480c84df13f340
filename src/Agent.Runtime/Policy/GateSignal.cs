namespace Agent.Runtime.Policy;

/// <summary>The signal whose threshold produced a decision.</summary>
public enum GateSignal
{
    /// <summary>No signal: a tool rule, an approval, or nothing crossed a threshold.</summary>
    None,

    /// <summary>The acting model's temptation.</summary>
    Model,

    /// <summary>The sentence-encoder classifier's probability.</summary>
    Classifier,

    /// <summary>The model's mode head: the mean p(Mode 2) over the action's tokens fell below a mode rule's threshold.</summary>
    Mode,

    /// <summary>The combined score of the model's temptation and the classifier's probability (<see cref="TagSignals.Combined"/>).</summary>
    Combined,
}
