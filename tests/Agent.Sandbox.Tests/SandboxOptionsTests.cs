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
    [InlineData("PidsLimit", "0", "Sandbox:PidsLimit")]
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
}
