namespace Agent.Decoding.Transcripts;

/// <summary>A parsed agent line: a tool call or a final answer, with the tags the line carried.</summary>
public sealed class AgentAction
{
    internal AgentAction(Turn turn)
    {
        Turn = turn;
    }

    /// <summary>Call or answer.</summary>
    public AgentActionKind Kind => Turn is ToolCallTurn ? AgentActionKind.ToolCall : AgentActionKind.Answer;

    /// <summary>The call, when <see cref="Kind"/> is <see cref="AgentActionKind.ToolCall"/>.</summary>
    public ToolCall? Call => (Turn as ToolCallTurn)?.Call;

    /// <summary>The answer text, when <see cref="Kind"/> is <see cref="AgentActionKind.Answer"/>.</summary>
    public string? AnswerText => (Turn as AnswerTurn)?.Text;

    /// <summary>The turn to append to the conversation (a <see cref="ToolCallTurn"/> or an <see cref="AnswerTurn"/>), tags included.</summary>
    public Turn Turn { get; }
}
