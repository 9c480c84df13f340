using System.ComponentModel.DataAnnotations;

namespace Agent.Host;

/// <summary>
/// The <c>Telemetry</c> section: where traces and metrics go. Off unless asked for: spans and metrics are for an
/// operator's collector, never for the transcript a person reads on stdout.
/// </summary>
internal sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "Telemetry";

    /// <summary>
    /// <c>none</c>, <c>console</c> (one line per span and per metric point, to stderr) or <c>otlp</c>. Unset (the
    /// default): <c>otlp</c> when <see cref="OtlpEndpoint"/> is set, else <c>none</c>.
    /// </summary>
    public string? Exporter { get; set; }

    /// <summary>
    /// OTLP endpoint, e.g. <c>http://127.0.0.1:4317</c>; setting it alone turns OTLP on. With <c>Exporter</c> <c>otlp</c>
    /// and no endpoint, the exporter's own default applies (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, else http://localhost:4317).
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The service name on every span and metric.</summary>
    public string ServiceName { get; set; } = "agent";

    /// <summary>The exporter these settings select; only meaningful when <see cref="Validate"/> reports nothing.</summary>
    public TelemetryExporter Selected => Exporter?.Trim().ToLowerInvariant() switch
    {
        null or "" => OtlpEndpoint is null ? TelemetryExporter.None : TelemetryExporter.Otlp,
        "console" => TelemetryExporter.Console,
        "otlp" => TelemetryExporter.Otlp,
        _ => TelemetryExporter.None,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var exporter = Exporter?.Trim().ToLowerInvariant();
        if (exporter is not (null or "" or "none" or "console" or "otlp"))
        {
            yield return new ValidationResult($"Telemetry:Exporter is '{Exporter}': use none, console (stderr) or otlp, or leave it unset (otlp when Telemetry:OtlpEndpoint is set, else none).", [nameof(Exporter)]);
        }
        else if (OtlpEndpoint is not null && exporter is ("none" or "console"))
        {
            // Either key alone is clear; together they contradict each other, and silently dropping one hides a mistake.
            yield return new ValidationResult($"Telemetry:Exporter is '{Exporter}' but Telemetry:OtlpEndpoint is set ('{OtlpEndpoint}'): remove one of them (an endpoint alone selects otlp).", [nameof(Exporter), nameof(OtlpEndpoint)]);
        }

        if (OtlpEndpoint is not null && (!OtlpEndpoint.IsAbsoluteUri || OtlpEndpoint.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult($"Telemetry:OtlpEndpoint '{OtlpEndpoint}' must be an http:// or https:// URL such as http://127.0.0.1:4317.", [nameof(OtlpEndpoint)]);
        }

        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            yield return new ValidationResult("Telemetry:ServiceName must not be empty.", [nameof(ServiceName)]);
        }
    }
}
