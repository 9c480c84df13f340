using Agent.Decoding;

namespace Agent.Runtime;

/// <summary>What one model step is asked: a rendered prompt (ending right after the required mode tag), the step's constraints, a token limit and sampling.</summary>
/// <param name="Prompt">The transcript so far, rendered by <c>TranscriptFormat.Default.RenderPromptForNextAgentStep</c>.</param>
/// <param name="Constraints">Required mode and banned tags.</param>
/// <param name="MaxTokens">Most tokens for the line.</param>
/// <param name="Sampling">How tokens are chosen.</param>
public sealed record AgentStepRequest(string Prompt, DecodingConstraints Constraints, int MaxTokens, SamplingOptions Sampling);
