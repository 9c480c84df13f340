using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>
/// A <c>ggml_opt_dataset</c>: <see cref="Count"/> datapoints of <see cref="ElementsPerDatapoint"/> elements and, optionally,
/// labels of <see cref="ElementsPerLabel"/> elements, held in CPU memory and copied batch by batch into a graph's inputs.
/// </summary>
public sealed class GgmlOptDataset : IDisposable, IGgmlTensorOwner
{
    private readonly SafeGgmlOptDatasetHandle _handle;

    /// <summary>Creates the dataset. Write it through <see cref="Data"/> and <see cref="Labels"/>.</summary>
    /// <param name="dataType">Element type of the data.</param>
    /// <param name="labelType">Element type of the labels.</param>
    /// <param name="elementsPerDatapoint">Elements per datapoint (&gt; 0).</param>
    /// <param name="elementsPerLabel">Elements per label (0: no labels).</param>
    /// <param name="count">Datapoints (&gt; 0).</param>
    /// <param name="shardSize">Datapoints per shard, the unit of shuffling (&gt; 0, divides <paramref name="count"/>).</param>
    public GgmlOptDataset(GgmlType dataType, GgmlType labelType, long elementsPerDatapoint, long elementsPerLabel, long count, long shardSize = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(elementsPerDatapoint, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(elementsPerLabel);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        if (count % shardSize != 0)
        {
            throw new ArgumentException($"The shard size {shardSize} must divide the datapoint count {count}.", nameof(shardSize));
        }

        LlamaRuntime.EnsureInitialized();
        _handle = NativeMethods.ggml_opt_dataset_init((int)dataType, (int)labelType, elementsPerDatapoint, elementsPerLabel, count, shardSize);
        ElementsPerDatapoint = elementsPerDatapoint;
        ElementsPerLabel = elementsPerLabel;
        Count = count;
        ShardSize = shardSize;
    }

    /// <summary>Elements per datapoint.</summary>
    public long ElementsPerDatapoint { get; }

    /// <summary>Elements per label (0: none).</summary>
    public long ElementsPerLabel { get; }

    /// <summary>Datapoints.</summary>
    public long Count { get; }

    /// <summary>Datapoints per shard.</summary>
    public long ShardSize { get; }

    /// <summary>The data tensor, shape [ElementsPerDatapoint, Count].</summary>
    public GgmlTensor Data => new(NativeMethods.ggml_opt_dataset_data(_handle), this);

    /// <summary>The labels tensor, shape [ElementsPerLabel, Count]; default when the dataset has no labels.</summary>
    public GgmlTensor Labels
    {
        get
        {
            var p = NativeMethods.ggml_opt_dataset_labels(_handle);
            return p == IntPtr.Zero ? default : new GgmlTensor(p, this);
        }
    }

    /// <summary>Shuffles the first <paramref name="count"/> datapoints (all when negative) with <paramref name="optimizer"/>'s random generator.</summary>
    public void Shuffle(GgmlOptimizer optimizer, long count = -1)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (count > Count || (count >= 0 && count % ShardSize != 0))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Shuffle at most {Count} datapoints, a multiple of the shard size {ShardSize}.");
        }

        NativeMethods.ggml_opt_dataset_shuffle(optimizer.Handle, _handle, count);
    }

    /// <summary>Copies batch <paramref name="batchIndex"/> into <paramref name="inputs"/> (and <paramref name="labels"/>); the batch size is inputs' ne[1]…</summary>
    /// <exception cref="GgmlShapeException">The tensors do not fit the dataset.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The batch lies past the end of the dataset.</exception>
    public void GetBatch(GgmlTensor inputs, GgmlTensor labels, long batchIndex)
    {
        var pi = inputs.Pointer;
        var pl = labels.PointerOrZero;
        var data = Data.Pointer;
        if (!inputs.IsAllocated)
        {
            throw new InvalidOperationException($"Inputs {GgmlChecks.Named(pi)} have no memory yet.");
        }

        GgmlChecks.RequireContiguous("GetBatch", "inputs", pi);
        if (GgmlChecks.Type(pi) != GgmlChecks.Type(data))
        {
            throw new GgmlShapeException($"GetBatch: inputs {GgmlChecks.Named(pi)} must have the dataset's type {(GgmlType)GgmlChecks.Type(data)}.");
        }

        var shardBytes = (long)NativeMethods.ggml_nbytes(data) / Count * ShardSize;
        var inputBytes = (long)NativeMethods.ggml_nbytes(pi);
        if (inputBytes % shardBytes != 0)
        {
            throw new GgmlShapeException($"GetBatch: inputs {GgmlChecks.Named(pi)} ({inputBytes} bytes) must hold whole shards of {ShardSize} datapoint(s) ({shardBytes} bytes).");
        }

        var shardsPerBatch = inputBytes / shardBytes;
        var labelData = Labels.PointerOrZero;
        if ((pl == IntPtr.Zero) != (labelData == IntPtr.Zero))
        {
            throw new GgmlShapeException(labelData == IntPtr.Zero ? "GetBatch: the dataset has no labels; pass default labels." : "GetBatch: the dataset has labels; pass the labels tensor too.");
        }

        if (pl != IntPtr.Zero)
        {
            GgmlChecks.RequireContiguous("GetBatch", "labels", pl);
            if (GgmlChecks.Type(pl) != GgmlChecks.Type(labelData))
            {
                throw new GgmlShapeException($"GetBatch: labels {GgmlChecks.Named(pl)} must have the dataset's label type {(GgmlType)GgmlChecks.Type(labelData)}.");
            }

            var labelShardBytes = (long)NativeMethods.ggml_nbytes(labelData) / Count * ShardSize;
            if ((long)NativeMethods.ggml_nbytes(pl) != shardsPerBatch * labelShardBytes)
            {
                throw new GgmlShapeException($"GetBatch: labels {GgmlChecks.Named(pl)} must hold the labels of the {shardsPerBatch * ShardSize} datapoints in the inputs.");
            }
        }

        if (batchIndex < 0 || (batchIndex + 1) * shardsPerBatch > Count / ShardSize)
        {
            throw new ArgumentOutOfRangeException(nameof(batchIndex), batchIndex, $"The dataset has {Count / ShardSize / shardsPerBatch} batches of {shardsPerBatch * ShardSize} datapoints.");
        }

        NativeMethods.ggml_opt_dataset_get_batch(_handle, pi, pl, batchIndex);
    }

    /// <summary>Frees the dataset.</summary>
    public void Dispose() => _handle.Dispose();

    void IGgmlTensorOwner.ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
}
