using Agent.Llama.Native;

namespace Agent.Llama;

/// <summary>
/// A LoRA adapter GGUF (<c>general.type = adapter</c>, <c>adapter.type = lora</c>) loaded for a model with llama.cpp's
/// <c>llama_adapter_lora_init</c>, and set on a context with <c>llama_set_adapters_lora</c>.
/// </summary>
public sealed class LlamaLoraAdapter : IDisposable
{
    private readonly SafeLlamaAdapterLoraHandle _handle;

    private LlamaLoraAdapter(string path, SafeLlamaAdapterLoraHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The adapter file.</summary>
    public string Path { get; }

    /// <summary>Loads the adapter at <paramref name="path"/> for <paramref name="model"/>.</summary>
    /// <exception cref="ModelLoadException">The file is missing, or llama.cpp refused it (another architecture, wrong shapes, not an adapter).</exception>
    public static LlamaLoraAdapter Load(LlamaModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ModelLoadException($"LoRA adapter '{full}' does not exist.");
        }

        NativeLog.BeginCapture();
        var pointer = NativeMethods.llama_adapter_lora_init(model.Handle, full);
        if (pointer == IntPtr.Zero)
        {
            throw new ModelLoadException($"llama.cpp could not load LoRA adapter '{full}' for '{model.Path}': {NativeLog.CapturedProblems()}. Use an adapter written for this base model.");
        }

        var handle = new SafeLlamaAdapterLoraHandle(pointer);
        handle.KeepAlive(model.Handle);
        return new LlamaLoraAdapter(full, handle);
    }

    /// <summary>Makes <paramref name="context"/> compute with this adapter at <paramref name="scale"/> (1 = as trained), replacing any set before.</summary>
    /// <exception cref="InvalidOperationException">llama.cpp refused the adapter.</exception>
    public unsafe void Apply(LlamaContext context, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(context);
        var pointer = _handle.Pointer;
        var result = NativeMethods.llama_set_adapters_lora(context.Handle, &pointer, 1, &scale);
        GC.KeepAlive(this);
        if (result != 0)
        {
            throw new InvalidOperationException($"llama_set_adapters_lora returned {result} for '{Path}'.");
        }
    }

    /// <summary>Frees the adapter.</summary>
    public void Dispose() => _handle.Dispose();
}
