namespace Agent.Decoding;

/// <summary>A closing tag of a banned tag that was generated with no opening: the behaviour leaked past the ban.</summary>
/// <param name="Index">Token index where the closing tag ended.</param>
/// <param name="Tag">The tag name.</param>
public sealed record TagLeak(int Index, string Tag);
