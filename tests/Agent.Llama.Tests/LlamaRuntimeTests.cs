using Agent.Llama.Native;
using Agent.TestSupport;

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
