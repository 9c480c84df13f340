using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Decoding.Transcripts;
using Microsoft.Extensions.AI;

namespace Agent.Decoding.Chat;

/// <summary>
/// Maps Microsoft.Extensions.AI chat messages to the transcript format's <see cref="Conversation"/>, and a parsed agent
/// line back to message content: user text is the task, an assistant function call a tool-call turn, a tool message's
/// function result a tool-result turn (named by the call it answers), assistant text an answer. <see cref="ToMessages"/>
/// is the way back, exact: a tool result travels as its own <see cref="ToolResultTurn"/>, so <c>ToConversation(ToMessages(c))</c>
/// renders the same prompt as <c>c</c>.
/// </summary>
public static class ChatTranscript
{
    /// <summary>
    /// The messages as transcript turns: what the decoder's chat client renders. A function result that is a
    /// <see cref="ToolResultTurn"/> is that turn; any other answers an earlier call and reads as exit code 0 with its text.
    /// </summary>
    /// <param name="messages">User tasks, assistant calls and answers, and tool results.</param>
    /// <returns>The conversation.</returns>
    /// <exception cref="ArgumentException">A message has a role or content the transcript format cannot hold.</exception>
    public static Conversation ToConversation(IEnumerable<ChatMessage> messages)
    {
        var turns = new List<Turn>();
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            if (message.Role == ChatRole.User)
            {
                turns.Add(new TaskTurn(message.Text));
            }
            else if (message.Role == ChatRole.Assistant)
            {
                var call = message.Contents.OfType<FunctionCallContent>().FirstOrDefault();
                if (call is null)
                {
                    turns.Add(new AnswerTurn(message.Text));
                    continue;
                }

                callNames[call.CallId] = call.Name;
                turns.Add(new ToolCallTurn(new ToolCall(call.Name, ToJson(call.Arguments))));
            }
            else if (message.Role == ChatRole.Tool)
            {
                foreach (var result in message.Contents.OfType<FunctionResultContent>())
                {
                    // A result turn names its own tool, so it needs no call before it (the loop's error results have none).
                    if (result.Result is ToolResultTurn own)
                    {
                        turns.Add(own);
                        continue;
                    }

                    if (!callNames.TryGetValue(result.CallId, out var name))
                    {
                        throw new ArgumentException($"The tool result '{result.CallId}' answers no earlier assistant function call; send the call before its result.", nameof(messages));
                    }

                    turns.Add(result.Result switch
                    {
                        Exception e => new ToolResultTurn(name, 1, string.Empty, e.Message),
                        var other => new ToolResultTurn(name, 0, other?.ToString() ?? string.Empty),
                    });
                }
            }
            else
            {
                throw new ArgumentException(
                    $"The transcript format has no '{message.Role}' turn (only user tasks, assistant calls and answers, and tool results); put instructions in the task.", nameof(messages));
            }
        }

        if (turns.Count == 0)
        {
            throw new ArgumentException("There is no message to continue from; send at least the task as a user message.", nameof(messages));
        }

        return new Conversation(turns);
    }

    /// <summary>
    /// The turns of an agent transcript as chat messages: a task as user text, a call as an assistant function call (ids
    /// <c>call-1</c>, <c>call-2</c>, ... in order), a result as a tool message whose function result IS the
    /// <see cref="ToolResultTurn"/> (exit code, stderr and truncation kept), an answer as assistant text.
    /// </summary>
    /// <param name="conversation">An agent transcript.</param>
    /// <returns>The messages, in order.</returns>
    /// <exception cref="ArgumentException">The conversation holds a turn that is not an agent transcript's (a prose turn).</exception>
    public static IReadOnlyList<ChatMessage> ToMessages(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var messages = new List<ChatMessage>(conversation.Turns.Length);
        string? lastCallId = null;
        var calls = 0;
        foreach (var turn in conversation.Turns)
        {
            switch (turn)
            {
                case TaskTurn task:
                    messages.Add(new ChatMessage(ChatRole.User, task.Text));
                    break;
                case ToolCallTurn call:
                    lastCallId = "call-" + ++calls;
                    messages.Add(new ChatMessage(ChatRole.Assistant, [ToFunctionCall(call.Call, lastCallId)]));
                    break;
                case ToolResultTurn result:
                    // A result answers the call before it; one with none (an error the loop reports) names itself.
                    messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(lastCallId ?? "result-" + (messages.Count + 1), result)]));
                    lastCallId = null;
                    break;
                case AnswerTurn answer:
                    messages.Add(new ChatMessage(ChatRole.Assistant, answer.Text));
                    lastCallId = null;
                    break;
                default:
                    throw new ArgumentException($"A chat holds only agent transcript turns; '{turn.GetType().Name}' is not one (render prose with the transcript format instead).", nameof(conversation));
            }
        }

        return messages;
    }

    /// <summary>A call as a <see cref="FunctionCallContent"/> (string arguments as strings, others as JSON elements).</summary>
    /// <param name="call">The parsed call.</param>
    /// <param name="callId">The id that its result will name.</param>
    /// <returns>The function call content.</returns>
    public static FunctionCallContent ToFunctionCall(ToolCall call, string callId)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(call.ArgumentsJson);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            arguments[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.Clone();
        }

        return new FunctionCallContent(callId, call.Name, arguments);
    }

    private static JsonObject ToJson(IDictionary<string, object?>? arguments)
    {
        var json = new JsonObject();
        foreach (var (key, value) in arguments ?? new Dictionary<string, object?>())
        {
            json[key] = value is null ? null : JsonSerializer.SerializeToNode(value);
        }

        return json;
    }
}
