using System.Diagnostics;
using Agent.Sandbox.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Sandbox.Tests;

/// <summary>
/// The <c>debian</c> sandbox image (sandboxes/debian), built once per engine: the first run on a machine debootstraps
/// its root from Debian's archive (a few minutes), every later one finds the image by its context hash. The sandbox
/// service here is configured exactly as <see cref="DockerFixture"/>'s but for <c>Sandbox:Image=debian</c>, so the
/// same hardening applies. <see cref="Token"/> bounds the build and the collection's tests.
/// </summary>
public sealed class DebianFixture : IAsyncLifetime, IDisposable
{
    public const string Image = "debian";

    private readonly CancellationTokenSource _overall = new(TimeSpan.FromMinutes(25));
    private ServiceProvider? _provider;

    public CancellationToken Token => _overall.Token;

    public ISandboxService Service { get; private set; } = null!;

    internal DockerSandboxService Implementation { get; private set; } = null!;

    /// <summary>The reference of the built image.</summary>
    public string Reference { get; private set; } = "";

    /// <summary>How long making sure the image exists took in this run (the build, on a machine that had none).</summary>
    public TimeSpan EnsureTime { get; private set; }

    public static Dictionary<string, string?> Settings() => new(DockerFixture.Settings())
    {
        ["Sandbox:Image"] = Image,
        ["Sandbox:WarmPoolSize"] = "0",
    };

    public async Task InitializeAsync()
    {
        _provider = DockerFixture.BuildProvider(Settings());
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

        var clock = Stopwatch.StartNew();
        Reference = await Implementation.Images.EnsureAsync(Image, force: false, Token);
        EnsureTime = clock.Elapsed;
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

    /// <summary>A fresh debian sandbox for one test, removed when the test disposes it.</summary>
    public Task<ISandbox> NewSandboxAsync(string purpose) => Service.GetOrCreateAsync($"test-{purpose}-{Guid.NewGuid():N}"[..40], Token);
}

/// <summary>
/// Runs after the parallel collections, alone: the first build of the image (debootstrap) is the heaviest step of the
/// suite, and the Docker collection's overall timeout should not pay for it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DebianCollectionDefinition : ICollectionFixture<DebianFixture>
{
    public const string Name = "Debian";
}
