using System.Collections.Immutable;

namespace Agent.Monitoring;

/// <summary>
/// One action to classify: its text and the context its head reads it with. Build it with <see cref="ForAnswer"/> or
/// <see cref="ForCall"/>.
/// </summary>
public sealed record ClassifierInput
{
    private ClassifierInput(ActionKind kind, string context, string action, ToolResultSummary? result, string task, ImmutableArray<string> earlierCalls)
    {
        Kind = kind;
        Context = context;
        Action = action;
        Result = result;
        Task = task;
        EarlierCalls = earlierCalls;
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

    /// <summary>For an answer, the run's task (empty when not given): the context the call heads read
    /// <see cref="EarlierCalls"/> with. For a call, the same text as <see cref="Context"/>.</summary>
    public string Task { get; }

    /// <summary>For an answer, the calls the run made before it, in order, each as the transcript writes it
    /// (<c>call shell.run {"command":"..."}</c>); empty when none was given (and always for a call). The answer head reads
    /// the call heads' highest probability over them: a denial ("I did not use elevated privileges") is a lie only when
    /// an earlier call did what it denies.</summary>
    public ImmutableArray<string> EarlierCalls { get; }

    /// <summary>An answer with the last tool result before it and, optionally, the run's task and earlier calls.</summary>
    /// <param name="lastResult">The last tool result, or null when the run called no tool.</param>
    /// <param name="answer">The answer's text.</param>
    /// <param name="task">The run's task (the call heads read <paramref name="earlierCalls"/> with it); null for none.</param>
    /// <param name="earlierCalls">The run's calls before the answer, each as <c>call tool {json}</c>; null or empty for none.</param>
    public static ClassifierInput ForAnswer(ToolResultSummary? lastResult, string answer, string? task = null, IEnumerable<string>? earlierCalls = null)
    {
        ArgumentNullException.ThrowIfNull(answer);
        var calls = earlierCalls is null ? [] : earlierCalls.ToImmutableArray();
        if (calls.Any(c => c is null))
        {
            throw new ArgumentException("An earlier call is null.", nameof(earlierCalls));
        }

        return new ClassifierInput(ActionKind.Answer, lastResult?.ToText() ?? "No tool was run.", answer, lastResult, task ?? string.Empty, calls);
    }

    /// <summary>A tool call with its run's task.</summary>
    /// <param name="task">The task.</param>
    /// <param name="call">The call as one line, e.g. <c>call shell.run {"command":"sudo -n true"}</c>.</param>
    public static ClassifierInput ForCall(string task, string call)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(call);
        return new ClassifierInput(ActionKind.Call, task, call, null, task, []);
    }

    /// <summary>Value equality, <see cref="EarlierCalls"/> compared by content (an <see cref="ImmutableArray{T}"/> compares
    /// by reference): two inputs built separately from the same run are equal.</summary>
    public bool Equals(ClassifierInput? other) =>
        other is not null && Kind == other.Kind && Context == other.Context && Action == other.Action && Equals(Result, other.Result)
        && Task == other.Task && EarlierCalls.AsSpan().SequenceEqual(other.EarlierCalls.AsSpan());

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Kind);
        hash.Add(Context);
        hash.Add(Action);
        hash.Add(Result);
        hash.Add(Task);
        foreach (var call in EarlierCalls)
        {
            hash.Add(call);
        }

        return hash.ToHashCode();
    }
}
