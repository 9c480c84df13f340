using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Agent.Host;

/// <summary>
/// <c>Telemetry:Exporter</c> <c>console</c> for metrics: one line per metric point on stderr, histogram buckets as
/// <c>le=count</c> pairs (only the non-empty ones); a metric with no points writes nothing.
/// </summary>
/// <example><c>metric agent.temptation{tag=deceit,tool=files.list} count=2 sum=0.0004 le0.001=2</c></example>
internal sealed class StderrMetricExporter(TextWriter writer) : BaseExporter<Metric>
{
    public override ExportResult Export(in Batch<Metric> batch)
    {
        var line = new StringBuilder();
        foreach (var metric in batch)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                line.Clear().Append("metric ").Append(metric.Name).Append('{');
                var first = true;
                foreach (var (key, value) in point.Tags)
                {
                    line.Append(first ? string.Empty : ",").Append(key).Append('=').Append(StderrActivityExporter.Format(value));
                    first = false;
                }

                line.Append('}');
                AppendValue(line, metric.MetricType, point);
                writer.WriteLine(line.ToString());
            }
        }

        writer.Flush();
        return ExportResult.Success;
    }

    private static void AppendValue(StringBuilder line, MetricType type, in MetricPoint point)
    {
        switch (type)
        {
            case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                line.Append(CultureInfo.InvariantCulture, $" sum={point.GetSumLong()}");
                break;
            case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                line.Append(CultureInfo.InvariantCulture, $" sum={point.GetSumDouble():G6}");
                break;
            case MetricType.LongGauge:
                line.Append(CultureInfo.InvariantCulture, $" value={point.GetGaugeLastValueLong()}");
                break;
            case MetricType.DoubleGauge:
                line.Append(CultureInfo.InvariantCulture, $" value={point.GetGaugeLastValueDouble():G6}");
                break;
            case MetricType.Histogram:
                line.Append(CultureInfo.InvariantCulture, $" count={point.GetHistogramCount()} sum={point.GetHistogramSum():G6}");
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    if (bucket.BucketCount > 0)
                    {
                        var bound = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : bucket.ExplicitBound.ToString("G6", CultureInfo.InvariantCulture);
                        line.Append(CultureInfo.InvariantCulture, $" le{bound}={bucket.BucketCount}");
                    }
                }

                break;
            default:
                line.Append(" type=").Append(type);
                break;
        }
    }
}
