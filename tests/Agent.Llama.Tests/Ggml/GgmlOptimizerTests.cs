using Agent.Llama.Ggml;

namespace Agent.Llama.Tests.Ggml;

/// <summary>A real ggml-opt AdamW training of a tiny classifier on the CPU backend.</summary>
public class GgmlOptimizerTests
{
    private const int Features = 2;
    private const int Hidden = 16;
    private const int Classes = 3;
    private const int Batch = 32;
    private const int Datapoints = 96;

    public GgmlOptimizerTests() => LlamaRuntime.EnsureInitialized();

    [Fact]
    public void Train_ThreeClusters_LossDropsAndEveryParameterChanges()
    {
        using var backend = GgmlBackend.Cpu(2);
        using var model = new Model(backend);
        using var dataset = Clusters();
        var updates = new List<long>();
        using var optimizer = new GgmlOptimizer(backend, new GgmlOptimizerOptions
        {
            LossType = GgmlLossType.CrossEntropy,
            GraphSize = 512,
            LearningRateSchedule = step =>
            {
                updates.Add(step);
                return 0.05f * MathF.Min(1f, (step + 1) / 10f); // linear warm-up over 10 updates
            },
        });
        var before = model.Snapshot();

        var first = optimizer.Evaluate(model.Build, dataset, 0);
        GgmlStepResult last = default;
        for (var epoch = 0; epoch < 40; epoch++)
        {
            dataset.Shuffle(optimizer);
            for (var b = 0; b < Datapoints / Batch; b++)
            {
                last = optimizer.Train(model.Build, dataset, b);
                Assert.True(last.OptimizerUpdated);
            }
        }

        var final = optimizer.Evaluate(model.Build, dataset, 0);
        Assert.InRange(first.Loss, 0.5, 5);
        Assert.True(final.Loss < first.Loss / 10, $"loss {first.Loss} -> {final.Loss}");
        Assert.True(final.Accuracy > 0.95, $"accuracy {final.Accuracy}");
        Assert.Equal(120, optimizer.OptimizerUpdates);
        Assert.Equal(Enumerable.Range(0, 120).Select(i => (long)i), updates);
        var after = model.Snapshot();
        for (var i = 0; i < before.Length; i++)
        {
            Assert.NotEqual(before[i], after[i]);
        }
    }

    [Fact]
    public void Train_GradientAccumulation_UpdatesEveryNthStep()
    {
        using var backend = GgmlBackend.Cpu(1);
        using var model = new Model(backend);
        using var dataset = Clusters();
        using var optimizer = new GgmlOptimizer(backend, new GgmlOptimizerOptions { GradientAccumulation = 3, GraphSize = 512, LearningRate = 0.01f });
        var w = model.Snapshot()[0];

        Assert.False(optimizer.Train(model.Build, dataset, 0).OptimizerUpdated);
        Assert.False(optimizer.Train(model.Build, dataset, 1).OptimizerUpdated);
        Assert.Equal(w, model.Snapshot()[0]);
        Assert.True(optimizer.Train(model.Build, dataset, 2).OptimizerUpdated);
        Assert.NotEqual(w, model.Snapshot()[0]);
        Assert.Equal(1, optimizer.OptimizerUpdates);
    }

    [Fact]
    public void Train_SameBatchTwice_EachUpdateUsesOnlyItsOwnGradient()
    {
        // AdamW with beta1 = beta2 = 0, eps = 1, lr = 1 moves w by -g / (|g| + 1): the step reveals the gradient it used.
        // ggml-opt accumulates gradients in persistent tensors; if they were not zeroed per update, the second step
        // from the same weights on the same batch would use 2g.
        using var backend = GgmlBackend.Cpu(1);
        using var model = new Model(backend);
        using var dataset = Clusters();
        using var optimizer = new GgmlOptimizer(backend, new GgmlOptimizerOptions { GraphSize = 512, LearningRate = 1f, Beta1 = 0f, Beta2 = 0f, Epsilon = 1f });
        var start = model.Snapshot();
        var revealed = new List<float[]>();
        for (var step = 0; step < 3; step++)
        {
            optimizer.Train(model.Build, dataset, 0);
            var after = model.Snapshot()[2];
            revealed.Add(start[2].Select((w, i) => w - after[i]).ToArray());
            model.Restore(start);
        }

        Assert.Contains(revealed[0], r => Math.Abs(r) > 1e-3f);
        Assert.Equal(revealed[0], revealed[1]);
        Assert.Equal(revealed[0], revealed[2]);
    }

    [Fact]
    public void TryGetMoments_BeforeAndAfterAnUpdate_FindsEachParametersMomentsOnlyAfter()
    {
        using var backend = GgmlBackend.Cpu(1);
        using var model = new Model(backend);
        using var dataset = Clusters();
        using var optimizer = new GgmlOptimizer(backend, new GgmlOptimizerOptions { GraphSize = 512, LearningRate = 0.01f });
        Assert.False(optimizer.TryGetMoments(model.W2, out _, out _));
        optimizer.Train(model.Build, dataset, 0);

        Assert.True(optimizer.TryGetMoments(model.W2, out var m, out var v));
        Assert.Equal(model.W2.ElementCount, m.ElementCount);
        Assert.Contains(m.ToArray<float>(), x => x != 0f);
        Assert.All(v.ToArray<float>(), x => Assert.True(x >= 0f));
        var zeros = new float[m.ElementCount];
        m.SetData(zeros);
        Assert.Equal(zeros, m.ToArray<float>());
    }

    [Fact]
    public void Train_ScheduleThrows_StepRethrowsAfterNativeCall()
    {
        using var backend = GgmlBackend.Cpu(1);
        using var model = new Model(backend);
        using var dataset = Clusters();
        using var optimizer = new GgmlOptimizer(backend, new GgmlOptimizerOptions
        {
            GraphSize = 512,
            LearningRateSchedule = step => step == 0 ? throw new InvalidOperationException("schedule broke") : 0.01f,
        });

        var e = Assert.Throws<InvalidOperationException>(() => optimizer.Train(model.Build, dataset, 0));
        Assert.Equal("schedule broke", e.Message);
        Assert.True(optimizer.Train(model.Build, dataset, 1).OptimizerUpdated); // still usable
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = 0f);
    }

    [Fact]
    public void Train_GraphTooLargeOrNoParameters_ThrowsBeforeNativeCall()
    {
        using var backend = GgmlBackend.Cpu(1);
        using var model = new Model(backend);
        using var dataset = Clusters();
        using var small = new GgmlOptimizer(backend, new GgmlOptimizerOptions { GraphSize = 64 });
        Assert.Throws<GgmlCapacityException>(() => small.Train(model.Build, dataset, 0));

        using var optimizer = new GgmlOptimizer(backend, new GgmlOptimizerOptions { GraphSize = 512 });
        Assert.Throws<InvalidOperationException>(() => optimizer.Train(
            ctx =>
            {
                var x = ctx.NewTensor(GgmlType.F32, Features, Batch);
                var constant = ctx.NewTensor(GgmlType.F32, Features, Classes); // not a parameter
                return new GgmlForward(x, ctx.MulMat(constant, x));
            },
            dataset,
            0));
    }

    private static GgmlOptDataset Clusters()
    {
        var dataset = new GgmlOptDataset(GgmlType.F32, GgmlType.F32, Features, Classes, Datapoints);
        var data = new float[Features * Datapoints];
        var labels = new float[Classes * Datapoints];
        var random = new Random(7);
        (float X, float Y)[] centres = [(2, 0), (-1, 1.7f), (-1, -1.7f)];
        for (var i = 0; i < Datapoints; i++)
        {
            var c = i % Classes;
            data[i * Features] = centres[c].X + (float)((random.NextDouble() - 0.5) * 0.8);
            data[(i * Features) + 1] = centres[c].Y + (float)((random.NextDouble() - 0.5) * 0.8);
            labels[(i * Classes) + c] = 1f;
        }

        dataset.Data.SetData(data);
        dataset.Labels.SetData(labels);
        return dataset;
    }

    /// <summary>logits = W2 · silu(W1 · x + b1) + b2, parameters in a context allocated on the backend.</summary>
    private sealed class Model : IDisposable
    {
        private readonly GgmlContext _parameters = new(4);
        private readonly GgmlTensor _w1;
        private readonly GgmlTensor _b1;
        private readonly GgmlTensor _w2;
        private readonly GgmlTensor _b2;

        public Model(GgmlBackend backend)
        {
            _w1 = _parameters.NewTensor(GgmlType.F32, Features, Hidden).SetName("w1").SetParameter();
            _b1 = _parameters.NewTensor(GgmlType.F32, Hidden).SetName("b1").SetParameter();
            _w2 = _parameters.NewTensor(GgmlType.F32, Hidden, Classes).SetName("w2").SetParameter();
            _b2 = _parameters.NewTensor(GgmlType.F32, Classes).SetName("b2").SetParameter();
            _parameters.AllocateTensors(backend);
            var random = new Random(1);
            foreach (var t in new[] { _w1, _b1, _w2, _b2 })
            {
                t.SetData(Enumerable.Range(0, (int)t.ElementCount).Select(_ => (float)((random.NextDouble() - 0.5) * 0.5)).ToArray());
            }
        }

        public GgmlForward Build(GgmlContext ctx)
        {
            var x = ctx.NewTensor(GgmlType.F32, Features, Batch).SetName("x").SetInput();
            var h = ctx.Silu(ctx.Add(ctx.MulMat(_w1, x), _b1));
            var logits = ctx.Add(ctx.MulMat(_w2, h), _b2).SetName("logits");
            return new GgmlForward(x, logits);
        }

        public GgmlTensor W2 => _w2;

        public void Restore(float[][] values)
        {
            _w1.SetData(values[0]);
            _b1.SetData(values[1]);
            _w2.SetData(values[2]);
            _b2.SetData(values[3]);
        }

        public float[][] Snapshot() => [_w1.ToArray<float>(), _b1.ToArray<float>(), _w2.ToArray<float>(), _b2.ToArray<float>()];

        public void Dispose() => _parameters.Dispose();
    }
}
