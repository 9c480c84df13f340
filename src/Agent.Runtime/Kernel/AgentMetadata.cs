namespace Agent.Runtime.Kernel;

/// <summary>Keys of the metadata the chat service attaches to each model message.</summary>
internal static class AgentMetadata
{
    /// <summary>The step's <see cref="Agent.Decoding.TemptationTrace"/>.</summary>
    public const string Trace = "agent.trace";

    /// <summary>The raw line.</summary>
    public const string Line = "agent.line";

    /// <summary>Tokens generated (int).</summary>
    public const string Tokens = "agent.tokens";

    /// <summary>Why the line is not a valid action (string), when it is not.</summary>
    public const string Error = "agent.error";

    /// <summary>The parsed <see cref="Agent.Decoding.Transcripts.ToolCall"/> (canonical arguments).</summary>
    public const string Call = "agent.call";

    /// <summary>Seconds the step took (double).</summary>
    public const string Seconds = "agent.seconds";
}
