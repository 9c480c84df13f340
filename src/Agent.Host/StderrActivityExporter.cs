using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenTelemetry;

namespace Agent.Host;

/// <summary>
/// <c>Telemetry:Exporter</c> <c>console</c> for traces: one line per finished span on stderr (the SDK's console exporter
/// writes about 20 lines per span, to stdout, where the transcript goes).
/// </summary>
/// <example><c>span agent.step 412.3ms trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7 parent=d75597dee50b0cac agent.run_id=run-1 agent.step=1</c></example>
internal sealed class StderrActivityExporter(TextWriter writer) : BaseExporter<Activity>
{
    public override ExportResult Export(in Batch<Activity> batch)
    {
        var line = new StringBuilder();
        foreach (var activity in batch)
        {
            line.Clear();
            line.Append(CultureInfo.InvariantCulture, $"span {activity.DisplayName} {activity.Duration.TotalMilliseconds:0.0}ms trace={activity.TraceId} span={activity.SpanId}");
            if (activity.ParentSpanId != default)
            {
                line.Append(CultureInfo.InvariantCulture, $" parent={activity.ParentSpanId}");
            }

            foreach (var (key, value) in activity.TagObjects)
            {
                line.Append(' ').Append(key).Append('=').Append(Format(value));
            }

            if (activity.Status != ActivityStatusCode.Unset)
            {
                line.Append(" status=").Append(activity.Status).Append(activity.StatusDescription is { } why ? ": " + why : string.Empty);
            }

            writer.WriteLine(line.ToString());
        }

        writer.Flush();
        return ExportResult.Success;
    }

    internal static string Format(object? value) => value switch
    {
        null => "null",
        string s => s.Contains(' ', StringComparison.Ordinal) ? "\"" + s + "\"" : s,
        System.Collections.IEnumerable items => "[" + string.Join(',', items.Cast<object?>().Select(Format)) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
