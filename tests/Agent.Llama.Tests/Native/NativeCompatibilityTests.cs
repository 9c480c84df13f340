using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Tests.Native;

public class NativeCompatibilityTests
{
    private const string HowToFix = "Point Llama:NativeLibraryPath at a build of that commit.";

    [Fact]
    public void Imports_ReadFromAttributes_CoverEveryLibraryAndKnownFunctions()
    {
        Assert.True(NativeCompatibility.Imports.Count > 200);
        Assert.Contains((LibraryNames.Llama, "llama_decode"), NativeCompatibility.Imports);        // ours
        Assert.Contains((LibraryNames.Llama, "llama_backend_init"), NativeCompatibility.Imports);  // LLamaSharp's NativeApi
        Assert.Contains((LibraryNames.Llama, "llama_sampler_init_greedy"), NativeCompatibility.Imports); // a LLamaSharp local function
        Assert.DoesNotContain(NativeCompatibility.Imports, i => i.EntryPoint.StartsWith("mtmd_", StringComparison.Ordinal));
        Assert.Contains((LibraryNames.GgmlBase, "gguf_init_from_file"), NativeCompatibility.Imports);
        Assert.Contains(NativeCompatibility.Imports, i => i.Library == LibraryNames.Ggml);
    }

    [Fact]
    public void LLamaSharpStaleImports_AreExactlyWhatTheShippedLibraryLacks()
    {
        // If a LLamaSharp or llama.cpp upgrade changes which declared functions are missing, this list must be revisited.
        var info = LlamaRuntime.EnsureInitialized();
        var llama = NativeLibrary.Load(info.Libraries[LibraryNames.Llama]);
        var declared = typeof(LLama.Native.NativeApi).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly))
            .Select(m => (Method: m, Import: System.Reflection.CustomAttributeExtensions.GetCustomAttribute<DllImportAttribute>(m)))
            .Where(x => x.Import is { Value: "llama" })
            .Select(x => x.Import!.EntryPoint ?? x.Method.Name)
            .ToHashSet(StringComparer.Ordinal);
        var missing = declared.Where(e => !NativeLibrary.TryGetExport(llama, e, out _)).Order(StringComparer.Ordinal);

        Assert.Equal(NativeCompatibility.LLamaSharpStaleImports.Order(StringComparer.Ordinal), missing);
    }

    [Fact]
    public void Check_LoadedLibraries_Pass()
    {
        var info = LlamaRuntime.EnsureInitialized();
        var handles = info.Libraries.ToDictionary(kv => kv.Key, kv => NativeLibrary.Load(kv.Value), StringComparer.Ordinal);

        Assert.Null(NativeCompatibility.Check(handles, info.Directory, HowToFix));
    }

    [Fact]
    public void Check_LlamaLacksItsFunctions_RefusesNamingThem()
    {
        var info = LlamaRuntime.EnsureInitialized();
        var ggml = NativeLibrary.Load(info.Libraries[LibraryNames.Ggml]);
        var handles = new Dictionary<string, IntPtr>(StringComparer.Ordinal)
        {
            [LibraryNames.GgmlBase] = NativeLibrary.Load(info.Libraries[LibraryNames.GgmlBase]),
            [LibraryNames.Ggml] = ggml,
            [LibraryNames.Llama] = ggml,
        };

        var refusal = NativeCompatibility.Check(handles, "/some/build", HowToFix);

        Assert.NotNull(refusal);
        Assert.Contains("'/some/build'", refusal, StringComparison.Ordinal);
        Assert.Contains("llama_", refusal, StringComparison.Ordinal);
        Assert.Contains("c0c7e147", refusal, StringComparison.Ordinal);
        Assert.EndsWith(HowToFix, refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_OtherGgmlVersion_RefusesNamingBothVersions()
    {
        // The npm build of node-llama-cpp 3.22.1 (llama.cpp "v0.5.0") reports ggml 0.25.1 and exports every function we call.
        var refusal = NativeCompatibility.Describe("0.25.1", [], "/old/npm", HowToFix);

        Assert.NotNull(refusal);
        Assert.Contains("'0.25.1'", refusal, StringComparison.Ordinal);
        Assert.Contains("'0.18.0'", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("lack", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_ExpectedVersionNothingMissing_Accepts()
    {
        Assert.Null(NativeCompatibility.Describe(NativeCompatibility.GgmlVersion, [], "/ok", HowToFix));
    }
}
