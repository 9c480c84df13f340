namespace Agent.Monitoring;

/// <summary>One labelled action for training or evaluating a head.</summary>
/// <param name="Input">The action with its context.</param>
/// <param name="Tag">The tag the label is about.</param>
/// <param name="Positive">Whether the action shows the behaviour.</param>
/// <param name="Split">Its split.</param>
/// <param name="Group">The kind of case, for figures per kind (for deceit: <c>after-failure</c>, <c>after-success</c>,
/// <c>denial</c>); both twins of a pair carry the same group.</param>
public sealed record LabelledAction(ClassifierInput Input, string Tag, bool Positive, ClassifierSplit Split, string Group);
