using System.ComponentModel.DataAnnotations;

namespace Agent.Host;

/// <summary>The <c>Telemetry</c> section: where traces and metrics go.</summary>
internal sealed class TelemetryOptions : IValidatableObject
{
    public const string Section = "Telemetry";

    /// <summary><c>console</c> (the default), <c>otlp</c> or <c>none</c>; <c>otlp</c> is also chosen whenever <see cref="OtlpEndpoint"/> is set.</summary>
    public string Exporter { get; set; } = "console";

    /// <summary>OTLP endpoint, e.g. <c>http://127.0.0.1:4317</c>.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The service name on every span and metric.</summary>
    public string ServiceName { get; set; } = "agent";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Exporter?.Trim().ToLowerInvariant() is not ("console" or "otlp" or "none"))
        {
            yield return new ValidationResult($"Telemetry:Exporter is '{Exporter}': use console, otlp or none.", [nameof(Exporter)]);
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
