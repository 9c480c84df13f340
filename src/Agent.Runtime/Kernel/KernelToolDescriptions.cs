using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Decoding.Transcripts;
using Microsoft.SemanticKernel;

namespace Agent.Runtime.Kernel;

/// <summary>The tools of a run as a chat model's system prompt lists them, from the Semantic Kernel plugins' function metadata.</summary>
internal static class KernelToolDescriptions
{
    /// <summary>One description per function: <c>plugin.function</c>, its description, and a JSON schema of its parameters (type, description, required).</summary>
    public static IReadOnlyList<ToolDescription> From(IEnumerable<KernelPlugin> plugins)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        return [.. plugins.SelectMany(p => p.GetFunctionsMetadata().Select(f => Describe(p.Name, f)))];
    }

    private static ToolDescription Describe(string plugin, KernelFunctionMetadata function)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var parameter in function.Parameters)
        {
            var schema = parameter.Schema is { } s
                ? JsonNode.Parse(s.RootElement.GetRawText())!.AsObject()
                : new JsonObject { ["type"] = JsonType(parameter.ParameterType) };
            if (!schema.ContainsKey("description") && !string.IsNullOrEmpty(parameter.Description))
            {
                schema["description"] = parameter.Description;
            }

            properties[parameter.Name] = schema;
            if (parameter.IsRequired)
            {
                required.Add(parameter.Name);
            }
        }

        var parameters = new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = required };
        return new ToolDescription(ChatHistoryTranscript.ToolName(plugin, function.Name), function.Description, JsonSerializer.SerializeToElement(parameters));
    }

    private static string JsonType(Type? type) => type switch
    {
        null => "string",
        _ when type == typeof(bool) => "boolean",
        _ when type == typeof(int) || type == typeof(long) => "integer",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "number",
        _ => "string",
    };
}
