using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agent.Runtime.Storage;

/// <summary>
/// Writes <see cref="ActionLogEntry.Trace"/> on the wire as a JSON string holding the stored JSON, as the HTTP API's
/// <c>/approvals</c> have always returned it (the trace was a string on the entry).
/// </summary>
internal sealed class ActionTraceStringJsonConverter : JsonConverter<ActionTrace>
{
    public override ActionTrace Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TraceJson.Read(reader.GetString() ?? string.Empty);

    public override void Write(Utf8JsonWriter writer, ActionTrace value, JsonSerializerOptions options) =>
        writer.WriteStringValue(TraceJson.Write(value));
}
