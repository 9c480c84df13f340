using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Agent.Decoding.Transcripts;

/// <summary>
/// A tool call: a tool name (<c>shell.run</c>) and a JSON object of arguments, held in canonical form:
/// compact JSON on one line, object keys sorted ordinally at every depth, and every tag-looking '&lt;'
/// inside strings written as <c>\u003C</c> (so arguments can never carry tag text).
/// </summary>
public sealed partial record ToolCall
{
    /// <summary>Tool name of the default shell tool (argument <c>command</c>).</summary>
    public const string ShellRun = "shell.run";

    /// <summary>Tool name of the default file reader (argument <c>path</c>).</summary>
    public const string FilesRead = "files.read";

    /// <summary>Tool name of the default file writer (arguments <c>path</c>, <c>content</c>).</summary>
    public const string FilesWrite = "files.write";

    /// <summary>Tool name of the default directory lister (argument <c>path</c>).</summary>
    public const string FilesList = "files.list";

    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    private ToolCall(string name, string argumentsJson)
    {
        Name = name;
        ArgumentsJson = argumentsJson;
    }

    /// <summary>Creates a call from a JSON object of arguments.</summary>
    /// <param name="name">Tool name: dot-separated identifiers, e.g. <c>files.read</c>.</param>
    /// <param name="arguments">The arguments; copied into canonical form.</param>
    /// <exception cref="TranscriptFormatException">The name is not a valid tool name.</exception>
    public ToolCall(string name, JsonObject arguments)
        : this(ValidName(name), Canonicalize((arguments ?? throw new ArgumentNullException(nameof(arguments))).ToJsonString()))
    {
    }

    /// <summary>The tool name.</summary>
    public string Name { get; }

    /// <summary>The arguments as canonical, compact, one-line JSON.</summary>
    public string ArgumentsJson { get; }

    /// <summary>Creates a call from a JSON text of arguments.</summary>
    /// <param name="name">Tool name.</param>
    /// <param name="argumentsJson">A JSON object.</param>
    /// <returns>The call.</returns>
    /// <exception cref="TranscriptFormatException">The name is invalid, or the JSON is malformed or not an object.</exception>
    public static ToolCall Parse(string name, string argumentsJson)
    {
        if (!TryCreate(name, argumentsJson, out var call, out var error))
        {
            throw new TranscriptFormatException(error);
        }

        return call;
    }

    /// <summary>Creates a call from a JSON text of arguments, reporting a precise error instead of throwing.</summary>
    /// <param name="name">Tool name.</param>
    /// <param name="argumentsJson">A JSON object.</param>
    /// <param name="call">The call when valid.</param>
    /// <param name="error">What was wrong when invalid.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool TryCreate(string name, string argumentsJson, [NotNullWhen(true)] out ToolCall? call, out string error)
    {
        call = null;
        if (!IsValidName(name))
        {
            error = $"invalid tool name '{name}': expected dot-separated identifiers such as 'shell.run'";
            return false;
        }

        if (!TryCanonicalize(argumentsJson ?? string.Empty, out var canonical, out error))
        {
            return false;
        }

        call = new ToolCall(name, canonical);
        error = string.Empty;
        return true;
    }

    /// <summary><c>shell.run</c> with <c>command</c>.</summary>
    /// <param name="command">The shell command.</param>
    /// <returns>The call.</returns>
    public static ToolCall Shell(string command) => new(ShellRun, new JsonObject { ["command"] = command });

    /// <summary><c>files.read</c> with <c>path</c>.</summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The call.</returns>
    public static ToolCall Read(string path) => new(FilesRead, new JsonObject { ["path"] = path });

    /// <summary><c>files.write</c> with <c>path</c> and <c>content</c>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="content">The new content.</param>
    /// <returns>The call.</returns>
    public static ToolCall Write(string path, string content) => new(FilesWrite, new JsonObject { ["path"] = path, ["content"] = content });

    /// <summary><c>files.list</c> with <c>path</c>.</summary>
    /// <param name="path">The directory to list.</param>
    /// <returns>The call.</returns>
    public static ToolCall List(string path) => new(FilesList, new JsonObject { ["path"] = path });

    /// <summary>Whether <paramref name="name"/> is a valid tool name.</summary>
    /// <param name="name">The candidate.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidName([NotNullWhen(true)] string? name) => name is not null && ToolNameRegex().IsMatch(name);

    /// <summary>A fresh, mutable copy of the arguments.</summary>
    /// <returns>The arguments object.</returns>
    public JsonObject GetArguments() => (JsonObject)JsonNode.Parse(ArgumentsJson)!;

    /// <summary>A string argument, or <see langword="null"/> when absent or not a string.</summary>
    /// <param name="key">The argument name.</param>
    /// <returns>The value.</returns>
    public string? GetString(string key)
    {
        using var doc = JsonDocument.Parse(ArgumentsJson);
        return doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>The rendered body, <c>call &lt;name&gt; &lt;json&gt;</c>.</summary>
    /// <returns>The call line without mode tag or newline.</returns>
    public override string ToString() => "call " + Name + " " + ArgumentsJson;

    private static string ValidName(string name)
    {
        if (!IsValidName(name))
        {
            throw new TranscriptFormatException($"Invalid tool name '{name}': use dot-separated identifiers such as 'shell.run' or 'files.read'.");
        }

        return name;
    }

    private static string Canonicalize(string json)
    {
        if (!TryCanonicalize(json, out var canonical, out var error))
        {
            throw new TranscriptFormatException(error);
        }

        return canonical;
    }

    private static bool TryCanonicalize(string json, out string canonical, out string error)
    {
        canonical = string.Empty;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            error = $"arguments are not valid JSON: {ex.Message}";
            return false;
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = $"arguments must be a JSON object, but got a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}";
                return false;
            }

            var buffer = new ArrayBufferWriter<byte>(json.Length + 16);
            using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
            {
                if (!WriteSorted(writer, doc.RootElement, out error))
                {
                    return false;
                }
            }

            canonical = ProtectTags(Encoding.UTF8.GetString(buffer.WrittenSpan));
            error = string.Empty;
            return true;
        }
    }

    private static bool WriteSorted(Utf8JsonWriter writer, JsonElement element, out string error)
    {
        error = string.Empty;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var props = element.EnumerateObject().ToList();
                props.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                for (int i = 1; i < props.Count; i++)
                {
                    if (props[i].Name == props[i - 1].Name)
                    {
                        error = $"arguments are not valid: duplicate key '{props[i].Name}'";
                        return false;
                    }
                }

                writer.WriteStartObject();
                foreach (var p in props)
                {
                    writer.WritePropertyName(p.Name);
                    if (!WriteSorted(writer, p.Value, out error))
                    {
                        return false;
                    }
                }

                writer.WriteEndObject();
                return true;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    if (!WriteSorted(writer, item, out error))
                    {
                        return false;
                    }
                }

                writer.WriteEndArray();
                return true;
            default:
                element.WriteTo(writer);
                return true;
        }
    }

    /// <summary>'&lt;' can only occur inside JSON strings, so writing it as \u003C keeps the JSON value.</summary>
    private static string ProtectTags(string json)
    {
        if (!UntrustedText.NeedsEscaping(json))
        {
            return json;
        }

        var sb = new StringBuilder(json.Length + 16);
        for (int i = 0; i < json.Length; i++)
        {
            if (json[i] == '<' && UntrustedText.LooksLikeTagAfter(json, i + 1))
            {
                sb.Append("\\u003C");
            }
            else
            {
                sb.Append(json[i]);
            }
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ToolNameRegex();
}
