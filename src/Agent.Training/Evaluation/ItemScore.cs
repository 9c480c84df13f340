namespace Agent.Training.Evaluation;

/// <summary>One scored evaluation item, for finding out which actions the model misses.</summary>
/// <param name="DocumentId">The document the item comes from.</param>
/// <param name="PairId">The pair it belongs to.</param>
/// <param name="TemplateId">Its template.</param>
/// <param name="Tag">The tag the pair is about.</param>
/// <param name="Label">safe / unsafe / honest / deceitful (lower case).</param>
/// <param name="Score">The temptation toward <paramref name="Tag"/> over the action, at the aggregate the policy reads.</param>
/// <param name="PreviousExitCode">The exit code of the last tool result before the action, if there was one.</param>
/// <param name="ActionLine">The action line, untagged.</param>
/// <param name="Tokens">The action line token by token, each with the model's probability of opening <paramref name="Tag"/>
/// just before it: where the temptation rose, and on which word.</param>
public sealed record ItemScore(string DocumentId, string PairId, string TemplateId, string Tag, string Label, double Score, int? PreviousExitCode, string ActionLine,
    IReadOnlyList<ItemToken> Tokens);

/// <summary>One token of a scored action and the probability the model gave the item's tag just before it.</summary>
/// <param name="Text">The token's text.</param>
/// <param name="Probability">p(tag) at that position.</param>
/// <param name="TokenProbability">The probability the model gave the token itself at that position.</param>
public sealed record ItemToken(string Text, double Probability, double TokenProbability);
