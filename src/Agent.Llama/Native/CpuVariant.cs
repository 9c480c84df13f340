using System.Runtime.Intrinsics.X86;

namespace Agent.Llama.Native;

/// <summary>
/// The CPU builds of llama.cpp that LLamaSharp.Backend.Cpu ships per platform (<c>native/&lt;variant&gt;/</c>), best
/// first, each with what it needs of the CPU. The requirements follow LLamaSharp's own choice (its NativeLibraryConfig):
/// avx512 needs AVX-512 F, BW, VBMI and VNNI; avx2 needs AVX2 (and FMA, which every AVX2 build of ggml uses).
/// </summary>
internal static class CpuVariant
{
    /// <summary>Variant folder names, best first.</summary>
    public static IReadOnlyList<string> BestFirst { get; } = ["avx512", "avx2", "avx", "noavx"];

    /// <summary>Whether this CPU runs the variant's instructions.</summary>
    public static bool IsSupported(string variant) => variant switch
    {
        "avx512" => Avx512F.IsSupported && Avx512BW.IsSupported && Avx512Vbmi.IsSupported && HasAvx512Vnni(),
        "avx2" => Avx2.IsSupported && Fma.IsSupported,
        "avx" => Avx.IsSupported,
        "noavx" => true,
        _ => false,
    };

    /// <summary>The best variant folder under <paramref name="directory"/> that this CPU supports, or null when it has none.</summary>
    public static string? Choose(string directory) =>
        BestFirst.FirstOrDefault(v => Directory.Exists(Path.Combine(directory, v)) && IsSupported(v));

    private static bool HasAvx512Vnni()
    {
        if (!X86Base.IsSupported)
        {
            return false;
        }

        var (_, _, ecx, _) = X86Base.CpuId(7, 0);
        return (ecx & (1 << 11)) != 0;
    }
}
