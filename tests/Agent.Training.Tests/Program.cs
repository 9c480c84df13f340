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
            case ["tune-vs-scratch", .. var rest] when rest.Length <= 3:
                return await TuneVersusScratch.RunAsync(
                    rest.Length > 0 ? rest[0] : "test",
                    rest.Length > 1 ? int.Parse(rest[1], CultureInfo.InvariantCulture) : 600,
                    rest.Length > 2 ? int.Parse(rest[2], CultureInfo.InvariantCulture) : 200);
            default:
                await Console.Error.WriteLineAsync("usage: tune-vs-scratch [test|validation [BASE_UPDATES [TUNE_UPDATES]]]");
                return 2;
        }
    }
}
