using System.Diagnostics;
using System.Text.Json;

namespace Agent.Host.Tests.Commands;

/// <summary>
/// <c>agent info --json</c> from a deployed folder: what <c>dotnet publish</c> gives (simulated by copying the build output,
/// with its appsettings.json, outside the checkout and adding models/ as publish does), run with neither AGENT_CONFIG nor
/// ./appsettings.json, finds the configuration and the model beside the program, never the checkout's.
/// </summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class InfoCommandTests
{
    [Fact]
    public async Task Info_CopiedOutputOutsideTheCheckoutNoConfigNamed_UsesTheConfigAndModelBesideTheProgram()
    {
        var root = Path.Combine(Path.GetTempPath(), "agent-host-tests", "published-" + Guid.NewGuid().ToString("N")[..8]);
        var published = Path.Combine(root, "app");
        var elsewhere = Directory.CreateDirectory(Path.Combine(root, "cwd")).FullName;
        try
        {
            Copy(Path.GetDirectoryName(AgentProcess.Executable)!, published);
            Directory.CreateDirectory(Path.Combine(published, "models"));
            // Not the checkout's model, so the answer shows which one was found.
            File.Copy(Agent.TestSupport.TinyModel.DefaultPath, Path.Combine(published, "models", "agent-default.gguf"));
            var start = new ProcessStartInfo(Path.Combine(published, "agent"), ["info", "--json", "--model", "default"])
            {
                WorkingDirectory = elsewhere,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("AGENT_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(key);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(timeout.Token);

            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
            using var info = JsonDocument.Parse(await stdout);
            Assert.Equal(Path.Combine(published, "appsettings.json"), info.RootElement.GetProperty("settings").GetString());
            var model = info.RootElement.GetProperty("model").GetProperty("path").GetString()!;
            Assert.Equal(Path.Combine(published, "models", "agent-default.gguf"), model);
            Assert.DoesNotContain(TestSettings.RepoRoot.TrimEnd('/'), await stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Copy(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            // File.Copy keeps the Unix mode, so the apphost stays executable.
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
