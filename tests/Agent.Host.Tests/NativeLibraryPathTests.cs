namespace Agent.Host.Tests;

/// <summary>Llama:NativeLibraryPath at libraries of another llama.cpp build is refused at start with a message, never a crash.</summary>
[Collection(HostCollectionDefinition.Name)]
public sealed class NativeLibraryPathTests
{
    [Fact]
    public async Task Info_NativeLibraryPathLacksLlamaFunctions_Exits2NamingTheKey()
    {
        // A folder that looks like a llama.cpp build but whose libllama.so exports none of llama.h (a copy of libggml.so),
        // as a build of another commit lacks the functions whose signature changed.
        var source = Directory.GetDirectories(Path.Combine(Path.GetDirectoryName(AgentProcess.Executable)!, "native", "cpu")).Order(StringComparer.Ordinal).First();
        var folder = Directory.CreateTempSubdirectory("agent-native-").FullName;
        try
        {
            foreach (var name in new[] { "libggml-base.so", "libggml.so", "libggml-cpu.so" })
            {
                File.Copy(Path.Combine(source, name), Path.Combine(folder, name));
            }

            File.Copy(Path.Combine(source, "libggml.so"), Path.Combine(folder, "libllama.so"));
            var settings = TestSettings.Create();

            var result = await AgentProcess.RunAsync(settings, "info", "--set", $"Llama:NativeLibraryPath={folder}");

            Assert.True(result.ExitCode == 2, result.ToString());
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(folder, line, StringComparison.Ordinal);
            Assert.Matches(@"they lack \d+ function\(s\) this build calls \(llama_", line);
            Assert.Contains("c0c7e147", line, StringComparison.Ordinal);
            Assert.Contains("Llama:NativeLibraryPath", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
