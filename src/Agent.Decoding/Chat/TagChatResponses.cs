using Agent.Decoding.Transcripts;
using Microsoft.Extensions.AI;

namespace Agent.Decoding.Chat;

/// <summary>
/// What the decoder's chat client adds to a <see cref="ChatResponse"/> (and to the last <see cref="ChatResponseUpdate"/>
/// of a stream) in <c>AdditionalProperties</c>: typed values, read back with the accessors here.
/// </summary>
public static class TagChatResponses
{
    /// <summary>Key of the step's <see cref="TemptationTrace"/>, one entry per generated token.</summary>
    public const string TraceKey = "agent.temptation_trace";

    /// <summary>Key of the generated agent line as the model wrote it (the stop newline removed).</summary>
    public const string LineKey = "agent.line";

    /// <summary>Key of why the line is not a valid action, when it is not (see <see cref="ITranscriptFormat.TryParseAgentLine"/>).</summary>
    public const string LineErrorKey = "agent.line_error";

    /// <summary>The temptation trace of the response, or null when it did not come from the decoder.</summary>
    public static TemptationTrace? GetTemptationTrace(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.AdditionalProperties?.TryGetValue(TraceKey, out var value) == true ? value as TemptationTrace : null;
    }

    /// <summary>The temptation trace carried by the last update of a stream, or null on the other updates.</summary>
    public static TemptationTrace? GetTemptationTrace(this ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return update.AdditionalProperties?.TryGetValue(TraceKey, out var value) == true ? value as TemptationTrace : null;
    }

    /// <summary>Why the generated line is not a valid action, or null when it is one (or the response is not the decoder's).</summary>
    public static string? GetLineError(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.AdditionalProperties?.TryGetValue(LineErrorKey, out var value) == true ? value as string : null;
    }
}
