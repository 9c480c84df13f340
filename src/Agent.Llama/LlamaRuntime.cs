using System.Runtime.InteropServices;
using Agent.Llama.Native;
using LLama.Native;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Llama;

/// <summary>
/// Loads llama.cpp once per process: picks the library folder (<c>native/cpu</c> with its CPU variants,
/// <c>native/cuda</c>, or Llama:NativeLibraryPath), loads and checks the libraries, loads dynamically built ggml backends
/// from that folder with <c>ggml_backend_load_all_from_path</c> when the build registered no CPU backend by itself
/// (without a path, no backend is found when hosted by dotnet), routes llama.cpp's log to an <see cref="ILogger"/>, and
/// hands the chosen libllama file to LLamaSharp, which then initialises llama.cpp.
/// </summary>
public static class LlamaRuntime
{
    private static readonly Lock Gate = new();
    private static LlamaRuntimeInfo? s_info;

    /// <summary>What was loaded, or null before <see cref="Initialize"/>.</summary>
    public static LlamaRuntimeInfo? Info => s_info;

    /// <summary>Loads with the default options (cpu) unless already loaded.</summary>
    public static LlamaRuntimeInfo EnsureInitialized() => s_info ?? Initialize(new LlamaOptions());

    /// <summary>Loads the libraries that <paramref name="options"/> select. Idempotent for the same options.</summary>
    /// <exception cref="LlamaNativeLibraryException">A library is missing, cannot load, or the backend offers no device.</exception>
    /// <exception cref="ArgumentException">The backend name is unknown.</exception>
    public static LlamaRuntimeInfo Initialize(LlamaOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (Gate)
        {
            if (s_info is not null)
            {
                return s_info;
            }

            var backend = (options.Backend ?? "cpu").Trim().ToLowerInvariant();
            string directory;
            string howToFix;
            if (!string.IsNullOrWhiteSpace(options.NativeLibraryPath))
            {
                directory = Path.GetFullPath(options.NativeLibraryPath);
                backend = "custom";
                howToFix = $"Llama:NativeLibraryPath must name the folder that holds your llama.cpp build (commit {NativeCompatibility.LlamaCppCommit}) with libllama.so, libggml.so and libggml-base.so (and its backend libraries), or be left empty to use the libraries the build copied from LLamaSharp.Backend.Cpu.";
            }
            else
            {
                if (!LlamaOptions.KnownBackends.Contains(backend))
                {
                    throw new ArgumentException(
                        $"Llama:Backend '{options.Backend}' is not known. Use one of: {string.Join(", ", LlamaOptions.KnownBackends)}.", nameof(options));
                }

                directory = NativeLibraryLoader.DefaultDirectory(backend);
                howToFix = backend == "cpu"
                    ? $"The build copies them there from the NuGet package LLamaSharp.Backend.Cpu: run 'dotnet build', or set Llama:NativeLibraryPath to your own llama.cpp build of commit {NativeCompatibility.LlamaCppCommit}."
                    : $"Build with the CUDA libraries: 'dotnet build -p:LlamaBackends=\"cpu;cuda\"' (restores LLamaSharp.Backend.Cuda12.Linux), or set Llama:NativeLibraryPath to your own CUDA build of llama.cpp commit {NativeCompatibility.LlamaCppCommit}.";
            }

            var loaded = NativeLibraryLoader.Load(directory, howToFix);
            NativeLog.Install(loggerFactory?.CreateLogger("Agent.Llama.Native") ?? NullLogger.Instance);
            if (!ReadBackends().Contains("CPU"))
            {
                // A build with GGML_BACKEND_DL (each backend its own libggml-<name>*.so): load them from the folder.
                NativeMethods.ggml_backend_load_all_from_path(loaded.LibraryDirectory);
            }

            StartLlamaSharp(loaded);

            var backends = ReadBackends();
            var devices = ReadDevices();
            if (!devices.Any(d => d.Kind == "cpu"))
            {
                throw new LlamaNativeLibraryException(
                    $"llama.cpp loaded from '{directory}' but no CPU backend (libggml-cpu*.so) loaded from there, so it has no device. {howToFix}");
            }

            if (backend == "cuda" && !devices.Any(d => d.Kind == "gpu"))
            {
                throw new LlamaNativeLibraryException(
                    $"Llama:Backend is 'cuda' but no CUDA device was found through '{directory}'. libggml-cuda.so needs the CUDA 12 runtime (libcudart.so.12, libcublas.so.12) on the library path and an NVIDIA driver; check 'nvidia-smi' and 'ldd {Path.Combine(loaded.LibraryDirectory, "libggml-cuda.so")}', or set Llama:Backend to 'cpu'.");
            }

            var systemInfo = Marshal.PtrToStringUTF8(NativeApi.llama_print_system_info()) ?? string.Empty;
            s_info = new LlamaRuntimeInfo(
                backend, loaded.LibraryDirectory, loaded.Files, systemInfo.Trim(), backends, devices, loaded.CpuVariant, NativeCompatibility.LlamaCppCommit);
            return s_info;
        }
    }

    /// <summary>
    /// Points LLamaSharp at the very libllama file our resolver chose and checked, then runs its <see cref="NativeApi"/>
    /// static constructor: its resolver loads that file (already loaded, so the same handle; ggml-base and ggml beside it
    /// likewise) and it calls <c>llama_backend_init</c>, the one call of it in this process. It installs no log callback
    /// (none is configured), so llama.cpp logs only through <see cref="NativeLog"/>. mtmd is not configured: LLamaSharp loads
    /// it only when an mtmd function is called, and nothing here calls one.
    /// </summary>
    private static void StartLlamaSharp(NativeLoadResult loaded)
    {
        var file = loaded.Files[LibraryNames.Llama];
        if (NativeLibraryConfig.LLama.LibraryHasLoaded)
        {
            throw new LlamaNativeLibraryException(
                $"LLamaSharp loaded its native library before Agent.Llama could point it at '{file}': something called a LLamaSharp native function before LlamaRuntime.Initialize. Initialize the runtime first.");
        }

        NativeLibraryConfig.LLama.WithLibrary(file).WithAutoFallback(false);
        NativeApi.llama_empty_call();
    }

    private static List<string> ReadBackends()
    {
        var names = new List<string>();
        var count = (int)NativeMethods.ggml_backend_reg_count();
        for (var i = 0; i < count; i++)
        {
            var reg = NativeMethods.ggml_backend_reg_get((nuint)i);
            names.Add(Marshal.PtrToStringUTF8(NativeMethods.ggml_backend_reg_name(reg)) ?? "?");
        }

        return names;
    }

    private static unsafe List<LlamaDevice> ReadDevices()
    {
        var devices = new List<LlamaDevice>();
        var count = (int)NativeMethods.ggml_backend_dev_count();
        for (var i = 0; i < count; i++)
        {
            var device = NativeMethods.ggml_backend_dev_get((nuint)i);
            nuint free = 0, total = 0;
            NativeMethods.ggml_backend_dev_memory(device, &free, &total);
            var kind = NativeMethods.ggml_backend_dev_type(device) switch
            {
                0 => "cpu",
                1 => "gpu",
                2 => "igpu",
                3 => "accel",
                4 => "meta",
                _ => "unknown",
            };
            var reg = NativeMethods.ggml_backend_dev_backend_reg(device);
            devices.Add(new LlamaDevice(
                Marshal.PtrToStringUTF8(NativeMethods.ggml_backend_dev_name(device)) ?? "?",
                Marshal.PtrToStringUTF8(NativeMethods.ggml_backend_dev_description(device)) ?? string.Empty,
                kind,
                Marshal.PtrToStringUTF8(NativeMethods.ggml_backend_reg_name(reg)) ?? "?",
                free,
                total));
        }

        return devices;
    }
}
