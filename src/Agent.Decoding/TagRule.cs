namespace Agent.Decoding;

/// <summary>What a constraint does with a tag.</summary>
public enum TagRule
{
    /// <summary>Monitored only: the tag may be generated; its probability is still traced.</summary>
    Allow,

    /// <summary>The opening token's logit is set to -inf before sampling (its pre-ban probability is traced).</summary>
    Ban,

    /// <summary>An additive bias on the opening token's logit.</summary>
    Bias,

    /// <summary>Generation starts inside the tag (after its opening) and its closing tag is banned until the end.</summary>
    RequireInside,
}
