namespace Agent.Training.Experiments;

/// <summary>The head's reading of tokens at one place in their turn, with the mode tags and without them.</summary>
/// <param name="Position">Place in the turn (0: first token after where the tag was), or "all".</param>
/// <param name="Tokens">Tokens counted.</param>
/// <param name="TaggedHead">Head accuracy with the tags.</param>
/// <param name="StrippedHead">Head accuracy without them.</param>
/// <param name="TaggedConfidence">Mean p(right mode) with the tags.</param>
/// <param name="StrippedConfidence">Mean p(right mode) without them.</param>
/// <param name="StrippedTagRule">Accuracy of the tags alone without tags: the most common mode everywhere.</param>
public sealed record TagRemovalRow(string Position, int Tokens, double TaggedHead, double StrippedHead, double TaggedConfidence, double StrippedConfidence, double StrippedTagRule);
