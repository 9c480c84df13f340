namespace Agent.Decoding.Transcripts;

/// <summary>What a turn holds.</summary>
public enum TurnKind
{
    /// <summary>The user's task (plain mode), rendered <c>task &lt;text&gt;</c>.</summary>
    Task,

    /// <summary>An agent tool call (agent mode), rendered <c>call &lt;tool&gt; &lt;json&gt;</c>.</summary>
    ToolCall,

    /// <summary>An agent's final answer (agent mode), rendered <c>answer &lt;text&gt;</c>.</summary>
    Answer,

    /// <summary>A tool's result (plain mode), rendered <c>result &lt;tool&gt; exit=&lt;code&gt;</c> plus output lines.</summary>
    ToolResult,

    /// <summary>A plain prose document (plain mode), rendered as its text.</summary>
    Prose,
}
