namespace Agent.Runtime.Policy;

/// <summary>One signal of one tag at or over one of its thresholds when an action was decided.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Signal">The model's temptation, the classifier's probability, their combined score, or the mode.</param>
/// <param name="Level">The highest threshold it reached: <see cref="Decision.Block"/> or <see cref="Decision.Escalate"/>.</param>
/// <param name="Value">The signal's value (for the model, the policy's aggregate of the tool; for the combined signal, the combined score).</param>
/// <param name="Threshold">The threshold of <paramref name="Level"/>.</param>
public sealed record FiredSignal(string Tag, GateSignal Signal, Decision Level, double Value, double Threshold);
