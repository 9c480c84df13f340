using Agent.Sandbox.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agent.Sandbox.Tests;

/// <summary>
/// The one real Docker daemon all sandbox tests share. There is no silent skip: when the daemon does not answer,
/// every test of the collection fails with the message that says to run scripts/docker-up.sh.
/// Small limits keep the suite fast on 2 cores; <see cref="Token"/> bounds the whole collection.
/// </summary>
public sealed class DockerFixture : IAsyncLifetime, IDisposable
{
    public const int MemoryLimitMiB = 128;
    public const int PidsLimit = 64;
    public const int WorkspaceSizeMiB = 16;
    public const int MaxOutputBytes = 64 * 1024;

    private readonly CancellationTokenSource _overall = new(TimeSpan.FromMinutes(4));
    private ServiceProvider? _provider;

    public CancellationToken Token => _overall.Token;

    public ISandboxService Service { get; private set; } = null!;

    internal DockerSandboxService Implementation { get; private set; } = null!;

    public static Dictionary<string, string?> Settings(string? endpoint = null) => new()
    {
        ["Sandbox:DockerEndpoint"] = endpoint ?? Environment.GetEnvironmentVariable("AGENT_TEST_DOCKER_ENDPOINT") ?? "unix:///var/run/docker.sock",
        ["Sandbox:MemoryLimitMiB"] = MemoryLimitMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:MemorySwapLimitMiB"] = MemoryLimitMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:PidsLimit"] = PidsLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:WorkspaceSizeMiB"] = WorkspaceSizeMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:TmpSizeMiB"] = "8",
        ["Sandbox:ExecTimeoutSeconds"] = "20",
        ["Sandbox:KillGraceSeconds"] = "1",
        ["Sandbox:MaxOutputBytes"] = MaxOutputBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Sandbox:WarmPoolSize"] = "1",
        ["Sandbox:ConnectTimeoutSeconds"] = "3",
    };

    public static ServiceProvider BuildProvider(Dictionary<string, string?> settings, ILoggerProvider? logs = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddLogging(builder =>
            {
                if (logs is not null)
                {
                    builder.AddProvider(logs);
                }
            })
            .AddSandboxes(configuration)
            .BuildServiceProvider();
    }

    public async Task InitializeAsync()
    {
        _provider = BuildProvider(Settings());
        Implementation = _provider.GetRequiredService<DockerSandboxService>();
        Service = _provider.GetRequiredService<ISandboxService>();
        try
        {
            await Implementation.Engine.ClientAsync(Token);
        }
        catch (DockerUnavailableException e)
        {
            throw new InvalidOperationException(
                "The sandbox tests need a real Docker daemon and none answers. Run `bash scripts/docker-up.sh` first (CI does). " + e.Message, e);
        }

        foreach (var hosted in _provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(Token);
        }
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            foreach (var hosted in _provider.GetServices<IHostedService>())
            {
                await hosted.StopAsync(CancellationToken.None);
            }

            await _provider.DisposeAsync();
        }

        _overall.Dispose();
    }

    public void Dispose() => _overall.Dispose();

    /// <summary>A fresh sandbox for one test, removed when the test disposes it.</summary>
    public Task<ISandbox> NewSandboxAsync(string purpose) => Service.GetOrCreateAsync($"test-{purpose}-{Guid.NewGuid():N}"[..40], Token);
}

[CollectionDefinition(Name)]
public sealed class DockerCollectionDefinition : ICollectionFixture<DockerFixture>
{
    public const string Name = "Docker";
}
