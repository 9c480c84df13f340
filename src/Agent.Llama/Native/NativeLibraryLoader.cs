using System.Reflection;
using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// The one <see cref="NativeLibrary.SetDllImportResolver"/> of this assembly: maps <see cref="LibraryNames"/> to files in
/// one folder, loads them in dependency order, and fails with a message that says what was looked for where.
/// </summary>
internal static class NativeLibraryLoader
{
    private static readonly Lock Gate = new();
    private static Dictionary<string, IntPtr>? s_loaded;
    private static bool s_resolverSet;

    /// <summary>The folder and files that loaded, once <see cref="Load"/> succeeded.</summary>
    public static (string Directory, IReadOnlyDictionary<string, string> Files)? Loaded { get; private set; }

    /// <summary>The folder the build copies a backend's libraries to: <c>&lt;app&gt;/native/&lt;backend&gt;/</c>.</summary>
    public static string DefaultDirectory(string backend) => Path.Combine(AppContext.BaseDirectory, "native", backend);

    /// <summary>Loads ggml-base, ggml and llama from <paramref name="directory"/> and installs the resolver.</summary>
    /// <exception cref="LlamaNativeLibraryException">A file is missing or cannot be loaded.</exception>
    public static IReadOnlyDictionary<string, string> Load(string directory, string howToFix)
    {
        lock (Gate)
        {
            if (Loaded is { } already)
            {
                if (!string.Equals(Path.GetFullPath(already.Directory), Path.GetFullPath(directory), StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"llama.cpp is already loaded from '{already.Directory}' in this process; it cannot be loaded again from '{directory}'.");
                }

                return already.Files;
            }

            if (!Directory.Exists(directory))
            {
                throw new LlamaNativeLibraryException(
                    $"The llama.cpp library folder '{directory}' does not exist. {howToFix}");
            }

            var files = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [LibraryNames.GgmlBase] = Find(directory, ["libggml-base.so"], howToFix),
                [LibraryNames.Ggml] = Find(directory, ["libggml.v*.so", "libggml.so"], howToFix),
                [LibraryNames.Llama] = Find(directory, ["libllama.v*.so", "libllama.so"], howToFix),
            };

            var handles = new Dictionary<string, IntPtr>(StringComparer.Ordinal);
            foreach (var name in new[] { LibraryNames.GgmlBase, LibraryNames.Ggml, LibraryNames.Llama })
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

            s_loaded = handles;
            if (!s_resolverSet)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
                s_resolverSet = true;
            }

            Loaded = (directory, files);
            return files;
        }
    }

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
