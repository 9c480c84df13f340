namespace Agent.Decoding;

/// <summary>A finished generation.</summary>
/// <param name="Text">The generated text (without a matched stop string).</param>
/// <param name="Trace">The temptation trace of its tokens.</param>
/// <param name="StopReason">Why it ended.</param>
/// <param name="PromptTokens">Tokens of the prompt as decoded (required mode tags included).</param>
public sealed record GenerationResult(string Text, TemptationTrace Trace, StopReason StopReason, int PromptTokens);
