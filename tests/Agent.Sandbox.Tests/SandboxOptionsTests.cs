using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.Sandbox.Tests;

public sealed class SandboxOptionsTests
{
    [Fact]
    public void Validate_Defaults_NoProblems() => Assert.Empty(new SandboxOptions().Validate());

    [Theory]
    [InlineData("User", "0", "Sandbox:User")]
    [InlineData("User", "root", "Sandbox:User")]
    [InlineData("NetworkMode", "host", "Sandbox:NetworkMode")]
    [InlineData("NetworkMode", "container:abc", "Sandbox:NetworkMode")]
    [InlineData("NetworkMode", "HOST", "Sandbox:NetworkMode")]
    [InlineData("NetworkMode", "Bridge", "Sandbox:NetworkMode")]
    [InlineData("NetworkMode", "Container:abc", "Sandbox:NetworkMode")]
    [InlineData("NetworkMode", "none ", "Sandbox:NetworkMode")]
    [InlineData("NetworkMode", "NONE", "Sandbox:NetworkMode")]
    [InlineData("PidsLimit", "0", "Sandbox:PidsLimit")]
    [InlineData("RootBuildTimeoutSeconds", "5", "Sandbox:RootBuildTimeoutSeconds")]
    [InlineData("MemorySwapLimitMiB", "10", "Sandbox:MemorySwapLimitMiB")]
    [InlineData("ApiVersion", "1.24", "Sandbox:ApiVersion")]
    [InlineData("WorkspacePath", "/workspace/../etc", "Sandbox:WorkspacePath")]
    [InlineData("DockerEndpoint", "not a uri", "Sandbox:DockerEndpoint")]
    public void Resolve_BadValue_FailsNamingTheKey(string key, string value, string expectedKey)
    {
        var settings = new Dictionary<string, string?> { [$"Sandbox:{key}"] = value };
        using var provider = DockerFixture.BuildProvider(settings);
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SandboxOptions>>().Value);
        Assert.Contains(expectedKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ReadOnlyMountOfDockerSocketOrIntoWorkspace_Refused()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sandbox:ReadOnlyMounts:0:HostPath"] = "/etc",
            ["Sandbox:ReadOnlyMounts:0:ContainerPath"] = "/workspace/etc",
            ["Sandbox:ReadOnlyMounts:1:HostPath"] = "/does/not/exist",
            ["Sandbox:ReadOnlyMounts:1:ContainerPath"] = "/data",
        };
        using var provider = DockerFixture.BuildProvider(settings);
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SandboxOptions>>().Value);
        Assert.Contains("Sandbox:ReadOnlyMounts:0:ContainerPath", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sandbox:ReadOnlyMounts:1:HostPath", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Proves a read-only mount of a folder that holds the engine's socket is refused, by its own path or the one a link leads to (/var/run is /run).</summary>
    [Theory]
    [InlineData("/run")]
    [InlineData("/var/run")]
    public void Resolve_ReadOnlyMountHoldingEngineSocket_Refused(string hostPath)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Sandbox:ReadOnlyMounts:0:HostPath"] = hostPath, ["Sandbox:ReadOnlyMounts:0:ContainerPath"] = "/data" }));
        Assert.Contains("Sandbox:ReadOnlyMounts:0:HostPath", error.Message, StringComparison.Ordinal);
        Assert.Contains("docker.sock", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_ReadOnlyMountThroughLinkToRun_Refused()
    {
        var link = Path.Combine(Path.GetTempPath(), "agent-run-link-" + Guid.NewGuid().ToString("N")[..8]);
        File.CreateSymbolicLink(link, "/run");
        try
        {
            var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Sandbox:ReadOnlyMounts:0:HostPath"] = link, ["Sandbox:ReadOnlyMounts:0:ContainerPath"] = "/data" }));
            Assert.Contains("Sandbox:ReadOnlyMounts:0:HostPath", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(link);
        }
    }

    /// <summary>Proves the socket of a configured endpoint (Sandbox:DockerEndpoint) counts, not just the default paths; a folder without it is accepted.</summary>
    [Fact]
    public void Resolve_ReadOnlyMountHoldingConfiguredEndpointSocket_RefusedOtherFolderAccepted()
    {
        var engine = Directory.CreateTempSubdirectory("agent-engine-");
        var other = Directory.CreateTempSubdirectory("agent-data-");
        try
        {
            var endpoint = "unix://" + Path.Combine(engine.FullName, "engine.sock");
            var error = Assert.Throws<OptionsValidationException>(() => Resolve(new()
            {
                ["Sandbox:DockerEndpoint"] = endpoint,
                ["Sandbox:ReadOnlyMounts:0:HostPath"] = engine.FullName,
                ["Sandbox:ReadOnlyMounts:0:ContainerPath"] = "/engine",
            }));
            Assert.Contains("Sandbox:ReadOnlyMounts:0:HostPath", error.Message, StringComparison.Ordinal);
            var accepted = Resolve(new()
            {
                ["Sandbox:DockerEndpoint"] = endpoint,
                ["Sandbox:ReadOnlyMounts:0:HostPath"] = other.FullName,
                ["Sandbox:ReadOnlyMounts:0:ContainerPath"] = "/data",
            });
            Assert.Equal(other.FullName, accepted.ReadOnlyMounts[0].HostPath);
        }
        finally
        {
            engine.Delete(recursive: true);
            other.Delete(recursive: true);
        }
    }

    /// <summary>Proves a sandbox group that owns the engine's socket (the docker group) is refused, as are root's group and a bare uid (whose group Docker takes from the image, root's when the image does not know it).</summary>
    [Fact]
    public void Resolve_UserInGroupOfEngineSocketOrRootGroup_Refused()
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-L", "-c", "%g", "/var/run/docker.sock"]) { RedirectStandardOutput = true })!;
        var socketGroup = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        Assert.True(stat.ExitCode == 0 && socketGroup.Length > 0, "the test needs the engine's socket at /var/run/docker.sock (scripts/docker-up.sh)");
        foreach (var user in new[] { "1000:" + socketGroup, "1000:0", "1000" })
        {
            var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { ["Sandbox:User"] = user }));
            Assert.Contains("Sandbox:User", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Resolve_RepositoryAppsettings_Valid()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "appsettings.json")) || !File.Exists(Path.Combine(root, "Agent.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(root, "appsettings.json")).Build();
        using var provider = new ServiceCollection().AddSandboxes(configuration).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<SandboxOptions>>().Value;
        Assert.Equal("none", options.NetworkMode);
        Assert.True(options.ReadOnlyRootFilesystem);
    }

    private static SandboxOptions Resolve(Dictionary<string, string?> settings)
    {
        using var provider = DockerFixture.BuildProvider(settings);
        return provider.GetRequiredService<IOptions<SandboxOptions>>().Value;
    }
}
