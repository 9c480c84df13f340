using System.Text.Json;

namespace Agent.Decoding.Transcripts;

/// <summary>A tool as a model's system prompt lists it: its name (<c>shell.run</c>), what it does, and a JSON schema of its parameters.</summary>
public sealed record ToolDescription
{
    /// <summary>Creates a description.</summary>
    /// <param name="name">The tool name (dot-separated identifiers, as in a <see cref="ToolCall"/>).</param>
    /// <param name="description">What the tool does.</param>
    /// <param name="parametersSchema">A JSON schema object (<c>{"type":"object","properties":{...},"required":[...]}</c>).</param>
    /// <exception cref="ArgumentException">The name is not a valid tool name, or the schema is not a JSON object.</exception>
    public ToolDescription(string name, string description, JsonElement parametersSchema)
    {
        if (!ToolCall.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid tool name: expected dot-separated identifiers such as 'shell.run'.", nameof(name));
        }

        if (parametersSchema.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"The parameter schema of '{name}' must be a JSON object, not {parametersSchema.ValueKind}.", nameof(parametersSchema));
        }

        Name = name;
        Description = description ?? string.Empty;
        ParametersSchema = parametersSchema.Clone();
    }

    /// <summary>The tool name.</summary>
    public string Name { get; }

    /// <summary>What the tool does.</summary>
    public string Description { get; }

    /// <summary>The JSON schema of the parameters.</summary>
    public JsonElement ParametersSchema { get; }
}
