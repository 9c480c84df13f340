using Agent.Llama.Native;
using System.Runtime.InteropServices;
using Agent.TestSupport;
using LLama.Native;

namespace Agent.Llama.Tests;

public class LlamaRuntimeTests
{
    [Fact]
    public void Initialize_DefaultCpu_LoadsLibrariesBackendsAndCpuDevice()
    {
        var info = LlamaRuntime.Initialize(new LlamaOptions());

        Assert.Equal("cpu", info.Backend);
        Assert.Contains(info.Devices, d => d.Kind == "cpu");
        Assert.Contains("CPU", info.Backends);
        Assert.Contains("CPU", info.SystemInfo, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "native", "cpu", info.CpuVariant!, "libllama.so"), info.Libraries["llama"]);
        Assert.True(CpuVariant.IsSupported(info.CpuVariant!));
        Assert.Equal(CpuVariant.BestFirst.First(CpuVariant.IsSupported), info.CpuVariant);
        Assert.True(File.Exists(info.Libraries["ggml-base"]));
    }

    [Fact]
    public void Initialize_LLamaSharp_UsesTheFileOurResolverChose()
    {
        var info = LlamaRuntime.Initialize(new LlamaOptions());

        // What LLamaSharp says it loaded, and what the process has mapped: one libllama, the one our resolver checked.
        var library = NativeApi.GetLoadedNativeLibrary(NativeLibraryName.LLama);
        Assert.IsType<NativeLibraryFromPath>(library);
        Assert.Equal([info.Libraries["llama"]], library.Prepare(new SystemInfo(OSPlatform.Linux, 0, string.Empty), null));
        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 6 && Path.GetFileName(parts[5].Trim()).StartsWith("libllama", StringComparison.Ordinal))
            .Select(parts => parts[5].Trim())
            .Distinct(StringComparer.Ordinal);
        Assert.Equal([info.Libraries["llama"]], mapped);
    }

    [Fact]
    public void Initialize_SecondCall_ReturnsSameInfo()
    {
        var first = LlamaRuntime.Initialize(new LlamaOptions());
        var second = LlamaRuntime.Initialize(new LlamaOptions());
        Assert.Same(first, second);
    }

    [GpuFact]
    public void AgentInfo_CudaBackend_ListsGpuDevice()
    {
        // llama.cpp loads once per process and this process loaded the CPU build, so the CUDA check runs `agent info` as a child.
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Agent.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("Agent.sln not found above the test folder.");
        }

        var startInfo = new System.Diagnostics.ProcessStartInfo("dotnet", ["run", "--project", Path.Combine(root, "src", "Agent.Host"), "-p:LlamaBackends=cpu%3Bcuda", "--", "info", "--json", "--set", "Llama:Backend=cuda"])
        {
            RedirectStandardOutput = true,
            WorkingDirectory = root,
        };
        using var process = System.Diagnostics.Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(0, process.ExitCode);
        Assert.Contains("\"kind\":\"gpu\"", output, StringComparison.Ordinal);
    }
}
