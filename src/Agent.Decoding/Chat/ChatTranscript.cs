using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Decoding.Transcripts;
using Microsoft.Extensions.AI;

namespace Agent.Decoding.Chat;

/// <summary>
/// Maps Microsoft.Extensions.AI chat messages to the transcript format's <see cref="Conversation"/>, and a parsed agent
/// line back to message content: user text is the task, an assistant function call a tool-call turn, a tool message's
/// function result a tool-result turn (named by the call it answers), assistant text an answer.
/// </summary>
internal static class ChatTranscript
{
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
                    if (!callNames.TryGetValue(result.CallId, out var name))
                    {
                        throw new ArgumentException($"The tool result '{result.CallId}' answers no earlier assistant function call; send the call before its result.", nameof(messages));
                    }

                    turns.Add(result.Result switch
                    {
                        ToolResultTurn turn => turn,
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

    /// <summary>A call as a <see cref="FunctionCallContent"/> (string arguments as strings, others as JSON elements).</summary>
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
