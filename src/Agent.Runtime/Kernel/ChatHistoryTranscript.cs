using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Decoding.Transcripts;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Agent.Runtime.Kernel;

/// <summary>
/// Maps a Semantic Kernel chat history to the training transcript format's <see cref="Conversation"/> (and back for
/// single turns): user text is the task, an assistant function call a tool-call turn, a tool message a tool-result
/// turn, assistant text an answer. Tool names are <c>plugin.function</c>.
/// </summary>
internal static class ChatHistoryTranscript
{
    public static Conversation ToConversation(ChatHistory history)
    {
        var turns = new List<Turn>();
        foreach (var message in history)
        {
            if (message.Role == AuthorRole.User)
            {
                turns.Add(new TaskTurn(message.Content ?? string.Empty));
                continue;
            }

            if (message.Role == AuthorRole.Assistant)
            {
                var call = message.Items.OfType<FunctionCallContent>().FirstOrDefault();
                if (call is not null)
                {
                    turns.Add(new ToolCallTurn(ToToolCall(call)));
                }
                else
                {
                    turns.Add(new AnswerTurn(message.Content ?? string.Empty));
                }

                continue;
            }

            if (message.Role == AuthorRole.Tool)
            {
                foreach (var result in message.Items.OfType<FunctionResultContent>())
                {
                    var outcome = result.Result as ToolOutcome ?? new ToolOutcome(0, result.Result?.ToString() ?? string.Empty, string.Empty, false);
                    turns.Add(new ToolResultTurn(ToolName(result.PluginName, result.FunctionName), outcome.ExitCode, outcome.Stdout, outcome.Stderr, outcome.Truncated));
                }
            }
        }

        return new Conversation(turns);
    }

    public static string ToolName(string? plugin, string? function) =>
        string.IsNullOrEmpty(plugin) ? function ?? "error" : plugin + "." + function;

    public static (string? Plugin, string Function) SplitToolName(string tool)
    {
        var dot = tool.LastIndexOf('.');
        return dot < 0 ? (null, tool) : (tool[..dot], tool[(dot + 1)..]);
    }

    public static FunctionCallContent ToFunctionCall(ToolCall call, string id)
    {
        var (plugin, function) = SplitToolName(call.Name);
        var arguments = new KernelArguments();
        using var doc = JsonDocument.Parse(call.ArgumentsJson);
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            arguments[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.Clone();
        }

        return new FunctionCallContent(function, plugin, id, arguments);
    }

    public static ToolCall ToToolCall(FunctionCallContent content)
    {
        var arguments = new JsonObject();
        foreach (var (key, value) in content.Arguments ?? [])
        {
            arguments[key] = value is null ? null : JsonSerializer.SerializeToNode(value);
        }

        return new ToolCall(ToolName(content.PluginName, content.FunctionName), arguments);
    }
}
