namespace Agent.Llama.Ggml;

/// <summary>What owns the memory of a tensor's metadata (a context, an optimizer, a dataset); a tensor checks it before every native access.</summary>
internal interface IGgmlTensorOwner
{
    /// <summary>Throws <see cref="ObjectDisposedException"/> when the tensor's memory is gone.</summary>
    void ThrowIfDisposed();
}
