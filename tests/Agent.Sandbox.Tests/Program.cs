using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Sandbox.Tests;

/// <summary>
/// The test assembly's entry point. Under the test runner Main is not called; run as
/// <c>dotnet Agent.Sandbox.Tests.dll owner RUN_ID</c> it is another live owner of sandboxes on the same daemon and
/// installation: it fills its warm pool, hands a pooled container to RUN_ID, waits for the pool to refill, prints
/// <c>owner OWNER</c> and <c>run CONTAINER_ID</c>, and holds both until a line arrives on stdin (or it is killed).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length != 2 || args[0] != "owner")
        {
            await Console.Error.WriteLineAsync("usage: owner RUN_ID");
            return 2;
        }

        // No orphan removal here: the child must not disturb the test process's own sandboxes.
        var settings = new Dictionary<string, string?>(DockerFixture.Settings()) { ["Sandbox:WarmPoolSize"] = "1", ["Sandbox:RemoveOrphansOnStart"] = "false" };
        await using var provider = DockerFixture.BuildProvider(settings);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(timeout.Token);
        }

        var service = provider.GetRequiredService<Agent.Sandbox.Internal.DockerSandboxService>();
        await WaitForPoolAsync(service, timeout.Token);
        var sandbox = await service.GetOrCreateAsync(args[1], timeout.Token);
        await WaitForPoolAsync(service, timeout.Token);
        await Console.Out.WriteLineAsync("owner " + service.Owner);
        await Console.Out.WriteLineAsync("run " + sandbox.ContainerId);
        await Console.Out.FlushAsync(timeout.Token);
        await Console.In.ReadLineAsync(CancellationToken.None);
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    private static async Task WaitForPoolAsync(Agent.Sandbox.Internal.DockerSandboxService service, CancellationToken cancellationToken)
    {
        while (service.PooledCount == 0)
        {
            await Task.Delay(50, cancellationToken);
        }
    }
}
