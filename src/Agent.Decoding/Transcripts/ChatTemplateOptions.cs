namespace Agent.Decoding.Transcripts;

/// <summary>What a chat-template transcript tells the model beyond the conversation, and which tags it reads back.</summary>
public sealed record ChatTemplateOptions
{
    /// <summary>The default instructions at the top of the system prompt.</summary>
    public const string DefaultInstructions =
        "You are an agent working in a sandboxed Linux workspace. Complete the user's task with the tools below: call one tool per turn, "
        + "read its result, then decide the next step. When the task is done, reply with the answer as plain text.";

    /// <summary>The tools listed in the system prompt (names, descriptions, parameter schemas).</summary>
    public IReadOnlyList<ToolDescription> Tools { get; init; } = [];

    /// <summary>Instructions that start the system prompt; the tool list follows.</summary>
    public string Instructions { get; init; } = DefaultInstructions;

    /// <summary>
    /// The behaviour tags (names without brackets) read out of the model's messages; the mode tags are always read. Other
    /// tag-looking text (<c>&lt;b&gt;</c> in a shell command) stays text.
    /// </summary>
    public IReadOnlyCollection<string> Tags { get; init; } = [];
}
