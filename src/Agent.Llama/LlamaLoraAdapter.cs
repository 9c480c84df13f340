using Agent.Llama.Native;
using LLama.Native;

namespace Agent.Llama;

/// <summary>
/// A LoRA adapter (GGUF) loaded for one model through LLamaSharp's <see cref="LoraAdapter"/>; apply it to a context of
/// that model. It keeps its model alive (a reference on the model handle until it is disposed), as the adapter's tensors
/// belong to the model's backends.
/// </summary>
public sealed class LlamaLoraAdapter : IDisposable
{
    private readonly LoraAdapter _adapter;
    private readonly SafeLlamaModelHandle _model;
    private int _released;

    private LlamaLoraAdapter(string path, LoraAdapter adapter, SafeLlamaModelHandle model)
    {
        Path = path;
        _adapter = adapter;
        _model = model;
    }

    /// <summary>Releases the adapter if <see cref="Dispose"/> was not called (the model handle is still held, so it is alive).</summary>
    ~LlamaLoraAdapter() => Release();

    /// <summary>The adapter file.</summary>
    public string Path { get; }

    /// <summary>Loads a LoRA adapter file for <paramref name="model"/>.</summary>
    /// <exception cref="ModelLoadException">The file is missing or llama.cpp refused it (for example, it was made for another base model).</exception>
    public static LlamaLoraAdapter Load(LlamaModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ModelLoadException($"LoRA adapter '{full}' does not exist.");
        }

        // LLamaSharp hands back an adapter even when llama_adapter_lora_init returned null; llama.cpp logs an error then.
        NativeLog.BeginCapture();
        var adapter = model.Handle.LoadLoraFromFile(full);
        if (NativeLog.CapturedErrorCount > 0)
        {
            throw new ModelLoadException($"llama.cpp could not load LoRA adapter '{full}' for '{model.Path}': {NativeLog.CapturedProblems()}. Use an adapter written for this base model.");
        }

        var added = false;
        model.Handle.DangerousAddRef(ref added);
        return new LlamaLoraAdapter(full, adapter, model.Handle);
    }

    /// <summary>Applies it to <paramref name="context"/> with <paramref name="scale"/> (replacing the adapters set before).</summary>
    /// <exception cref="ArgumentException">The context is of another model.</exception>
    public void Apply(LlamaContext context, float scale = 1f)
    {
        ArgumentNullException.ThrowIfNull(context);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _released) != 0, this);
        context.Handle.SetLoraAdapters((_adapter, scale));
        GC.KeepAlive(this);
    }

    /// <summary>Frees the adapter and releases its hold on the model.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _adapter.Unload();
        _model.DangerousRelease();
    }
}
