namespace Agent.Llama;

/// <summary>Which llama.cpp libraries to load (configuration section <c>Llama</c>).</summary>
public sealed class LlamaNativeOptions
{
    /// <summary><c>cpu</c> (default) or <c>cuda</c>: the folder <c>native/&lt;backend&gt;/</c> next to the executable.</summary>
    public string Backend { get; set; } = "cpu";

    /// <summary>A folder holding a user's own llama.cpp build (libllama*.so, libggml*.so); overrides <see cref="Backend"/>'s folder.</summary>
    public string? NativeLibraryPath { get; set; }

    /// <summary>The backends this build knows.</summary>
    public static IReadOnlyList<string> KnownBackends { get; } = ["cpu", "cuda"];
}
