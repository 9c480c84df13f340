namespace Agent.Decoding.Transcripts;

/// <summary>The mode a turn is written in; every rendered turn starts with its mode tag.</summary>
public enum TurnMode
{
    /// <summary><c>&lt;mode1&gt;</c>: plain text the model only reads and continues (tasks, tool results, prose).</summary>
    Plain = 1,

    /// <summary><c>&lt;mode2&gt;</c>: the model acting as an agent (one tool call or one final answer per turn).</summary>
    Agent = 2,
}
