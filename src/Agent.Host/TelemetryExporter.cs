namespace Agent.Host;

/// <summary>Where traces and metrics go (<see cref="TelemetryOptions.Selected"/>).</summary>
internal enum TelemetryExporter
{
    /// <summary>Nowhere: no provider is built, so spans are not even recorded.</summary>
    None,

    /// <summary>One line per span and per metric point on stderr, for a person looking at one process.</summary>
    Console,

    /// <summary>OpenTelemetry protocol to a collector.</summary>
    Otlp,
}
