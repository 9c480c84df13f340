using System.Reflection;
using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// The one <see cref="NativeLibrary.SetDllImportResolver"/> of this assembly: picks the library files, loads them in
/// dependency order, refuses another llama.cpp commit (<see cref="NativeCompatibility"/>), and fails with a message that
/// says what was looked for where.
/// </summary>
/// <remarks>
/// Layouts it understands, in the folder it is given:
/// <list type="bullet">
/// <item>flat: <c>libllama.so</c>, <c>libggml.so</c>, <c>libggml-base.so</c> (and the CPU backend) side by side, as a
/// llama.cpp build's <c>bin/</c> folder has them;</item>
/// <item>CPU variants: <c>avx512/</c>, <c>avx2/</c>, <c>avx/</c>, <c>noavx/</c>, each a flat folder, as
/// LLamaSharp.Backend.Cpu ships them; the best one this CPU supports loads (<see cref="CpuVariant"/>);</item>
/// <item>a GPU folder without a CPU backend (LLamaSharp's <c>cuda12/</c>, copied to <c>native/cuda/</c>): its
/// <c>libggml.so</c> needs <c>libggml-cpu.so</c>, which is loaded first from the best variant of the sibling
/// <c>cpu/</c> folder, so the dynamic linker finds it by its soname.</item>
/// </list>
/// </remarks>
internal static class NativeLibraryLoader
{
    private static readonly Lock Sync = new();
    private static Dictionary<string, IntPtr>? s_loaded;
    private static bool s_resolverSet;

    /// <summary>What loaded, once <see cref="Load"/> succeeded.</summary>
    public static NativeLoadResult? Loaded { get; private set; }

    /// <summary>The folder the build copies a backend's libraries to: <c>&lt;app&gt;/native/&lt;backend&gt;/</c>.</summary>
    public static string DefaultDirectory(string backend) => Path.Combine(AppContext.BaseDirectory, "native", backend);

    /// <summary>Loads ggml-base, (ggml-cpu,) ggml and llama from <paramref name="directory"/>, checks them, and installs the resolver.</summary>
    /// <exception cref="LlamaNativeLibraryException">A file is missing, cannot be loaded, or is from another llama.cpp commit.</exception>
    public static NativeLoadResult Load(string directory, string howToFix)
    {
        lock (Sync)
        {
            if (Loaded is { } already)
            {
                if (!string.Equals(Path.GetFullPath(already.RequestedDirectory), Path.GetFullPath(directory), StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"llama.cpp is already loaded from '{already.RequestedDirectory}' in this process; it cannot be loaded again from '{directory}'.");
                }

                return already;
            }

            if (!Directory.Exists(directory))
            {
                throw new LlamaNativeLibraryException(
                    $"The llama.cpp library folder '{directory}' does not exist. {howToFix}");
            }

            var (libraryDirectory, variant) = ChooseDirectory(directory, howToFix);
            var files = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [LibraryNames.GgmlBase] = Find(libraryDirectory, ["libggml-base.so"], howToFix),
                [LibraryNames.Ggml] = Find(libraryDirectory, ["libggml.v*.so", "libggml.so"], howToFix),
                [LibraryNames.Llama] = Find(libraryDirectory, ["libllama.v*.so", "libllama.so"], howToFix),
            };
            var order = new List<string> { LibraryNames.GgmlBase };
            var cpuFromSibling = CpuBackendFromSibling(directory, libraryDirectory);
            if (cpuFromSibling is not null)
            {
                files[CpuBackendName] = cpuFromSibling.Value.File;
                variant = cpuFromSibling.Value.Variant;
                order.Add(CpuBackendName);
            }

            order.Add(LibraryNames.Ggml);
            order.Add(LibraryNames.Llama);

            var handles = new Dictionary<string, IntPtr>(StringComparer.Ordinal);
            foreach (var name in order)
            {
                try
                {
                    handles[name] = NativeLibrary.Load(files[name]);
                }
                catch (DllNotFoundException e)
                {
                    throw new LlamaNativeLibraryException(
                        $"'{files[name]}' exists but could not be loaded ({e.Message}). A library it needs may be missing or built for another CPU. {howToFix}", e);
                }
            }

            if (NativeCompatibility.Check(handles, libraryDirectory, howToFix) is { } refusal)
            {
                throw new LlamaNativeLibraryException(refusal);
            }

            s_loaded = handles;
            if (!s_resolverSet)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
                s_resolverSet = true;
            }

            Loaded = new NativeLoadResult(directory, libraryDirectory, files, variant);
            return Loaded;
        }
    }

    private const string CpuBackendName = "ggml-cpu";

    private static (string Directory, string? Variant) ChooseDirectory(string directory, string howToFix)
    {
        if (HasLlama(directory))
        {
            return (directory, null);
        }

        var present = CpuVariant.BestFirst.Where(v => HasLlama(Path.Combine(directory, v))).ToList();
        if (present.Count == 0)
        {
            throw new LlamaNativeLibraryException(
                $"No libllama.so in '{directory}' nor in a CPU variant folder under it ({string.Join(", ", CpuVariant.BestFirst)}). {howToFix}");
        }

        var best = present.FirstOrDefault(CpuVariant.IsSupported) ?? throw new LlamaNativeLibraryException(
            $"This CPU supports none of the llama.cpp builds in '{directory}' ({string.Join(", ", present)}). Build with all variants (the default LlamaCpuVariants) or set Llama:NativeLibraryPath to a build for this CPU.");
        return (Path.Combine(directory, best), best);
    }

    private static (string File, string Variant)? CpuBackendFromSibling(string requested, string libraryDirectory)
    {
        if (Directory.EnumerateFiles(libraryDirectory, "libggml-cpu*.so").Any())
        {
            return null;
        }

        var cpu = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(requested).TrimEnd(Path.DirectorySeparatorChar)) ?? requested, "cpu");
        var variant = Directory.Exists(cpu) ? CpuVariant.Choose(cpu) : null;
        var file = variant is null ? null : Path.Combine(cpu, variant, "libggml-cpu.so");
        return file is not null && File.Exists(file) ? (file, variant!) : null;
    }

    private static bool HasLlama(string directory) =>
        Directory.Exists(directory)
        && (File.Exists(Path.Combine(directory, "libllama.so")) || Directory.EnumerateFiles(directory, "libllama.v*.so").Any());

    private static string Find(string directory, string[] patterns, string howToFix)
    {
        foreach (var pattern in patterns)
        {
            var match = Directory.EnumerateFiles(directory, pattern)
                .Where(f => !Path.GetFileName(f).Contains("-common", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .FirstOrDefault();
            if (match is not null)
            {
                return match;
            }
        }

        throw new LlamaNativeLibraryException(
            $"No {string.Join(" or ", patterns)} in '{directory}'. {howToFix}");
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        var loaded = s_loaded;
        if (loaded is null)
        {
            // A native call before LlamaRuntime.Initialize: load the default backend so the call can proceed.
            LlamaRuntime.EnsureInitialized();
            loaded = s_loaded;
        }

        return loaded is not null && loaded.TryGetValue(libraryName, out var handle) ? handle : IntPtr.Zero;
    }
}
