using Agent.Host.Commands;
using Agent.Runtime;
using Agent.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Host.Tests;

/// <summary>
/// The test assembly's entry point. Under the test runner Main is not called. Run as
/// <c>dotnet Agent.Host.Tests.dll host SETTINGS_FILE</c> it is one host of the many-hosts tests: the application
/// <c>agent serve</c> builds (<see cref="ServeCommand.Build"/>: worker, HTTP API) from SETTINGS_FILE, with
/// <see cref="ChaosStepSource"/> as its model, until it is killed or stopped; it prints <c>listening URL</c> once up.
/// Run as <c>dotnet Agent.Host.Tests.dll hosts-bench HOSTS RUNS</c> it is the measurement of <see cref="HostsBench"/>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        switch (args)
        {
            case ["host", var settingsFile]:
                return await HostAsync(settingsFile);
            case ["hosts-bench", var hosts, var runs]:
                return await HostsBench.RunAsync(int.Parse(hosts, System.Globalization.CultureInfo.InvariantCulture), int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture));
            default:
                await Console.Error.WriteLineAsync("usage: host SETTINGS_FILE | hosts-bench HOSTS RUNS");
                return 2;
        }
    }

    private static async Task<int> HostAsync(string settingsFile)
    {
        using var tiny = new TinyDecoder(new TinyModelSpec());
        var builder = AgentHost.CreateBuilder(settingsFile, []);
        AgentHost.AddRuntime(builder, service: true);
        builder.Services.AddSingleton<IAgentStepSource>(new ChaosStepSource(tiny));
        var app = ServeCommand.Build(builder);
        await app.StartAsync();
        Console.Out.WriteLine("listening " + app.Urls.Single());
        Console.Out.Flush();
        await app.WaitForShutdownAsync();
        await app.DisposeAsync();
        return 0;
    }
}
