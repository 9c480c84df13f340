namespace Agent.Decoding.Transcripts;

/// <summary>The two things an agent line can be.</summary>
public enum AgentActionKind
{
    /// <summary><c>call &lt;tool&gt; &lt;json-object&gt;</c>.</summary>
    ToolCall,

    /// <summary><c>answer &lt;text&gt;</c>.</summary>
    Answer,
}
