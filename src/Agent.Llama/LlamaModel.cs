using System.Runtime.InteropServices;
using System.Text;
using Agent.Llama.Native;

namespace Agent.Llama;

/// <summary>A loaded GGUF model: its weights, vocabulary and metadata. Contexts created from it keep it alive.</summary>
public sealed class LlamaModel : IDisposable
{
    private readonly Lazy<IReadOnlyDictionary<string, string>> _metadata;

    private LlamaModel(SafeLlamaModelHandle handle, string path)
    {
        Handle = handle;
        Path = path;
        Vocab = new LlamaVocab(this, NativeMethods.llama_model_get_vocab(handle));
        _metadata = new Lazy<IReadOnlyDictionary<string, string>>(ReadMetadata);
    }

    internal SafeLlamaModelHandle Handle { get; }

    /// <summary>The file it was loaded from.</summary>
    public string Path { get; }

    /// <summary>The vocabulary.</summary>
    public LlamaVocab Vocab { get; }

    /// <summary>All GGUF metadata as strings (arrays are summarised by llama.cpp).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata.Value;

    /// <summary>general.architecture, e.g. <c>llama</c>.</summary>
    public string Architecture => Metadata.TryGetValue("general.architecture", out var a) ? a : "unknown";

    /// <summary>Embedding width.</summary>
    public int EmbeddingSize => NativeMethods.llama_model_n_embd(Handle);

    /// <summary>Number of transformer blocks.</summary>
    public int LayerCount => NativeMethods.llama_model_n_layer(Handle);

    /// <summary>Attention heads.</summary>
    public int HeadCount => NativeMethods.llama_model_n_head(Handle);

    /// <summary>Key/value heads (grouped-query attention).</summary>
    public int HeadCountKv => NativeMethods.llama_model_n_head_kv(Handle);

    /// <summary>Context length the model was trained with.</summary>
    public int TrainingContextSize => NativeMethods.llama_model_n_ctx_train(Handle);

    /// <summary>Number of parameters.</summary>
    public ulong ParameterCount => NativeMethods.llama_model_n_params(Handle);

    /// <summary>Size of the weights in bytes.</summary>
    public ulong SizeBytes => NativeMethods.llama_model_size(Handle);

    /// <summary>llama.cpp's one-line description (architecture, size, type).</summary>
    public unsafe string Description
    {
        get
        {
            var buffer = stackalloc byte[256];
            var n = NativeMethods.llama_model_desc(Handle, buffer, 256);
            return n <= 0 ? string.Empty : Encoding.UTF8.GetString(buffer, Math.Min(n, 255));
        }
    }

    /// <summary>Loads a GGUF model file.</summary>
    /// <exception cref="ModelLoadException">The file is missing, is not GGUF, is truncated or corrupt, or llama.cpp refused it.</exception>
    public static LlamaModel Load(string path, LlamaModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new LlamaModelOptions();
        var full = CheckFile(path);
        LlamaRuntime.EnsureInitialized();
        var parameters = NativeMethods.llama_model_default_params();
        parameters.n_gpu_layers = options.GpuLayers;
        parameters.vocab_only = options.VocabOnly ? (byte)1 : (byte)0;
        if (!options.UseMmap)
        {
            parameters.load_mode = 0;
        }

        NativeLog.BeginCapture();
        var handle = NativeMethods.llama_model_load_from_file(full, parameters);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new ModelLoadException(
                $"llama.cpp could not load '{full}': {NativeLog.CapturedProblems()}. The file may be truncated, corrupt, or of an architecture this llama.cpp (commit c0c7e147) does not know.");
        }

        return new LlamaModel(handle, full);
    }

    /// <summary>Writes the model back to a GGUF file.</summary>
    public void SaveToFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        NativeMethods.llama_model_save_to_file(Handle, System.IO.Path.GetFullPath(path));
    }

    /// <summary>Frees the model once no context uses it any more.</summary>
    public void Dispose() => Handle.Dispose();

    /// <summary>
    /// Checks, without loading it, that <paramref name="path"/> is a GGUF file (it exists and starts with the GGUF magic),
    /// so a caller can refuse a wrong path before it does any work.
    /// </summary>
    /// <returns>The full path.</returns>
    /// <exception cref="ModelLoadException">The file is missing, unreadable, or not GGUF; the message names it and what to do.</exception>
    public static string CheckFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ModelLoadException(
                $"Model file '{full}' does not exist. Set Llama:ModelPath (or --model) to a GGUF file; 'agent train --preset default' makes the default model.");
        }

        CheckMagic(full);
        return full;
    }

    private static void CheckMagic(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        int read;
        try
        {
            using var stream = File.OpenRead(path);
            read = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        }
        catch (IOException e)
        {
            throw new ModelLoadException($"Model file '{path}' cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ModelLoadException($"Model file '{path}' cannot be read: {e.Message}", e);
        }

        if (read < 4 || !magic.SequenceEqual("GGUF"u8))
        {
            throw new ModelLoadException(
                $"'{path}' is not a GGUF model file (it does not start with the bytes 'GGUF'). Convert the model to GGUF or point Llama:ModelPath at a .gguf file.");
        }
    }

    private unsafe Dictionary<string, string> ReadMetadata()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var count = NativeMethods.llama_model_meta_count(Handle);
        const int size = 4096;
        var buffer = (byte*)NativeMemory.Alloc(size);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var n = NativeMethods.llama_model_meta_key_by_index(Handle, i, buffer, size);
                if (n < 0)
                {
                    continue;
                }

                var key = Encoding.UTF8.GetString(buffer, Math.Min(n, size - 1));
                n = NativeMethods.llama_model_meta_val_str_by_index(Handle, i, buffer, size);
                result[key] = n < 0 ? string.Empty : Encoding.UTF8.GetString(buffer, Math.Min(n, size - 1));
            }
        }
        finally
        {
            NativeMemory.Free(buffer);
        }

        return result;
    }
}
