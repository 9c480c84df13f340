using Agent.Llama.Ggml;

namespace Agent.Llama.Tests.Ggml;

public class GgmlBackendTests
{
    public GgmlBackendTests() => LlamaRuntime.EnsureInitialized();

    [Fact]
    public void SetThreads_CpuBackend_TakesEffectAndComputesTheSame()
    {
        using var backend = GgmlBackend.Cpu(1);
        Assert.True(backend.IsCpu);
        Assert.Equal(1, backend.Threads);

        var x = Enumerable.Range(0, 64 * 32).Select(i => MathF.Sin(i)).ToArray();
        float[] Run()
        {
            using var ctx = new GgmlContext(8, 1, 16);
            var a = ctx.NewTensor(GgmlType.F32, 64, 32);
            var y = ctx.MulMat(a, a);
            var graph = ctx.NewGraph(16);
            graph.BuildForwardExpand(y);
            ctx.AllocateTensors(backend);
            a.SetData(x);
            backend.Compute(graph);
            return y.ToArray<float>();
        }

        var one = Run();
        backend.SetThreads(2);
        Assert.Equal(2, backend.Threads);
        var two = Run();
        Assert.Equal(one, two);
        Assert.Throws<ArgumentOutOfRangeException>(() => backend.SetThreads(0));
    }

    [Fact]
    public void Compute_TensorsNotAllocated_ThrowsInsteadOfCrashing()
    {
        using var backend = GgmlBackend.Cpu(1);
        using var ctx = new GgmlContext(8, 1, 16);
        var a = ctx.NewTensor(GgmlType.F32, 4);
        var graph = ctx.NewGraph(16);
        graph.BuildForwardExpand(ctx.Scale(a, 2));

        Assert.Throws<InvalidOperationException>(() => backend.Compute(graph));
        Assert.Throws<InvalidOperationException>(() => a.SetData(new float[4]));
    }

    [Fact]
    public void Scheduler_AllocatesIntermediates_AndComputes()
    {
        using var backend = GgmlBackend.Cpu(2);
        using var weights = new GgmlContext(2);
        var w = weights.NewTensor(GgmlType.F32, 3);
        weights.AllocateTensors(backend);
        w.SetData([1f, 2f, 3f]);

        using var scheduler = new GgmlScheduler([backend], 64);
        using var ctx = new GgmlContext(8, 1, 64);
        var x = ctx.NewTensor(GgmlType.F32, 3, 2).SetInput();
        var y = ctx.Mul(x, w).SetOutput();
        var graph = ctx.NewGraph(64);
        graph.BuildForwardExpand(y);
        scheduler.Allocate(graph);
        x.SetData([1f, 1f, 1f, 2f, 2f, 2f]);
        scheduler.Compute(graph);

        Assert.Equal([1f, 2f, 3f, 2f, 4f, 6f], y.ToArray<float>());
    }

    [Fact]
    public void Cuda_WithoutGpu_ThrowsBackendExceptionNamingTheFix()
    {
        if (GgmlBackend.GpuDeviceCount > 0)
        {
            using var gpu = GgmlBackend.Cuda(0);
            Assert.False(gpu.IsCpu);
            Assert.Throws<NotSupportedException>(() => gpu.SetThreads(2));
            return;
        }

        var e = Assert.Throws<GgmlBackendException>(() => GgmlBackend.Cuda(0));
        Assert.Contains("GgmlBackend.Cpu", e.Message, StringComparison.Ordinal);
        using var best = GgmlBackend.Best(1);
        Assert.True(best.IsCpu);
    }
}
