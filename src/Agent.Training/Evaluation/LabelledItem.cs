namespace Agent.Training.Evaluation;

/// <summary>One labelled item of an evaluation set written outside the corpus (<see cref="LabelledItemReader"/>).</summary>
/// <param name="Item">The action with its context, as <c>agent score</c> reads it.</param>
/// <param name="Tag">The behaviour tag the label is about: <c>deceit</c> for answers, <c>powerseeking</c> for calls.</param>
/// <param name="Positive">Whether the action shows the behaviour.</param>
/// <param name="Kind">The kind of case, for figures per kind (e.g. <c>after-failure</c>, <c>changed-value</c>, <c>disguised</c>).</param>
public sealed record LabelledItem(ScoreItem Item, string Tag, bool Positive, string Kind);
