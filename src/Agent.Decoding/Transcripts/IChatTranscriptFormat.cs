namespace Agent.Decoding.Transcripts;

/// <summary>
/// A transcript format that lays a conversation out in a model's chat template: a system message (instructions and the
/// tool list), the task as the user turn, each step as an assistant turn that starts with <c>&lt;mode2&gt;</c> (behaviour
/// tags around what they mark), each tool result as a JSON object in the template's tool role.
/// </summary>
public interface IChatTranscriptFormat : ITranscriptFormat
{
    /// <summary>The template's layout.</summary>
    ChatTemplateFamily Family { get; }

    /// <summary>The system message's content.</summary>
    string SystemPrompt { get; }

    /// <summary>The messages of <paramref name="conversation"/>, system message first, exactly as they go between the template's delimiters.</summary>
    IReadOnlyList<TemplateMessage> ToMessages(Conversation conversation);
}
