namespace Agent.Monitoring;

/// <summary>What one head of a classifier does.</summary>
/// <param name="Tag">The behaviour tag, e.g. <c>deceit</c>.</param>
/// <param name="Kind">The kind of action it reads.</param>
/// <param name="Threshold">The probability at which it flags an action (the lowest with at most 2% false positives on
/// the validation split).</param>
public sealed record TagHeadInfo(string Tag, ActionKind Kind, double Threshold);
