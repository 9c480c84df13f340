using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Decoding.Transcripts;

/// <summary>The implementation of <see cref="ITranscriptFormat"/>.</summary>
internal sealed partial class TranscriptCodec : ITranscriptFormat
{
    private static readonly string s_plainOpen = TagNames.Open(TagNames.PlainMode);
    private static readonly string s_agentOpen = TagNames.Open(TagNames.AgentMode);

    public string Name => "project";

    public IReadOnlyList<string> StepStopStrings { get; } = ["\n"];

    public string StepShape => "write one line, 'call <tool> <json>' or 'answer <text>'";

    public string FitPrompt(string prompt, Func<string, int> countTokens, int budget) => PromptFitter.Fit(prompt, countTokens, budget);

    public string Render(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        var sb = new StringBuilder();
        foreach (var turn in conversation.Turns)
        {
            AppendTurn(sb, turn);
        }

        return sb.ToString();
    }

    public string RenderTurn(Turn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var sb = new StringBuilder();
        AppendTurn(sb, turn);
        return sb.ToString();
    }

    public string RenderPromptForNextAgentStep(Conversation conversation) => Render(conversation) + s_agentOpen;

    public bool TryParseAgentLine(string generatedLine, [NotNullWhen(true)] out AgentAction? action, out string errorMessage)
    {
        action = null;
        ArgumentNullException.ThrowIfNull(generatedLine);
        var line = generatedLine;
        if (line.EndsWith('\n'))
        {
            line = line[..^1];
        }

        line = line.TrimEnd('\r');
        if (line.StartsWith(s_agentOpen, StringComparison.Ordinal))
        {
            line = line[s_agentOpen.Length..];
        }

        if (line.Contains('\n', StringComparison.Ordinal))
        {
            errorMessage = "the agent line holds a newline; an agent turn is exactly one line ('call <tool> <json-object>' or 'answer <text>')";
            return false;
        }

        if (!TryStripTags(line, strict: false, out var body, out var spans, out errorMessage)
            || !TryParseAgentBody(body, spans, out var turn, out errorMessage))
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
        if (text.Length == 0)
        {
            conversation = Conversation.Empty;
            errorMessage = string.Empty;
            return true;
        }

        if (!text.EndsWith('\n'))
        {
            errorMessage = "the text does not end with a newline; every rendered turn ends with '\\n'";
            return false;
        }

        var lines = text[..^1].Split('\n');
        var turns = new List<Turn>();
        int i = 0;
        while (i < lines.Length)
        {
            int first = i;
            TurnMode mode;
            if (lines[i].StartsWith(s_plainOpen, StringComparison.Ordinal))
            {
                mode = TurnMode.Plain;
            }
            else if (lines[i].StartsWith(s_agentOpen, StringComparison.Ordinal))
            {
                mode = TurnMode.Agent;
            }
            else
            {
                errorMessage = $"line {i + 1} does not start with a mode tag ({s_plainOpen} or {s_agentOpen}) and follows no turn";
                return false;
            }

            i++;
            while (i < lines.Length && !lines[i].StartsWith(s_plainOpen, StringComparison.Ordinal) && !lines[i].StartsWith(s_agentOpen, StringComparison.Ordinal))
            {
                i++;
            }

            var bodyLines = lines[first..i];
            bodyLines[0] = bodyLines[0][s_plainOpen.Length..];
            Turn? turn;
            string turnError;
            bool ok = mode == TurnMode.Agent
                ? TryParseAgentTurn(bodyLines, out turn, out turnError)
                : TryParsePlainTurn(bodyLines, out turn, out turnError);
            if (!ok)
            {
                errorMessage = $"line {first + 1}: {turnError}";
                return false;
            }

            turns.Add(turn!);
        }

        conversation = new Conversation(turns);
        errorMessage = string.Empty;
        return true;
    }

    private static void AppendTurn(StringBuilder sb, Turn turn)
    {
        sb.Append(turn.Mode == TurnMode.Agent ? s_agentOpen : s_plainOpen);
        AppendBody(sb, turn.Body, turn.Tags);
        sb.Append('\n');
    }

    private static void AppendBody(StringBuilder sb, string body, ImmutableArray<TagSpan> tags) => AppendBody(sb, body, tags, UntrustedText.Escape);

    /// <summary>Appends <paramref name="body"/> escaped by <paramref name="escape"/>, with the tag text of <paramref name="tags"/> at their bounds.</summary>
    internal static void AppendBody(StringBuilder sb, string body, IReadOnlyList<TagSpan> tags, Func<string, string> escape)
    {
        if (tags.Count == 0)
        {
            sb.Append(escape(body));
            return;
        }

        // Boundaries: at each one, close spans ending there (innermost first), then open spans starting there (outermost first).
        var bounds = new SortedSet<int> { 0, body.Length };
        foreach (var t in tags)
        {
            bounds.Add(t.Start);
            bounds.Add(t.End);
        }

        int pos = 0;
        foreach (int b in bounds)
        {
            if (b > pos)
            {
                sb.Append(escape(body[pos..b]));
                pos = b;
            }

            for (int k = tags.Count - 1; k >= 0; k--)
            {
                if (tags[k].End == b)
                {
                    sb.Append(TagNames.Close(tags[k].Tag));
                }
            }

            foreach (var t in tags)
            {
                if (t.Start == b)
                {
                    sb.Append(TagNames.Open(t.Tag));
                }
            }
        }
    }

    private static bool TryParseAgentTurn(string[] bodyLines, out Turn? turn, out string error)
    {
        turn = null;
        if (bodyLines.Length != 1)
        {
            error = $"an agent turn spans {bodyLines.Length} lines; it must be exactly one line";
            return false;
        }

        return TryStripTags(bodyLines[0], strict: true, out var body, out var spans, out error)
            && TryParseAgentBody(body, spans, out turn, out error);
    }

    private static bool TryParsePlainTurn(string[] bodyLines, out Turn? turn, out string error)
    {
        turn = null;
        var header = ResultHeaderRegex().Match(bodyLines[0]);
        if (header.Success)
        {
            var stdout = new List<string>();
            var stderr = new List<string>();
            for (int k = 1; k < bodyLines.Length; k++)
            {
                var l = bodyLines[k];
                if (TagNames.TagTextRegex().IsMatch(l))
                {
                    error = $"output line {k} of a tool result holds tag text; tool output is escaped and never tagged";
                    return false;
                }

                if (l.StartsWith("| ", StringComparison.Ordinal) && stderr.Count == 0)
                {
                    stdout.Add(UntrustedText.Unescape(l[2..]));
                }
                else if (l.StartsWith("! ", StringComparison.Ordinal))
                {
                    stderr.Add(UntrustedText.Unescape(l[2..]));
                }
                else
                {
                    error = $"output line {k} of a tool result must start with '| ' (stdout, before any stderr) or '! ' (stderr)";
                    return false;
                }
            }

            if (!int.TryParse(header.Groups["exit"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int exit))
            {
                error = $"exit code '{header.Groups["exit"].Value}' is not a 32-bit integer";
                return false;
            }

            turn = new ToolResultTurn(header.Groups["tool"].Value, exit, string.Join('\n', stdout), string.Join('\n', stderr), header.Groups["trunc"].Success);
            error = string.Empty;
            return true;
        }

        if (!TryStripTags(string.Join('\n', bodyLines), strict: true, out var body, out var spans, out error))
        {
            return false;
        }

        if (body.StartsWith(TaskTurn.Keyword, StringComparison.Ordinal))
        {
            turn = new TaskTurn(body[TaskTurn.Keyword.Length..], spans);
        }
        else if (body.Length == 0)
        {
            error = "a plain turn is empty";
            return false;
        }
        else
        {
            turn = new ProseTurn(body, spans);
        }

        return true;
    }

    private static bool TryParseAgentBody(string body, List<TagSpan> spans, [NotNullWhen(true)] out Turn? turn, out string error)
    {
        turn = null;
        if (body.StartsWith(ToolCallTurn.Keyword, StringComparison.Ordinal) || body == "call")
        {
            var rest = body.Length > ToolCallTurn.Keyword.Length ? body[ToolCallTurn.Keyword.Length..] : string.Empty;
            int space = rest.IndexOf(' ', StringComparison.Ordinal);
            var name = space < 0 ? rest : rest[..space];
            if (name.Length == 0 || name.StartsWith('{'))
            {
                error = "missing tool name: expected 'call <tool> <json-object>', e.g. call shell.run {\"command\":\"ls\"}";
                return false;
            }

            if (!ToolCall.IsValidName(name))
            {
                error = $"invalid tool name '{name}': expected dot-separated identifiers such as 'shell.run'";
                return false;
            }

            var json = space < 0 ? string.Empty : rest[(space + 1)..];
            if (json.Trim().Length == 0)
            {
                error = $"missing JSON arguments after tool name '{name}': expected 'call {name} {{...}}'";
                return false;
            }

            if (!ToolCall.TryCreate(name, json, out var call, out error))
            {
                error = $"tool '{name}': {error}";
                return false;
            }

            // The turn holds the canonical form; when the generated text differs from it (key order, spaces),
            // a tag anywhere in the line tags the whole call.
            var canonical = call.ToString();
            var mapped = canonical == body ? spans : spans.Select(s => new TagSpan(s.Tag, 0, canonical.Length)).Distinct().ToList();
            turn = new ToolCallTurn(call, mapped);
            return true;
        }

        if (body.StartsWith(AnswerTurn.Keyword, StringComparison.Ordinal) || body == "answer")
        {
            if (body.Length <= AnswerTurn.Keyword.Length || body[AnswerTurn.Keyword.Length..].Trim().Length == 0)
            {
                error = "the answer text is empty: expected 'answer <text>'";
                return false;
            }

            turn = new AnswerTurn(body[AnswerTurn.Keyword.Length..], spans);
            error = string.Empty;
            return true;
        }

        var start = body.Length > 24 ? body[..24] + "..." : body;
        error = $"unknown shape: expected 'call <tool> <json-object>' or 'answer <text>', but the line reads '{start}'";
        return false;
    }

    /// <summary>Removes tag text, unescapes the text between tags and returns the spans over the result.</summary>
    private static bool TryStripTags(string rendered, bool strict, out string body, out List<TagSpan> spans, out string error) =>
        TryStripTags(rendered, strict, static _ => true, UntrustedText.Unescape, out body, out spans, out error);

    /// <summary>
    /// Removes the tag text of the tags <paramref name="isTag"/> accepts (other tag-looking text stays), unescapes the text
    /// between them with <paramref name="unescape"/> and returns the spans over the result.
    /// </summary>
    internal static bool TryStripTags(string rendered, bool strict, Func<string, bool> isTag, Func<string, string> unescape, out string body, out List<TagSpan> spans, out string error)
    {
        spans = [];
        var sb = new StringBuilder(rendered.Length);
        var open = new List<(string Name, int Start)>();
        int pos = 0;
        foreach (Match m in TagNames.TagTextRegex().Matches(rendered))
        {
            if (!isTag(m.Groups[2].Value))
            {
                continue;
            }

            sb.Append(unescape(rendered[pos..m.Index]));
            pos = m.Index + m.Length;
            var name = m.Groups[2].Value;
            bool closing = m.Groups[1].Length > 0;
            if (TagNames.IsModeTag(name))
            {
                body = string.Empty;
                error = $"unexpected mode tag '{m.Value}' inside a turn; a mode tag may only start a turn";
                return false;
            }

            if (!closing)
            {
                open.Add((name, sb.Length));
                continue;
            }

            int k = open.FindLastIndex(o => o.Name == name);
            if (k < 0)
            {
                if (strict)
                {
                    body = string.Empty;
                    error = $"closing tag '{m.Value}' has no opening tag";
                    return false;
                }

                continue;
            }

            if (strict && k != open.Count - 1)
            {
                body = string.Empty;
                error = $"tag '<{open[^1].Name}>' is not closed before '{m.Value}'";
                return false;
            }

            for (int j = open.Count - 1; j >= k; j--)
            {
                if (sb.Length > open[j].Start)
                {
                    spans.Add(new TagSpan(open[j].Name, open[j].Start, sb.Length - open[j].Start));
                }
            }

            open.RemoveRange(k, open.Count - k);
        }

        sb.Append(unescape(rendered[pos..]));
        body = sb.ToString();
        if (open.Count > 0)
        {
            if (strict)
            {
                error = $"tag '<{open[^1].Name}>' is not closed";
                return false;
            }

            foreach (var o in open)
            {
                if (body.Length > o.Start)
                {
                    spans.Add(new TagSpan(o.Name, o.Start, body.Length - o.Start));
                }
            }
        }

        error = string.Empty;
        return true;
    }

    [GeneratedRegex(@"^result (?<tool>[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*) exit=(?<exit>-?[0-9]+)(?<trunc> truncated)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ResultHeaderRegex();
}
