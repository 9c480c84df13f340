namespace Agent.Decoding;

/// <summary>A constraint on one tag.</summary>
/// <param name="Rule">What is done with the tag.</param>
/// <param name="Bias">The additive logit bias, for <see cref="TagRule.Bias"/>.</param>
public readonly record struct TagConstraint(TagRule Rule, float Bias = 0f);
