using System.Globalization;
using Agent.Training.Tests.Tuning;

namespace Agent.Training.Tests;

/// <summary>
/// The test assembly's entry point. Under the test runner Main is not called. Run as
/// <c>dotnet Agent.Training.Tests.dll tune-vs-scratch [SPLIT [BASE_UPDATES [TUNE_UPDATES]]]</c> it is the measurement of
/// <see cref="TuneVersusScratch"/>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        switch (args)
        {
            case ["tune-vs-scratch", .. var all]:
                var rest = all.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
                var named = all.Skip(rest.Length).ToArray();
                if (rest.Length > 3 || named.Length % 2 != 0)
                {
                    goto default;
                }

                var shape = new TuneVersusScratch.Shape();
                for (var i = 0; i < named.Length; i += 2)
                {
                    var value = named[i + 1];
                    shape = named[i] switch
                    {
                        "--width" => shape with { Width = int.Parse(value, CultureInfo.InvariantCulture) },
                        "--layers" => shape with { Layers = int.Parse(value, CultureInfo.InvariantCulture) },
                        "--base-window" => shape with { BaseWindow = int.Parse(value, CultureInfo.InvariantCulture) },
                        "--scratch" => shape with { Scratch = bool.Parse(value) },
                        "--full" => shape with { Full = bool.Parse(value) },
                        "--lr" => shape with { TuneLearningRate = float.Parse(value, CultureInfo.InvariantCulture) },
                        "--documents" => shape with { TuneDocuments = int.Parse(value, CultureInfo.InvariantCulture) },
                        _ => throw new ArgumentException($"unknown option {named[i]}"),
                    };
                }

                return await TuneVersusScratch.RunAsync(
                    rest.Length > 0 ? rest[0] : "test",
                    rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 600,
                    rest.Length > 2 ? int.Parse(rest[2], CultureInfo.InvariantCulture) : 200,
                    shape);
            case ["eval-tags", var splitName, .. var paths] when paths.Length > 0 && splitName is "test" or "validation":
                // The same evaluation as tune-vs-scratch's table, of models it already wrote (a split not looked at while choosing).
                var split = splitName == "test" ? Agent.Training.Corpus.CorpusSplit.Test : Agent.Training.Corpus.CorpusSplit.Validation;
                foreach (var path in paths)
                {
                    var report = await TuneVersusScratch.EvaluateAsync(path, split).ConfigureAwait(false);
                    foreach (var tag in report.Tags)
                    {
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {path} | {tag.Tag} | {tag.Positives} + {tag.Negatives} | {tag.Auroc:F3} | {tag.PairedAccuracy:F3} |"));
                    }
                }

                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: eval-tags test|validation MODEL.gguf...; or tune-vs-scratch [test|validation [BASE_UPDATES [TUNE_UPDATES]]] [--width N] [--layers N] [--base-window N] [--scratch true|false] [--full true|false] [--lr X] [--documents N]");
                return 2;
        }
    }
}
