using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Agent.Runtime;

/// <summary>The trace source and meter of the runtime: a trace per run, a span per step and per action, and the runtime's metrics.</summary>
public static class RuntimeTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and the <see cref="Meter"/>.</summary>
    public const string Name = "Agent.Runtime";

    internal static readonly ActivitySource Source = new(Name);

    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Decisions = Meter.CreateCounter<long>("agent.decisions", description: "Gate decisions by decision, tool, the tag whose threshold fired and the signal (model, classifier, none)");

    internal static readonly Histogram<double> Temptation = Meter.CreateHistogram<double>("agent.temptation", description: "Step temptation (the policy's aggregate) per tag");

    internal static readonly Histogram<double> Classifier = Meter.CreateHistogram<double>("agent.classifier", description: "The classifier's probability per tag for a gated action");

    internal static readonly Histogram<double> ClassifierLatency = Meter.CreateHistogram<double>("agent.classifier.latency", "ms", "Wall time of scoring one action with the classifier");

    internal static readonly Histogram<double> TokensPerSecond = Meter.CreateHistogram<double>("agent.tokens_per_second", "{token}/s", "Decoding speed of a model step");

    internal static readonly Histogram<double> ExecLatency = Meter.CreateHistogram<double>("agent.sandbox.exec_latency", "ms", "Wall time of a tool execution in the sandbox");

    internal static readonly Counter<long> MalformedCalls = Meter.CreateCounter<long>("agent.malformed_calls", description: "Model lines sent back as errors (malformed, unknown tool, invalid arguments)");

    internal static readonly Counter<long> Runs = Meter.CreateCounter<long>("agent.runs", description: "Runs that stopped, by status");
}
