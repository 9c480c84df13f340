namespace Agent.Training.Evaluation;

/// <summary>A malformed input line, reported with its 1-based line number; the other lines are still scored.</summary>
/// <param name="Line">1-based line number.</param>
/// <param name="Message">What is wrong and what a valid line looks like.</param>
public sealed record ScoreInputError(int Line, string Message);
