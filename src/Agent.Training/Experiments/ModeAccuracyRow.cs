namespace Agent.Training.Experiments;

/// <summary>How well the mode of the tokens at one place in their turn is identified.</summary>
/// <param name="Position">The place in the turn: "tag" (the mode tag itself), "0" (the first token after it), ..., "16+", or "all".</param>
/// <param name="Tokens">Tokens counted.</param>
/// <param name="TagRule">Accuracy of the mode tags alone (the last mode tag decides; where there is none, the most common mode).</param>
/// <param name="Head">Accuracy of the head (p(Mode 2) &gt; 0.5 means Mode 2).</param>
/// <param name="HeadConfidence">The head's mean probability of the right mode.</param>
public sealed record ModeAccuracyRow(string Position, int Tokens, double TagRule, double Head, double HeadConfidence);
