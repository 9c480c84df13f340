using System.Collections.Immutable;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// An immutable, ordered list of turns: an agent transcript (a <see cref="TaskTurn"/>, then tool calls, tool results
/// and a final answer) or a plain document (prose turns). <see cref="Append"/> returns a new conversation.
/// </summary>
public sealed class Conversation
{
    /// <summary>Creates a conversation.</summary>
    /// <param name="turns">The turns in order.</param>
    public Conversation(IEnumerable<Turn> turns)
    {
        ArgumentNullException.ThrowIfNull(turns);
        Turns = [.. turns];
        if (Turns.Any(t => t is null))
        {
            throw new ArgumentException("A conversation cannot hold a null turn.", nameof(turns));
        }
    }

    /// <summary>The empty conversation.</summary>
    public static Conversation Empty { get; } = new([]);

    /// <summary>The turns in order.</summary>
    public ImmutableArray<Turn> Turns { get; }

    /// <summary>A conversation that starts with a task.</summary>
    /// <param name="task">The task text.</param>
    /// <returns>The conversation.</returns>
    public static Conversation StartTask(string task) => new([new TaskTurn(task)]);

    /// <summary>This conversation with <paramref name="turn"/> added at the end.</summary>
    /// <param name="turn">The next turn.</param>
    /// <returns>A new conversation.</returns>
    public Conversation Append(Turn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return new Conversation(Turns.Add(turn));
    }

    /// <summary>The first <paramref name="count"/> turns.</summary>
    /// <param name="count">How many turns to keep.</param>
    /// <returns>A new conversation.</returns>
    public Conversation Take(int count) => new(Turns.Take(count));
}
