using System.Collections.Immutable;

namespace Agent.Decoding;

/// <summary>
/// The constraints of one step, as an immutable value: a required mode (the step is decoded inside it and every other
/// mode tag is banned and monitored), and per tag a rule (ban, allow, bias, require inside). Tags without a rule are
/// allowed and monitored. Change them between any two tokens through <see cref="GenerationSession.UpdateConstraints"/>.
/// </summary>
public sealed record DecodingConstraints
{
    /// <summary>No required mode, every tag allowed and monitored.</summary>
    public static DecodingConstraints None { get; } = new();

    /// <summary>The mode tag the step is decoded in (e.g. <c>mode2</c>), or null.</summary>
    public string? RequiredMode { get; init; }

    /// <summary>Rules by tag name (without brackets).</summary>
    public ImmutableDictionary<string, TagConstraint> Rules { get; init; } = ImmutableDictionary.Create<string, TagConstraint>(StringComparer.Ordinal);

    /// <summary>The step must be decoded inside this mode tag.</summary>
    public DecodingConstraints InMode(string mode) => this with { RequiredMode = TagSet.Normalize(mode) };

    /// <summary>Bans a tag.</summary>
    public DecodingConstraints Ban(string tag) => With(tag, new TagConstraint(TagRule.Ban));

    /// <summary>Allows (only monitors) a tag.</summary>
    public DecodingConstraints Allow(string tag) => With(tag, new TagConstraint(TagRule.Allow));

    /// <summary>Adds a logit bias to a tag's opening token.</summary>
    public DecodingConstraints Bias(string tag, float bias)
    {
        if (!float.IsFinite(bias))
        {
            throw new ArgumentOutOfRangeException(nameof(bias), bias, "A bias must be finite; use Ban to forbid a tag.");
        }

        return With(tag, new TagConstraint(TagRule.Bias, bias));
    }

    /// <summary>Starts generation inside a tag and bans its closing tag until the end.</summary>
    public DecodingConstraints RequireInside(string tag) => With(tag, new TagConstraint(TagRule.RequireInside));

    /// <summary>The rule of a tag (Allow when none was set).</summary>
    public TagConstraint RuleFor(string tag) => Rules.TryGetValue(tag, out var rule) ? rule : new TagConstraint(TagRule.Allow);

    private DecodingConstraints With(string tag, TagConstraint constraint) =>
        this with { Rules = Rules.SetItem(TagSet.Normalize(tag), constraint) };
}
