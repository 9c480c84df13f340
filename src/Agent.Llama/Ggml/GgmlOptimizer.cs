using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>
/// Trains the parameters of a ggml graph with AdamW through ggml-opt. Each step calls a graph-building callback with a
/// fresh compute context (the way llama.cpp's own training does), so the graph may be any size up to
/// <see cref="GgmlOptimizerOptions.GraphSize"/>; parameter tensors (<see cref="GgmlTensor.SetParameter"/>) live in a
/// context of yours allocated with <see cref="GgmlContext.AllocateTensors"/> on the same backend, and keep their
/// values between steps. The build callback must produce the same graph structure every step. Not thread-safe.
/// </summary>
public sealed class GgmlOptimizer : IDisposable, IGgmlTensorOwner
{
    private readonly GgmlOptimizerOptions _options;
    private readonly GgmlBackend? _ownedCpu;
    private readonly GgmlScheduler _scheduler;
    private readonly SafeGgmlOptContextHandle _handle;
    private readonly SafeGgmlOptResultHandle _result;
    private readonly GCHandle _self;
    private float _learningRate;
    private long _updates;
    private int _forwardNodes = -1;
    private bool _broken;
    private bool _updatedThisStep;
    private Exception? _callbackError;
    private Dictionary<IntPtr, (IntPtr First, IntPtr Second, IntPtr Gradient)>? _moments;
    private long _backwardSteps;

    /// <summary>Creates an optimizer that computes on <paramref name="backend"/> (a CPU backend is added for a GPU one).</summary>
    /// <exception cref="GgmlBackendException">The scheduler could not be created.</exception>
    public unsafe GgmlOptimizer(GgmlBackend backend, GgmlOptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _learningRate = options.LearningRate;
        GgmlBackend[] backends;
        if (backend.IsCpu)
        {
            backends = [backend];
        }
        else
        {
            _ownedCpu = GgmlBackend.Cpu();
            backends = [backend, _ownedCpu];
        }

        _scheduler = new GgmlScheduler(backends, options.GraphSize);
        _self = GCHandle.Alloc(this);
        var parameters = NativeMethods.ggml_opt_default_params(_scheduler.Handle, (int)options.LossType);
        parameters.opt_period = options.GradientAccumulation;
        parameters.get_opt_pars = &GetOptimizerParams;
        parameters.get_opt_pars_ud = (void*)GCHandle.ToIntPtr(_self);
        parameters.optimizer = 0; // GGML_OPT_OPTIMIZER_TYPE_ADAMW
        _handle = NativeMethods.ggml_opt_init(parameters);
        _handle.KeepAlive(_scheduler.Handle);
        _result = NativeMethods.ggml_opt_result_init();
    }

    /// <summary>The AdamW learning rate of the next update (&gt; 0), unless a schedule is set. Settable between steps.</summary>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = CheckLearningRate(value, nameof(value));
    }

    /// <summary>AdamW updates done so far.</summary>
    public long OptimizerUpdates => _updates;

    /// <summary>The options the optimizer was created with.</summary>
    public GgmlOptimizerOptions Options => _options;

    internal SafeGgmlOptContextHandle Handle => _handle;

    /// <summary>
    /// The AdamW moment tensors (first: m, second: v) of <paramref name="parameter"/>, which ggml-opt keeps in memory of
    /// its own. They exist from the first step that ends in an update; read them with <see cref="GgmlTensor.ToArray{T}"/>
    /// and write them with <see cref="GgmlTensor.SetData{T}(T[])"/> (e.g. to checkpoint and restore a run). Valid while
    /// the optimizer lives.
    /// </summary>
    /// <returns>False before the first update, or when <paramref name="parameter"/> is not a trained parameter.</returns>
    public bool TryGetMoments(GgmlTensor parameter, out GgmlTensor first, out GgmlTensor second)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (_moments is not null && _moments.TryGetValue(parameter.Pointer, out var found))
        {
            first = new GgmlTensor(found.First, this);
            second = new GgmlTensor(found.Second, this);
            return true;
        }

        first = default;
        second = default;
        return false;
    }

    /// <summary>
    /// One training step: builds the graph with <paramref name="build"/>, lets <paramref name="setInputs"/> write the
    /// inputs and labels, computes forward and backward passes and, every <see cref="GgmlOptimizerOptions.GradientAccumulation"/>
    /// steps, an AdamW update of the parameters.
    /// </summary>
    /// <exception cref="GgmlShapeException">The outputs do not suit the loss.</exception>
    /// <exception cref="GgmlCapacityException">The graph is too large for <see cref="GgmlOptimizerOptions.GraphSize"/>.</exception>
    /// <exception cref="InvalidOperationException">A parameter has no memory, there is no parameter, or the graph changed shape.</exception>
    public GgmlStepResult Train(Func<GgmlContext, GgmlForward> build, Action<GgmlOptimizerBatch> setInputs) => Step(build, setInputs, backward: true);

    /// <summary>
    /// A training step as <see cref="Train(Func{GgmlContext, GgmlForward}, Action{GgmlOptimizerBatch})"/>, then
    /// <paramref name="readOutputs"/> while the step's tensors still exist: read there any tensor of the graph marked with
    /// <see cref="GgmlTensor.SetOutput"/> (for example the parts of a loss built of several terms).
    /// </summary>
    public GgmlStepResult Train(Func<GgmlContext, GgmlForward> build, Action<GgmlOptimizerBatch> setInputs, Action readOutputs)
    {
        ArgumentNullException.ThrowIfNull(readOutputs);
        return Step(build, setInputs, backward: true, readOutputs);
    }

    /// <summary>A forward pass only, then <paramref name="readOutputs"/> while the step's tensors still exist.</summary>
    public GgmlStepResult Evaluate(Func<GgmlContext, GgmlForward> build, Action<GgmlOptimizerBatch> setInputs, Action readOutputs)
    {
        ArgumentNullException.ThrowIfNull(readOutputs);
        return Step(build, setInputs, backward: false, readOutputs);
    }

    /// <summary>One training step on batch <paramref name="batchIndex"/> of <paramref name="dataset"/>.</summary>
    public GgmlStepResult Train(Func<GgmlContext, GgmlForward> build, GgmlOptDataset dataset, long batchIndex)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Step(build, b => dataset.GetBatch(b.Inputs, b.Labels, batchIndex), backward: true);
    }

    /// <summary>A forward pass only: the loss (and accuracy) of a batch, parameters unchanged.</summary>
    public GgmlStepResult Evaluate(Func<GgmlContext, GgmlForward> build, Action<GgmlOptimizerBatch> setInputs) => Step(build, setInputs, backward: false);

    /// <summary>A forward pass only on batch <paramref name="batchIndex"/> of <paramref name="dataset"/>.</summary>
    public GgmlStepResult Evaluate(Func<GgmlContext, GgmlForward> build, GgmlOptDataset dataset, long batchIndex)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Step(build, b => dataset.GetBatch(b.Inputs, b.Labels, batchIndex), backward: false);
    }

    /// <summary>Frees the optimizer state (moments, gradient accumulators) and the scheduler.</summary>
    public void Dispose()
    {
        _result.Dispose();
        _handle.Dispose();
        _scheduler.Dispose();
        _ownedCpu?.Dispose();
        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }

    internal static float CheckLearningRate(float value, string name) =>
        value > 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, "The learning rate must be finite and > 0 (ggml aborts on 0).");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe GgmlOptOptimizerParams GetOptimizerParams(void* userData)
    {
        // Runs inside ggml_opt_eval: nothing may escape, and every value must pass ggml's asserts.
        var safe = new GgmlOptOptimizerParams
        {
            adamw_alpha = 1e-3f, adamw_beta1 = 0.9f, adamw_beta2 = 0.999f, adamw_eps = 1e-8f, adamw_wd = 0f, sgd_alpha = 1e-3f, sgd_wd = 0f,
        };
        try
        {
            if (GCHandle.FromIntPtr((IntPtr)userData).Target is GgmlOptimizer self)
            {
                return self.NextParameters();
            }
        }
#pragma warning disable CA1031 // nothing may escape into native code
        catch
#pragma warning restore CA1031
        {
        }

        return safe;
    }

    private GgmlOptOptimizerParams NextParameters()
    {
        var lr = _learningRate;
        if (_options.LearningRateSchedule is { } schedule)
        {
            try
            {
                var scheduled = schedule(_updates);
                if (scheduled > 0f && float.IsFinite(scheduled))
                {
                    lr = scheduled;
                }
                else
                {
                    _callbackError ??= new ArgumentOutOfRangeException(
                        nameof(GgmlOptimizerOptions.LearningRateSchedule), scheduled, $"The schedule returned {scheduled} for update {_updates}; it must be finite and > 0. That update used {lr}.");
                }
            }
#pragma warning disable CA1031 // captured and rethrown after the native call returns
            catch (Exception e)
#pragma warning restore CA1031
            {
                _callbackError ??= e;
            }
        }

        _updates++;
        _updatedThisStep = true;
        return new GgmlOptOptimizerParams
        {
            adamw_alpha = lr,
            adamw_beta1 = _options.Beta1,
            adamw_beta2 = _options.Beta2,
            adamw_eps = _options.Epsilon,
            adamw_wd = _options.WeightDecay,
            sgd_alpha = lr,
            sgd_wd = _options.WeightDecay,
        };
    }

    private unsafe GgmlStepResult Step(Func<GgmlContext, GgmlForward> build, Action<GgmlOptimizerBatch> setInputs, bool backward, Action? readOutputs = null)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(setInputs);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (_broken)
        {
            throw new InvalidOperationException("A previous step failed after ggml-opt had allocated its graph; ggml-opt cannot recover from that. Create a new GgmlOptimizer.");
        }

        var size = _options.GraphSize;
        var bytes = (4L * size * (long)NativeMethods.ggml_tensor_overhead()) + (3L * (long)NativeMethods.ggml_graph_overhead_custom((nuint)size, grads: true));
        using var compute = new GgmlContext(bytes);
        var forward = build(compute);
        var inputs = forward.Inputs.Pointer;
        var outputs = forward.Outputs.Pointer;
        GgmlChecks.RequireType("GgmlOptimizer", "outputs", outputs, GgmlType.F32);
        if (_options.LossType == GgmlLossType.CrossEntropy && !GgmlChecks.IsContiguous(outputs))
        {
            throw new GgmlShapeException($"GgmlOptimizer: outputs {GgmlChecks.Named(outputs)} must be contiguous for cross-entropy.");
        }

        var graph = compute.NewGraph(size, gradients: false);
        graph.BuildForwardExpand(forward.Outputs);
        var nodes = graph.NodeCount;
        CheckParameters(graph, outputs, backward);

        // ggml-opt adds up to 8 loss / prediction nodes; the backward graphs then roughly triple that and add one
        // update per parameter. Overflowing them aborts the process, so refuse early with room to spare.
        if (4 * (nodes + 8) > size)
        {
            throw new GgmlCapacityException(
                $"The forward graph has {nodes} nodes; its backward graphs need about {4 * (nodes + 8)}, more than GraphSize {size}. Set GgmlOptimizerOptions.GraphSize higher.");
        }

        if (_forwardNodes >= 0 && nodes != _forwardNodes)
        {
            throw new InvalidOperationException($"The build callback made {nodes} forward nodes; the first step made {_forwardNodes}. ggml-opt keeps per-node state, so the graph must be the same every step.");
        }

        _forwardNodes = nodes;
        NativeMethods.ggml_opt_prepare_alloc(_handle, compute.Pointer, graph.Pointer, inputs, outputs);
        NativeMethods.ggml_opt_alloc(_handle, backward);
        if (backward)
        {
            _moments ??= FindMoments(compute);
            if (_moments is not null && _backwardSteps % _options.GradientAccumulation == 0)
            {
                // ggml-opt's graphs built through ggml_opt_prepare_alloc always accumulate parameter gradients in
                // persistent tensors, but it zeroes them only between windows when opt_period > 1: with opt_period 1
                // every update would use the sum of all gradients so far. Zero them where each window starts.
                foreach (var (_, (_, _, gradient)) in _moments)
                {
                    NativeMethods.ggml_backend_tensor_memset(gradient, 0, 0, NativeMethods.ggml_nbytes(gradient));
                }
            }

            _backwardSteps++;
        }
        try
        {
            var labels = NativeMethods.ggml_opt_labels(_handle);
            setInputs(new GgmlOptimizerBatch(forward.Inputs, forward.Outputs, labels == IntPtr.Zero ? default : compute.Wrap(labels)));
        }
        catch
        {
            _broken = true;
            throw;
        }

        NativeMethods.ggml_opt_result_reset(_result);
        _updatedThisStep = false;
        _callbackError = null;
        NativeMethods.ggml_opt_eval(_handle, _result.Pointer);
        if (_callbackError is { } error)
        {
            _callbackError = null;
            ExceptionDispatchInfo.Throw(error);
        }

        readOutputs?.Invoke();
        double loss, unc, accuracy;
        NativeMethods.ggml_opt_result_loss(_result, &loss, &unc);
        NativeMethods.ggml_opt_result_accuracy(_result, &accuracy, &unc);
        return new GgmlStepResult(loss, accuracy, _updatedThisStep);
    }

    void IGgmlTensorOwner.ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);

    // ggml-opt builds one opt_step_adamw(param, grad, m, v, params) node per parameter into the compute context and
    // names m "AdamW m for <param>"; m, v and the gradient accumulator live in ggml-opt's static buffer for the
    // optimizer's lifetime.
    private static Dictionary<IntPtr, (IntPtr First, IntPtr Second, IntPtr Gradient)>? FindMoments(GgmlContext compute)
    {
        var found = new Dictionary<IntPtr, (IntPtr, IntPtr, IntPtr)>();
        foreach (var tensor in compute.Tensors)
        {
            var p = tensor.Pointer;
            IntPtr param = GgmlTensorLayout.ReadSrc(p, 0), m = GgmlTensorLayout.ReadSrc(p, 2), v = GgmlTensorLayout.ReadSrc(p, 3);
            if (param == IntPtr.Zero || m == IntPtr.Zero || v == IntPtr.Zero)
            {
                continue;
            }

            var name = Marshal.PtrToStringUTF8(NativeMethods.ggml_get_name(m)) ?? string.Empty;
            if (name.StartsWith("AdamW m for ", StringComparison.Ordinal))
            {
                // src[1] is the gradient: the accumulator itself or an in-place add viewing it.
                var gradient = GgmlTensorLayout.ReadSrc(p, 1);
                var root = GgmlTensorLayout.ReadViewSrc(gradient);
                found[param] = (m, v, root == IntPtr.Zero ? gradient : root);
            }
        }

        return found.Count > 0 ? found : null;
    }

    private static void CheckParameters(GgmlGraph graph, IntPtr outputs, bool backward)
    {
        var parameters = 0;
        for (var i = 0; i < graph.NodeCount; i++)
        {
            var node = graph.Node(i);
            if (!node.IsParameter)
            {
                continue;
            }

            parameters++;
            if (!node.IsAllocated)
            {
                throw new InvalidOperationException(
                    $"Parameter '{node.Name}' has no memory: create it in a GgmlContext of its own and call AllocateTensors on the optimizer's backend before training.");
            }
        }

        if (backward && parameters == 0)
        {
            throw new InvalidOperationException($"The graph of {GgmlChecks.Named(outputs)} has no parameter to train; mark the weights with SetParameter.");
        }
    }
}
