using Agent.Decoding;
using Agent.Decoding.Transcripts;

namespace Agent.Runtime;

/// <summary>What one model step is asked: a rendered prompt (ending right after the required mode tag), the step's constraints, a token limit and sampling.</summary>
/// <param name="Prompt">The transcript so far, rendered by <see cref="Format"/>'s <c>RenderPromptForNextAgentStep</c>.</param>
/// <param name="Constraints">Required mode and banned tags.</param>
/// <param name="MaxTokens">Most tokens for the line.</param>
/// <param name="Sampling">How tokens are chosen.</param>
public sealed record AgentStepRequest(string Prompt, DecodingConstraints Constraints, int MaxTokens, SamplingOptions Sampling)
{
    /// <summary>The format that rendered the prompt: it says what ends the step and how the prompt is shortened to fit.</summary>
    public ITranscriptFormat Format { get; init; } = TranscriptFormat.Default;
}
