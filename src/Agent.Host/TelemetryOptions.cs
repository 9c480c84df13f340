namespace Agent.Host;

/// <summary>The <c>Telemetry</c> section: where traces and metrics go.</summary>
internal sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary><c>console</c> (the default), <c>otlp</c> or <c>none</c>; <c>otlp</c> is also chosen whenever <see cref="OtlpEndpoint"/> is set.</summary>
    public string Exporter { get; set; } = "console";

    /// <summary>OTLP endpoint, e.g. <c>http://127.0.0.1:4317</c>.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The service name on every span and metric.</summary>
    public string ServiceName { get; set; } = "agent";
}
