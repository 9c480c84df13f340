using Agent.Decoding.Transcripts;
using Microsoft.Extensions.AI;

namespace Agent.Decoding.Chat;

/// <summary>The factory of the decoder's <see cref="IChatClient"/>.</summary>
public static class TagDecoderChatClients
{
    /// <summary>
    /// The decoder as a chat client that decodes one agent line per call under <paramref name="constraints"/>, rendering
    /// messages with <paramref name="format"/> (the default model's transcript format when null). Wrap it with
    /// <c>AsBuilder().UseOpenTelemetry().UseLogging()</c>; Semantic Kernel takes it through <c>AsChatCompletionService()</c>.
    /// The client does not own the decoder. <see cref="ChatOptions"/> read: MaxOutputTokens (default 256, at most half the
    /// context), Temperature (none or 0: greedy), Seed, TopK, TopP, StopSequences (besides the newline that ends a line).
    /// </summary>
    /// <exception cref="UnknownTagException">The constraints name a tag the decoder does not have.</exception>
    public static IChatClient AsChatClient(this TagDecoder decoder, string modelName, DecodingConstraints constraints, ITranscriptFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        ArgumentNullException.ThrowIfNull(constraints);
        decoder.Validate(constraints);
        return new DecoderChatClient(decoder, modelName, constraints, format ?? TranscriptFormat.Default);
    }

    /// <summary>
    /// How the decoder's chat client samples for <paramref name="options"/>: greedy without a Temperature above 0, else
    /// that Temperature with Seed, TopK and TopP (each the <see cref="SamplingOptions"/> default when unset).
    /// </summary>
    /// <exception cref="ArgumentException">The Seed is outside 0 to <see cref="uint.MaxValue"/>.</exception>
    public static SamplingOptions ToSamplingOptions(ChatOptions? options) => DecoderChatClient.Sampling(options);
}
