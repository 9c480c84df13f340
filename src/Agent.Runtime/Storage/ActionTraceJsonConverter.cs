using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agent.Runtime.Storage;

/// <summary>Writes an <see cref="ActionTrace"/> on the wire as the same JSON object the store keeps (<see cref="TraceJson"/>).</summary>
internal sealed class ActionTraceJsonConverter : JsonConverter<ActionTrace>
{
    public override ActionTrace Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return TraceJson.Read(doc.RootElement);
    }

    public override void Write(Utf8JsonWriter writer, ActionTrace value, JsonSerializerOptions options) =>
        writer.WriteRawValue(TraceJson.Write(value), skipInputValidation: true);
}
