using System.Text;
using Agent.Llama.Native;
using LLama.Exceptions;
using LLama.Native;

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
    public int EmbeddingSize => Handle.EmbeddingSize;

    /// <summary>Number of transformer blocks.</summary>
    public int LayerCount => Handle.LayerCount;

    /// <summary>Attention heads.</summary>
    public int HeadCount => Handle.HeadCount;

    /// <summary>Key/value heads (grouped-query attention).</summary>
    public int HeadCountKv => Handle.KVHeadCount;

    /// <summary>Context length the model was trained with.</summary>
    public int TrainingContextSize => Handle.ContextSize;

    /// <summary>Number of parameters.</summary>
    public ulong ParameterCount => Handle.ParameterCount;

    /// <summary>Size of the weights in bytes.</summary>
    public ulong SizeBytes => Handle.SizeInBytes;

    /// <summary>llama.cpp's one-line description (architecture, size, type).</summary>
    public string Description => Handle.Description;

    /// <summary>Loads a GGUF model file.</summary>
    /// <exception cref="ModelLoadException">The file is missing, is not GGUF, is truncated or corrupt, or llama.cpp refused it.</exception>
    public static LlamaModel Load(string path, LlamaModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new LlamaModelOptions();
        var full = CheckFile(path);
        LlamaRuntime.EnsureInitialized();
        var parameters = LLamaModelParams.Default();
        parameters.n_gpu_layers = options.GpuLayers;
        parameters.vocab_only = options.VocabOnly;
        if (!options.UseMmap)
        {
            parameters.load_mode = LLamaLoadMode.None;
        }

        NativeLog.BeginCapture();
        try
        {
            return new LlamaModel(SafeLlamaModelHandle.LoadFromFile(full, parameters), full);
        }
        catch (LoadWeightsFailedException e)
        {
            throw new ModelLoadException(
                $"llama.cpp could not load '{full}': {NativeLog.CapturedProblems()}. The file may be truncated, corrupt, or of an architecture this llama.cpp (commit c0c7e147) does not know.", e);
        }
    }

    /// <summary>Writes the model back to a GGUF file.</summary>
    public void SaveToFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Handle.SaveToFile(System.IO.Path.GetFullPath(path));
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

    private Dictionary<string, string> ReadMetadata()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var count = Handle.MetadataCount;
        for (var i = 0; i < count; i++)
        {
            if (Handle.MetadataKeyByIndex(i) is not { } key)
            {
                continue;
            }

            var value = Handle.MetadataValueByIndex(i);
            result[Encoding.UTF8.GetString(key.Span)] = value is { } v ? Encoding.UTF8.GetString(v.Span) : string.Empty;
        }

        return result;
    }
}
