using Agent.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Agent.Host;

/// <summary>
/// The OpenTelemetry wiring of the runtime verbs and the service: the runtime's trace source and meter, histogram
/// buckets that fit probabilities, ASP.NET Core and .NET runtime instrumentation for <c>serve</c>, and the exporter the
/// Telemetry section selects (none by default).
/// </summary>
internal static class AgentTelemetry
{
    /// <summary>
    /// Bucket bounds of the probability histograms (<c>agent.temptation</c>, <c>agent.classifier</c>): values lie in
    /// [0, 1] and the policy's thresholds sit between 0.05 and 0.9, where the SDK's default bounds (0, 5, 10, ... 10000)
    /// would put every value in one bucket. Fine at both ends, since a trained tag's temptation is mostly near 0.
    /// </summary>
    public static IReadOnlyList<double> ProbabilityBuckets { get; } = [0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.99, 1];

    /// <summary>The runtime's histograms of a probability per tag.</summary>
    public static IReadOnlyList<string> ProbabilityHistograms { get; } = ["agent.temptation", "agent.classifier"];

    /// <summary>Adds OpenTelemetry when the Telemetry section selects an exporter; with none, nothing is registered.</summary>
    /// <param name="builder">The verb's host builder.</param>
    /// <param name="service">True for <c>agent serve</c>: adds ASP.NET Core and .NET runtime instrumentation.</param>
    /// <exception cref="ConfigurationException">The Telemetry section is invalid (the message names the key).</exception>
    public static void Add(HostApplicationBuilder builder, bool service)
    {
        var telemetry = new TelemetryOptions();
        builder.Configuration.GetSection(TelemetryOptions.Section).Bind(telemetry);
        if (telemetry.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(telemetry)).FirstOrDefault() is { } failure)
        {
            throw new ConfigurationException(failure.ErrorMessage!);
        }

        var exporter = telemetry.Selected;
        if (exporter == TelemetryExporter.None)
        {
            return;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(telemetry.ServiceName))
            .WithTracing(t =>
            {
                ConfigureTracing(t, service);
                _ = exporter == TelemetryExporter.Otlp
                    ? t.AddOtlpExporter(o => o.Endpoint = telemetry.OtlpEndpoint ?? o.Endpoint)
                    : t.AddProcessor(new SimpleActivityExportProcessor(new StderrActivityExporter(Console.Error)));
            })
            .WithMetrics(m =>
            {
                ConfigureMetrics(m, service);
                _ = exporter == TelemetryExporter.Otlp
                    ? m.AddOtlpExporter(o => o.Endpoint = telemetry.OtlpEndpoint ?? o.Endpoint)
                    : m.AddReader(new PeriodicExportingMetricReader(new StderrMetricExporter(Console.Error)));
            });
    }

    /// <summary>The runtime's trace source, and for the service the incoming HTTP requests.</summary>
    public static TracerProviderBuilder ConfigureTracing(TracerProviderBuilder tracing, bool service)
    {
        tracing.AddSource(RuntimeTelemetry.Name);
        return service ? tracing.AddAspNetCoreInstrumentation() : tracing;
    }

    /// <summary>The runtime's meter with probability buckets on its probability histograms, and for the service ASP.NET Core's and the .NET runtime's metrics.</summary>
    public static MeterProviderBuilder ConfigureMetrics(MeterProviderBuilder metrics, bool service)
    {
        metrics.AddMeter(RuntimeTelemetry.Name);
        var buckets = new ExplicitBucketHistogramConfiguration { Boundaries = [.. ProbabilityBuckets] };
        foreach (var name in ProbabilityHistograms)
        {
            metrics.AddView(name, buckets);
        }

        return service ? metrics.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation() : metrics;
    }
}
