using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// The <see cref="IChatTranscriptFormat"/> of a model with a chat template. The layout is llama.cpp's
/// <c>llama_chat_apply_template</c> for the family, byte for byte (a test compares them); the content of each message is:
/// </summary>
/// <remarks>
/// <code>
/// system     instructions, then the tool list in the family's own words (Hermes &lt;tools&gt; block, Llama 3.1 JSON lines)
/// user       the task
/// assistant  &lt;mode2&gt;&lt;tool_call&gt;\n{"name": "shell.run", "arguments": {"command":"ls"}}\n&lt;/tool_call&gt;     (ChatML)
/// assistant  &lt;mode2&gt;{"name": "shell.run", "parameters": {"command":"ls"}}                                    (Llama 3)
/// tool       {"tool":"shell.run","exit_code":0,"stdout":"a.txt","stderr":"","truncated":false}     (role ipython for Llama 3)
/// assistant  &lt;mode2&gt;There is one file, a.txt.
/// </code>
/// <para>A behaviour tag wraps a whole call, or its span of an answer. Free text is escaped with <see cref="TemplateText"/>.
/// A generated step is read in any family's call form (<see cref="ToolCallForms"/>); text without one is an answer.</para>
/// </remarks>
internal sealed class ChatTemplateFormat : IChatTranscriptFormat
{
    private const string ChatMlStart = "<|im_start|>";
    private const string ChatMlEnd = "<|im_end|>";
    private const string Llama3Start = "<|start_header_id|>";
    private const string Llama3HeaderEnd = "<|end_header_id|>";
    private const string Llama3End = "<|eot_id|>";
    private static readonly string s_agentOpen = TagNames.Open(TagNames.AgentMode);
    private static readonly JsonWriterOptions s_json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly HashSet<string> _tags;

    public ChatTemplateFormat(ChatTemplateFamily family, ChatTemplateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Family = family;
        _tags = new HashSet<string>(options.Tags, StringComparer.Ordinal) { TagNames.PlainMode, TagNames.AgentMode };
        SystemPrompt = BuildSystemPrompt(family, options);
        StepStopStrings = family == ChatTemplateFamily.ChatMl ? [ChatMlEnd] : [Llama3End, "<|eom_id|>"];
    }

    public ChatTemplateFamily Family { get; }

    public string SystemPrompt { get; }

    public string Name => Family == ChatTemplateFamily.ChatMl ? "chatml" : "llama3";

    public IReadOnlyList<string> StepStopStrings { get; }

    public string StepShape => Family == ChatTemplateFamily.ChatMl
        ? "call one tool as <tool_call>{\"name\": \"<tool>\", \"arguments\": {...}}</tool_call>, or reply with the answer as plain text"
        : "call one tool as a JSON object {\"name\": \"<tool>\", \"parameters\": {...}}, or reply with the answer as plain text";

    private string ToolRole => Family == ChatTemplateFamily.ChatMl ? "tool" : "ipython";

    public string FitPrompt(string prompt, Func<string, int> countTokens, int budget) =>
        PromptFitter.Fit(prompt, countTokens, budget, Family == ChatTemplateFamily.ChatMl ? ChatMlStart : Llama3Start, 0, keptTurns: 2);

    public IReadOnlyList<TemplateMessage> ToMessages(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        return [new TemplateMessage("system", SystemPrompt), .. conversation.Turns.Select(ToMessage)];
    }

    public string Render(Conversation conversation) => Layout(ToMessages(conversation), addAssistant: false);

    public string RenderTurn(Turn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        return Layout([ToMessage(turn)], addAssistant: false);
    }

    public string RenderPromptForNextAgentStep(Conversation conversation) => Layout(ToMessages(conversation), addAssistant: true) + s_agentOpen;

    public bool TryParseAgentLine(string generatedLine, [NotNullWhen(true)] out AgentAction? action, out string errorMessage)
    {
        ArgumentNullException.ThrowIfNull(generatedLine);
        action = null;
        if (!TryParseAssistant(generatedLine, strict: false, out var turn, out errorMessage))
        {
            return false;
        }

        action = new AgentAction(turn);
        return true;
    }

    public Conversation Parse(string text)
    {
        if (!TryParse(text, out var conversation, out var errorMessage))
        {
            throw new TranscriptFormatException("Not a valid transcript: " + errorMessage);
        }

        return conversation;
    }

    public bool TryParse(string text, [NotNullWhen(true)] out Conversation? conversation, out string errorMessage)
    {
        ArgumentNullException.ThrowIfNull(text);
        conversation = null;
        var turns = new List<Turn>();
        var pos = 0;
        var index = 0;
        while (pos < text.Length)
        {
            index++;
            if (!TryReadMessage(text, ref pos, out var role, out var content, out errorMessage))
            {
                errorMessage = $"message {index}: {errorMessage}";
                return false;
            }

            Turn? turn;
            string error;
            var ok = role switch
            {
                "system" => TrySkip(out turn, out error),
                "user" => TryParseUser(content, out turn, out error),
                "assistant" => TryParseAssistant(content, strict: true, out turn, out error),
                _ when role == ToolRole => TryParseResult(content, out turn, out error),
                _ => Fail($"unknown role '{role}' (expected system, user, assistant or {ToolRole})", out turn, out error),
            };
            if (!ok)
            {
                errorMessage = $"message {index} ({role}): {error}";
                return false;
            }

            if (turn is not null)
            {
                turns.Add(turn);
            }
        }

        conversation = new Conversation(turns);
        errorMessage = string.Empty;
        return true;
    }

    private static bool TrySkip(out Turn? turn, out string error)
    {
        turn = null;
        error = string.Empty;
        return true;
    }

    private static bool Fail(string why, out Turn? turn, out string error)
    {
        turn = null;
        error = why;
        return false;
    }

    private string Layout(IReadOnlyList<TemplateMessage> messages, bool addAssistant)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
        {
            if (Family == ChatTemplateFamily.ChatMl)
            {
                sb.Append(ChatMlStart).Append(m.Role).Append('\n').Append(m.Content).Append(ChatMlEnd).Append('\n');
            }
            else
            {
                sb.Append(Llama3Start).Append(m.Role).Append(Llama3HeaderEnd).Append("\n\n").Append(TrimAsLlamaCpp(m.Content)).Append(Llama3End);
            }
        }

        if (addAssistant)
        {
            sb.Append(Family == ChatTemplateFamily.ChatMl ? ChatMlStart + "assistant\n" : Llama3Start + "assistant" + Llama3HeaderEnd + "\n\n");
        }

        return sb.ToString();
    }

    /// <summary>llama.cpp trims Llama 3 content with C's isspace.</summary>
    private static string TrimAsLlamaCpp(string content) => content.Trim(' ', '\t', '\n', '\v', '\f', '\r');

    private bool TryReadMessage(string text, ref int pos, out string role, out string content, out string error)
    {
        role = content = string.Empty;
        var (start, headerEnd, end) = Family == ChatTemplateFamily.ChatMl
            ? (ChatMlStart, "\n", ChatMlEnd + "\n")
            : (Llama3Start, Llama3HeaderEnd + "\n\n", Llama3End);
        if (string.CompareOrdinal(text, pos, start, 0, start.Length) != 0)
        {
            error = $"expected '{start}' at offset {pos}";
            return false;
        }

        var roleStart = pos + start.Length;
        var roleEnd = text.IndexOf(headerEnd, roleStart, StringComparison.Ordinal);
        if (roleEnd < 0)
        {
            error = "the role header is not closed";
            return false;
        }

        var contentEnd = text.IndexOf(end, roleEnd + headerEnd.Length, StringComparison.Ordinal);
        if (contentEnd < 0)
        {
            error = $"the message does not end with '{end.TrimEnd('\n')}'";
            return false;
        }

        role = text[roleStart..roleEnd];
        content = text[(roleEnd + headerEnd.Length)..contentEnd];
        pos = contentEnd + end.Length;
        error = string.Empty;
        return true;
    }

    private TemplateMessage ToMessage(Turn turn) => turn switch
    {
        TaskTurn t => new TemplateMessage("user", Tagged(t.Text, Shift(t.Tags, -TaskTurn.Keyword.Length, 0, t.Text.Length))),
        ProseTurn p => new TemplateMessage("user", Tagged(p.Text, [.. p.Tags])),
        AnswerTurn a => new TemplateMessage("assistant", s_agentOpen + Tagged(a.Text, Shift(a.Tags, -AnswerTurn.Keyword.Length, 0, a.Text.Length))),
        ToolCallTurn c => new TemplateMessage("assistant", s_agentOpen + WrapInTags(CallText(c.Call), c.Tags)),
        ToolResultTurn r => new TemplateMessage(ToolRole, TemplateText.Escape(ResultJson(r))),
        _ => throw new ArgumentException($"A {turn.GetType().Name} has no chat-template rendering.", nameof(turn)),
    };

    private static string Tagged(string text, IReadOnlyList<TagSpan> spans)
    {
        var sb = new StringBuilder();
        TranscriptCodec.AppendBody(sb, text, spans, TemplateText.Escape);
        return sb.ToString();
    }

    /// <summary>Spans moved by <paramref name="offset"/> and clipped to [<paramref name="min"/>, <paramref name="max"/>); empty ones dropped.</summary>
    private static List<TagSpan> Shift(IEnumerable<TagSpan> spans, int offset, int min, int max) =>
        [.. spans.Select(s => (Start: Math.Max(min, s.Start + offset), End: Math.Min(max, s.End + offset), s.Tag))
            .Where(s => s.End > s.Start)
            .Select(s => new TagSpan(s.Tag, s.Start, s.End - s.Start))];

    private static List<TagSpan> WholeSpans(IEnumerable<TagSpan> spans, int length) =>
        [.. spans.Select(s => s.Tag).Distinct(StringComparer.Ordinal).Select(tag => new TagSpan(tag, 0, length))];

    /// <summary>A call in the family's own form; only the arguments are free text (the name is an identifier, the markup the format's own).</summary>
    private string CallText(ToolCall call) => Family == ChatTemplateFamily.ChatMl
        ? $"{ToolCallForms.HermesOpen}\n{{\"name\": \"{call.Name}\", \"arguments\": {TemplateText.Escape(call.ArgumentsJson)}}}\n{ToolCallForms.HermesClose}"
        : $"{{\"name\": \"{call.Name}\", \"parameters\": {TemplateText.Escape(call.ArgumentsJson)}}}";

    /// <summary>The call text inside every tag of the turn (a tag on a call marks the whole call).</summary>
    private static string WrapInTags(string callText, IEnumerable<TagSpan> spans)
    {
        var tags = spans.Select(s => s.Tag).Distinct(StringComparer.Ordinal).ToList();
        return string.Concat(tags.Select(TagNames.Open)) + callText + string.Concat(Enumerable.Reverse(tags).Select(TagNames.Close));
    }

    private static string ResultJson(ToolResultTurn r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, s_json))
        {
            w.WriteStartObject();
            w.WriteString("tool", r.ToolName);
            w.WriteNumber("exit_code", r.ExitCode);
            w.WriteString("stdout", r.Stdout);
            w.WriteString("stderr", r.Stderr);
            w.WriteBoolean("truncated", r.Truncated);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private bool TryParseUser(string content, out Turn? turn, out string error)
    {
        turn = null;
        if (!TranscriptCodec.TryStripTags(content, strict: true, _tags.Contains, TemplateText.Unescape, out var body, out var spans, out error))
        {
            return false;
        }

        turn = new TaskTurn(body, spans.Select(s => s.Shift(TaskTurn.Keyword.Length)));
        return true;
    }

    private static bool TryParseResult(string content, out Turn? turn, out string error)
    {
        turn = null;
        try
        {
            using var doc = JsonDocument.Parse(TemplateText.Unescape(content));
            var r = doc.RootElement;
            turn = new ToolResultTurn(r.GetProperty("tool").GetString()!, r.GetProperty("exit_code").GetInt32(), r.GetProperty("stdout").GetString()!,
                r.GetProperty("stderr").GetString()!, r.GetProperty("truncated").GetBoolean());
            error = string.Empty;
            return true;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            error = "a tool result must be a JSON object with tool, exit_code, stdout, stderr and truncated: " + e.Message;
            return false;
        }
    }

    /// <summary>Reads an assistant message: the mode tag, behaviour tags, then a call in any family's form or an answer.</summary>
    private bool TryParseAssistant(string content, bool strict, [NotNullWhen(true)] out Turn? turn, out string error)
    {
        turn = null;
        var text = content;
        foreach (var stop in StepStopStrings)
        {
            if (text.EndsWith(stop, StringComparison.Ordinal))
            {
                text = text[..^stop.Length];
            }
        }

        text = text.Trim();
        if (text.StartsWith(s_agentOpen, StringComparison.Ordinal))
        {
            text = text[s_agentOpen.Length..];
        }
        else if (strict)
        {
            error = $"an assistant message must start with {s_agentOpen}";
            return false;
        }

        if (!TranscriptCodec.TryStripTags(text, strict, _tags.Contains, TemplateText.Unescape, out var body, out var spans, out error))
        {
            return false;
        }

        var thinkEnd = body.TrimStart().StartsWith("<think>", StringComparison.Ordinal) ? body.IndexOf("</think>", StringComparison.Ordinal) : -1;
        var skipped = thinkEnd < 0 ? 0 : thinkEnd + "</think>".Length;
        switch (ToolCallForms.TryParse(body[skipped..], out var call, out error))
        {
            case ToolCallForms.Result.Call:
                turn = new ToolCallTurn(call!, WholeSpans(spans, call!.ToString().Length));
                return true;
            case ToolCallForms.Result.Malformed:
                return false;
        }

        var lead = skipped + (body.Length - skipped - body[skipped..].TrimStart().Length);
        var answer = body[skipped..].Trim();
        if (answer.Length == 0)
        {
            error = $"the turn is empty: {StepShape}";
            return false;
        }

        turn = new AnswerTurn(answer, Shift(spans, AnswerTurn.Keyword.Length - lead, AnswerTurn.Keyword.Length, AnswerTurn.Keyword.Length + answer.Length));
        error = string.Empty;
        return true;
    }

    private static string BuildSystemPrompt(ChatTemplateFamily family, ChatTemplateOptions options)
    {
        var sb = new StringBuilder(options.Instructions);
        if (options.Tools.Count == 0)
        {
            return sb.ToString();
        }

        var tools = options.Tools.Select(ToolJson).ToList();
        if (family == ChatTemplateFamily.ChatMl)
        {
            sb.Append("\n\n# Tools\n\nYou may call one function per turn to assist with the user query.\n\n")
                .Append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n")
                .AppendJoin('\n', tools)
                .Append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n")
                .Append("<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>");
        }
        else
        {
            sb.Append("\n\nYou have access to the following functions. To call a function, respond with only a JSON object of the form ")
                .Append("{\"name\": function name, \"parameters\": dictionary of argument name and its value}. Call one function per turn; do not use variables.\n\n")
                .AppendJoin("\n\n", tools);
        }

        return sb.ToString();
    }

    private static string ToolJson(ToolDescription tool)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, s_json))
        {
            w.WriteStartObject();
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", tool.Name);
            w.WriteString("description", tool.Description);
            w.WritePropertyName("parameters");
            tool.ParametersSchema.WriteTo(w);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
