using System.Reflection;
using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// Refuses llama.cpp libraries of another commit before any call crosses into them: a struct passed by value or a
/// function whose parameters changed would corrupt memory instead of failing. Two checks: ggml's version string, and that
/// every function this assembly imports, and every libllama function LLamaSharp imports, is exported.
/// </summary>
internal static class NativeCompatibility
{
    /// <summary>The llama.cpp commit this binding mirrors (LLamaSharp.Backend.Cpu 0.30.0).</summary>
    public const string LlamaCppCommit = "c0c7e147";

    /// <summary><c>ggml_version()</c> of that commit.</summary>
    public const string GgmlVersion = "0.18.0";

    /// <summary>
    /// Functions LLamaSharp 0.30.0 still declares but its own natives (c0c7e147) no longer export: stale bindings that
    /// nothing here calls (a call would throw <see cref="EntryPointNotFoundException"/>, not corrupt memory).
    /// </summary>
    public static IReadOnlySet<string> LLamaSharpStaleImports { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "llama_adapter_meta_val_by_index", "llama_model_apply_lora_from_file", "llama_print_timings",
    };

    /// <summary>Every (library, entry point) this assembly imports, read from its <c>[LibraryImport]</c> attributes.</summary>
    public static IReadOnlyList<(string Library, string EntryPoint)> Imports { get; } =
        typeof(NativeMethods).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Select(m => (Method: m, Import: m.GetCustomAttribute<LibraryImportAttribute>()))
            .Where(x => x.Import is not null)
            .Select(x => (x.Import!.LibraryName, x.Import.EntryPoint ?? x.Method.Name))
            .Concat(LLamaSharpImports())
            .Distinct()
            .OrderBy(x => x.Item2, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// The libllama functions LLamaSharp's assembly imports (its <c>[DllImport("llama")]</c> methods, local functions included),
    /// so a library of another commit is refused before LLamaSharp calls into it. Its mtmd imports are not checked: nothing
    /// here loads mtmd.
    /// </summary>
    private static IEnumerable<(string Library, string EntryPoint)> LLamaSharpImports() =>
        typeof(LLama.Native.NativeApi).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Import: m.GetCustomAttribute<DllImportAttribute>()))
            .Where(x => x.Import is { Value: LibraryNames.Llama } && !LLamaSharpStaleImports.Contains(x.Import.EntryPoint ?? x.Method.Name))
            .Select(x => (LibraryNames.Llama, x.Import!.EntryPoint ?? x.Method.Name));

    /// <summary>Reads ggml's version and the missing imports from loaded libraries, and returns the refusal, or null when they fit.</summary>
    public static unsafe string? Check(IReadOnlyDictionary<string, IntPtr> handles, string directory, string howToFix)
    {
        var missing = Imports
            .Where(i => !handles.TryGetValue(i.Library, out var handle) || !NativeLibrary.TryGetExport(handle, i.EntryPoint, out _))
            .Select(i => i.EntryPoint)
            .ToList();
        string? version = null;
        if (handles.TryGetValue(LibraryNames.GgmlBase, out var ggmlBase) && NativeLibrary.TryGetExport(ggmlBase, "ggml_version", out var export))
        {
            version = Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged[Cdecl]<byte*>)export)());
        }

        return Describe(version, missing, directory, howToFix);
    }

    /// <summary>The refusal for a ggml version and a list of missing functions, or null when neither is wrong.</summary>
    public static string? Describe(string? ggmlVersion, IReadOnlyList<string> missing, string directory, string howToFix)
    {
        ArgumentNullException.ThrowIfNull(missing);
        var problems = new List<string>();
        if (!string.Equals(ggmlVersion, GgmlVersion, StringComparison.Ordinal))
        {
            problems.Add(ggmlVersion is null ? "they do not export ggml_version()" : $"their ggml_version() is '{ggmlVersion}', not '{GgmlVersion}'");
        }

        if (missing.Count > 0)
        {
            problems.Add($"they lack {missing.Count} function(s) this build calls ({string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : string.Empty)})");
        }

        return problems.Count == 0
            ? null
            : $"The llama.cpp libraries in '{directory}' are from another llama.cpp commit: {string.Join("; ", problems)}. " +
              $"This build mirrors llama.cpp commit {LlamaCppCommit} (LLamaSharp.Backend.Cpu 0.30.0, ggml {GgmlVersion}) and refuses other builds, " +
              $"whose structs and functions may differ. {howToFix}";
    }
}
