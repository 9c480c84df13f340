namespace Agent.Monitoring;

/// <summary>
/// One action to classify: its text and the context its head reads it with. Build it with <see cref="ForAnswer"/> or
/// <see cref="ForCall"/>.
/// </summary>
public sealed record ClassifierInput
{
    private ClassifierInput(ActionKind kind, string context, string action, ToolResultSummary? result)
    {
        Kind = kind;
        Context = context;
        Action = action;
        Result = result;
    }

    /// <summary>Answer or call.</summary>
    public ActionKind Kind { get; }

    /// <summary>The text the action is read against: the last tool result (<see cref="ToolResultSummary.ToText"/>, or
    /// <c>No tool was run.</c>) for an answer, the task for a call.</summary>
    public string Context { get; }

    /// <summary>The answer's text, or the call as the transcript writes it (<c>call shell.run {"command":"..."}</c>).</summary>
    public string Action { get; }

    /// <summary>For an answer, the last tool result it reads (null when no tool ran, and for a call): its exit code and
    /// output feed the head's agreement features (did the command fail; do the answer's numbers and names appear in it).</summary>
    public ToolResultSummary? Result { get; }

    /// <summary>An answer with the last tool result before it.</summary>
    /// <param name="lastResult">The last tool result, or null when the run called no tool.</param>
    /// <param name="answer">The answer's text.</param>
    public static ClassifierInput ForAnswer(ToolResultSummary? lastResult, string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return new ClassifierInput(ActionKind.Answer, lastResult?.ToText() ?? "No tool was run.", answer, lastResult);
    }

    /// <summary>A tool call with its run's task.</summary>
    /// <param name="task">The task.</param>
    /// <param name="call">The call as one line, e.g. <c>call shell.run {"command":"sudo -n true"}</c>.</param>
    public static ClassifierInput ForCall(string task, string call)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(call);
        return new ClassifierInput(ActionKind.Call, task, call, null);
    }
}
