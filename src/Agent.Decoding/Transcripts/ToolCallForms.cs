using System.Text.Json;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// Finds a tool call in an assistant message written by a chat model, in the forms of the common families:
/// Hermes / Qwen <c>&lt;tool_call&gt;{"name": ..., "arguments": {...}}&lt;/tool_call&gt;</c>, Llama 3.1 JSON
/// <c>{"name": ..., "parameters": {...}}</c> (optionally after <c>&lt;|python_tag|&gt;</c>), and Mistral
/// <c>[TOOL_CALLS] [{"name": ..., "arguments": {...}}]</c> or <c>[TOOL_CALLS]name[ARGS]{...}</c>.
/// </summary>
internal static class ToolCallForms
{
    public const string HermesOpen = "<tool_call>";
    public const string HermesClose = "</tool_call>";
    public const string MistralMarker = "[TOOL_CALLS]";
    public const string PythonTag = "<|python_tag|>";
    private const string MistralArgs = "[ARGS]";
    private const string MistralCallId = "[CALL_ID]";

    /// <summary>The outcome: no call form at all (the message is an answer), a valid call, or a malformed call (the error says why).</summary>
    public enum Result
    {
        NotACall,
        Call,
        Malformed,
    }

    public static Result TryParse(string message, out ToolCall? call, out string error)
    {
        call = null;
        error = string.Empty;
        var text = message.Trim();
        if (text.Contains(HermesOpen, StringComparison.Ordinal))
        {
            return Hermes(text, out call, out error);
        }

        if (text.Contains(MistralMarker, StringComparison.Ordinal))
        {
            return Mistral(text[(text.IndexOf(MistralMarker, StringComparison.Ordinal) + MistralMarker.Length)..].Trim(), out call, out error);
        }

        if (text.StartsWith(PythonTag, StringComparison.Ordinal))
        {
            text = text[PythonTag.Length..].Trim();
        }

        return text.StartsWith('{')
            ? FromJsonObject(text, "a JSON tool call", out call, out error)
            : Result.NotACall;
    }

    private static Result Hermes(string text, out ToolCall? call, out string error)
    {
        call = null;
        var start = text.IndexOf(HermesOpen, StringComparison.Ordinal) + HermesOpen.Length;
        if (text.IndexOf(HermesOpen, start, StringComparison.Ordinal) >= 0)
        {
            error = "more than one <tool_call> in one turn: call one tool per turn and read its result first";
            return Result.Malformed;
        }

        var end = text.IndexOf(HermesClose, start, StringComparison.Ordinal);
        var body = (end < 0 ? text[start..] : text[start..end]).Trim();
        if (end >= 0 && text[(end + HermesClose.Length)..].Trim().Length > 0)
        {
            error = "text after </tool_call>: end the turn after the call";
            return Result.Malformed;
        }

        return FromJsonObject(body, "the <tool_call> body", out call, out error);
    }

    private static Result Mistral(string rest, out ToolCall? call, out string error)
    {
        call = null;
        if (rest.StartsWith('['))
        {
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(rest);
            }
            catch (JsonException e)
            {
                error = $"the [TOOL_CALLS] list is not valid JSON ({e.Message})";
                return Result.Malformed;
            }

            using (doc)
            {
                if (doc.RootElement.GetArrayLength() != 1)
                {
                    error = $"[TOOL_CALLS] holds {doc.RootElement.GetArrayLength()} calls: call exactly one tool per turn";
                    return Result.Malformed;
                }

                return FromJsonObject(doc.RootElement[0].GetRawText(), "the [TOOL_CALLS] entry", out call, out error);
            }
        }

        if (rest.StartsWith('{'))
        {
            return FromJsonObject(rest, "the [TOOL_CALLS] entry", out call, out error);
        }

        var args = rest.IndexOf(MistralArgs, StringComparison.Ordinal);
        if (args < 0)
        {
            error = "[TOOL_CALLS] is followed neither by a JSON list nor by 'name[ARGS]{...}'";
            return Result.Malformed;
        }

        var name = rest[..args];
        var callId = name.IndexOf(MistralCallId, StringComparison.Ordinal);
        if (callId >= 0)
        {
            name = name[..callId];
        }

        return Create(name.Trim(), rest[(args + MistralArgs.Length)..].Trim(), out call, out error);
    }

    private static Result FromJsonObject(string json, string what, out ToolCall? call, out string error)
    {
        call = null;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            error = $"{what} is not valid JSON ({e.Message}); expected {{\"name\": \"<tool>\", \"arguments\": {{...}}}}";
            return Result.Malformed;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"{what} is a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object {{\"name\": \"<tool>\", \"arguments\": {{...}}}}";
                return Result.Malformed;
            }

            if (!root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(name.GetString()))
            {
                error = $"{what} has no \"name\" string: expected {{\"name\": \"<tool>\", \"arguments\": {{...}}}}";
                return Result.Malformed;
            }

            if (!root.TryGetProperty("arguments", out var arguments) && !root.TryGetProperty("parameters", out arguments))
            {
                error = $"{what} has no \"arguments\" (or \"parameters\") object for tool '{name.GetString()}'";
                return Result.Malformed;
            }

            // Some models write the arguments as a JSON string holding the object.
            var argumentsJson = arguments.ValueKind == JsonValueKind.String ? arguments.GetString()! : arguments.GetRawText();
            return Create(name.GetString()!, argumentsJson, out call, out error);
        }
    }

    private static Result Create(string name, string argumentsJson, out ToolCall? call, out string error)
    {
        if (!ToolCall.TryCreate(name, argumentsJson, out call, out error))
        {
            error = $"tool '{name}': {error}";
            return Result.Malformed;
        }

        return Result.Call;
    }
}
