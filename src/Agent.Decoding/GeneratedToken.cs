namespace Agent.Decoding;

/// <summary>One streamed token with its trace entry.</summary>
/// <param name="TokenId">The token.</param>
/// <param name="Text">Its text (empty while a multi-byte character is incomplete; the text completes with a later token).</param>
/// <param name="Entry">Its temptation entry.</param>
/// <param name="Leak">The tag whose closing this token completed without an opening, if any.</param>
public sealed record GeneratedToken(int TokenId, string Text, TemptationEntry Entry, string? Leak);
