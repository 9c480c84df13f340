using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Agent.Runtime;
using Agent.TestSupport;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Agent.Host.Tests;

/// <summary>
/// Telemetry as an operator meets it: nothing on a person's terminal unless asked for, the console exporter on stderr,
/// probability histograms with buckets over [0, 1], and a bad Telemetry section refused at start.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class AgentTelemetryTests
{
    /// <summary>What the SDK's console exporter wrote into transcripts, and what the stderr exporter writes.</summary>
    private static readonly string[] TelemetryMarkers = ["Activity.", "Metric Name", "Resource associated with", "service.name", "span ", "metric "];

    [Fact]
    public async Task Run_DefaultTelemetryHumanMode_WritesNoTelemetryLines()
    {
        var settings = WithShippedTelemetry();

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--model", TinyModel.Get(TestSettings.Lister), "--set", "Agent:MaxSteps=1");

        Assert.True(result.ExitCode == 1, result.ToString()); // the step limit
        Assert.Contains("files.list", result.Stdout, StringComparison.Ordinal);
        AssertNoTelemetry(result.Stdout);
        AssertNoTelemetry(result.Stderr);
    }

    [Fact]
    public async Task RunResume_UnknownRunDefaultTelemetry_PrintsOnlyTheError()
    {
        var settings = WithShippedTelemetry();

        var result = await AgentProcess.RunAsync(settings, "run", "--resume", "nonexistent");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Stdout);
        AssertNoTelemetry(result.Stderr);
        var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("nonexistent", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConsoleExporter_WritesOneLinePerSpanAndPointToStderrOnly()
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, "run", "List the files in /workspace", "--model", TinyModel.Get(TestSettings.Lister), "--set", "Agent:MaxSteps=1", "--set", "Telemetry:Exporter=console");

        Assert.True(result.ExitCode == 1, result.ToString());
        AssertNoTelemetry(result.Stdout);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("span agent.step ", StringComparison.Ordinal) && l.Contains(" agent.step=1", StringComparison.Ordinal));
        var chat = Assert.Single(lines, l => l.StartsWith("span chat ", StringComparison.Ordinal));
        Assert.Contains(" gen_ai.operation.name=chat ", chat, StringComparison.Ordinal);
        Assert.Contains(" gen_ai.usage.output_tokens=", chat, StringComparison.Ordinal);
        Assert.Contains(" parent=", chat, StringComparison.Ordinal);
        // Every probability histogram point counts in the probability buckets (the SDK's default bounds 0, 5, 10, ... would show le5).
        var probabilities = lines.Where(l => l.StartsWith("metric agent.temptation{", StringComparison.Ordinal) || l.StartsWith("metric agent.classifier{", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(probabilities);
        var bounds = probabilities.SelectMany(l => System.Text.RegularExpressions.Regex.Matches(l, @" le(\S+)=\d+").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();
        Assert.NotEmpty(bounds);
        Assert.All(bounds, b => Assert.Contains(b, AgentTelemetry.ProbabilityBuckets));
    }

    [Theory]
    [InlineData("Telemetry:Exporter", "run", "--set", "Telemetry:Exporter=consol", "List the files")]
    [InlineData("Telemetry:Exporter", "review", "list", "--set", "Telemetry:Exporter=jaeger")]
    [InlineData("Telemetry:OtlpEndpoint", "run", "--set", "Telemetry:Exporter=console", "--set", "Telemetry:OtlpEndpoint=http://127.0.0.1:4317", "List the files")]
    [InlineData("Telemetry:OtlpEndpoint", "run", "--set", "Telemetry:Exporter=none", "--set", "Telemetry:OtlpEndpoint=http://127.0.0.1:4317", "List the files")]
    public async Task Start_BadTelemetrySetting_Exits2NamingTheKeyBeforeAnyRun(string named, params string[] args)
    {
        var settings = TestSettings.Create();

        var result = await AgentProcess.RunAsync(settings, args);

        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.False(File.Exists(settings.RunStoreFile), "the run store was created although the Telemetry section is invalid");
    }

    [Theory]
    [InlineData("agent.temptation")]
    [InlineData("agent.classifier")]
    public void ConfigureMetrics_RuntimeProbabilityHistogram_ExportsTheProbabilityBuckets(string name)
    {
        var exported = new List<Metric>();
        using var provider = AgentTelemetry.ConfigureMetrics(Sdk.CreateMeterProviderBuilder(), service: false).AddInMemoryExporter(exported).Build();
        var histogram = RuntimeInstrument(name);

        histogram.Record(0.42, new KeyValuePair<string, object?>("tag", "test-" + name));
        provider.ForceFlush();

        var metric = Assert.Single(exported, m => m.Name == name);
        var point = Single(metric, "test-" + name);
        var bounds = new List<double>();
        var counts = new List<long>();
        foreach (var bucket in point.GetHistogramBuckets())
        {
            bounds.Add(bucket.ExplicitBound);
            counts.Add(bucket.BucketCount);
        }

        Assert.Equal([.. AgentTelemetry.ProbabilityBuckets, double.PositiveInfinity], bounds);
        Assert.Equal(1, counts[bounds.IndexOf(0.5)]); // 0.42 lies in (0.3, 0.5]
        Assert.Equal(1, counts.Sum());
    }

    private static TestSettings WithShippedTelemetry()
    {
        // The Telemetry section exactly as the repository ships it (the test settings otherwise turn telemetry off).
        var shipped = JsonNode.Parse(File.ReadAllText(Path.Combine(TestSettings.RepoRoot, "appsettings.json")))!["Telemetry"]!.DeepClone();
        return TestSettings.Create(edit: json => json["Telemetry"] = shipped);
    }

    private static void AssertNoTelemetry(string output)
    {
        foreach (var line in output.Split('\n'))
        {
            Assert.DoesNotContain(TelemetryMarkers, m => line.StartsWith(m, StringComparison.Ordinal) || line.TrimStart().StartsWith(m, StringComparison.Ordinal));
        }
    }

    /// <summary>The runtime's own instrument (internal to Agent.Runtime), found as any listener finds it.</summary>
    private static Histogram<double> RuntimeInstrument(string name)
    {
        System.Runtime.CompilerServices.RuntimeHelpers.RunClassConstructor(typeof(RuntimeTelemetry).TypeHandle);
        Histogram<double>? found = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == RuntimeTelemetry.Name && instrument.Name == name)
                {
                    found = (Histogram<double>)instrument;
                }
            },
        };
        listener.Start();
        return found ?? throw new InvalidOperationException($"{RuntimeTelemetry.Name} has no histogram {name}");
    }

    private static MetricPoint Single(Metric metric, string tag)
    {
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            foreach (var t in point.Tags)
            {
                if (t.Key == "tag" && Equals(t.Value, tag))
                {
                    return point;
                }
            }
        }

        throw new InvalidOperationException($"{metric.Name} has no point tagged {tag}");
    }
}
