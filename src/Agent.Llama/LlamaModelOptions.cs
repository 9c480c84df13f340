namespace Agent.Llama;

/// <summary>How a model file loads.</summary>
public sealed class LlamaModelOptions
{
    private int _gpuLayers;

    /// <summary>Layers to offload to a GPU: 0 (default) none, -1 all.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Below -1.</exception>
    public int GpuLayers
    {
        get => _gpuLayers;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, -1);
            _gpuLayers = value;
        }
    }

    /// <summary>Load only the vocabulary (tokenizing without weights).</summary>
    public bool VocabOnly { get; set; }

    /// <summary>Memory-map the file (default) instead of reading it.</summary>
    public bool UseMmap { get; set; } = true;
}
