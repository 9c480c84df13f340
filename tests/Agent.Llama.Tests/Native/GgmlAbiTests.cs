using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Tests.Native;

/// <summary>
/// Sizes and field offsets of the ggml / ggml-opt / llama_opt mirrors, from build/abi/abi-offsets.c run against the
/// llama.cpp c0c7e147 headers. A llama.cpp upgrade that moves a field must fail here, not corrupt memory.
/// </summary>
public class GgmlAbiTests
{
    public GgmlAbiTests() => LlamaRuntime.EnsureInitialized();

    [Theory]
    [InlineData(nameof(GgmlOptParams.backend_sched), 0)]
    [InlineData(nameof(GgmlOptParams.ctx_compute), 8)]
    [InlineData(nameof(GgmlOptParams.inputs), 16)]
    [InlineData(nameof(GgmlOptParams.outputs), 24)]
    [InlineData(nameof(GgmlOptParams.loss_type), 32)]
    [InlineData(nameof(GgmlOptParams.build_type), 36)]
    [InlineData(nameof(GgmlOptParams.opt_period), 40)]
    [InlineData(nameof(GgmlOptParams.get_opt_pars), 48)]
    [InlineData(nameof(GgmlOptParams.get_opt_pars_ud), 56)]
    [InlineData(nameof(GgmlOptParams.optimizer), 64)]
    public void GgmlOptParams_Field_MatchesHeaderOffset(string field, int offset)
    {
        Assert.Equal(72, Marshal.SizeOf<GgmlOptParams>());
        Assert.Equal(offset, (int)Marshal.OffsetOf<GgmlOptParams>(field));
    }

    [Theory]
    [InlineData(nameof(GgmlOptOptimizerParams.adamw_alpha), 0)]
    [InlineData(nameof(GgmlOptOptimizerParams.adamw_beta1), 4)]
    [InlineData(nameof(GgmlOptOptimizerParams.adamw_beta2), 8)]
    [InlineData(nameof(GgmlOptOptimizerParams.adamw_eps), 12)]
    [InlineData(nameof(GgmlOptOptimizerParams.adamw_wd), 16)]
    [InlineData(nameof(GgmlOptOptimizerParams.sgd_alpha), 20)]
    [InlineData(nameof(GgmlOptOptimizerParams.sgd_wd), 24)]
    public void GgmlOptOptimizerParams_Field_MatchesHeaderOffset(string field, int offset)
    {
        Assert.Equal(28, Marshal.SizeOf<GgmlOptOptimizerParams>());
        Assert.Equal(offset, (int)Marshal.OffsetOf<GgmlOptOptimizerParams>(field));
    }

    [Theory]
    [InlineData(nameof(LlamaOptParams.n_ctx_train), 0)]
    [InlineData(nameof(LlamaOptParams.param_filter), 8)]
    [InlineData(nameof(LlamaOptParams.param_filter_ud), 16)]
    [InlineData(nameof(LlamaOptParams.get_opt_pars), 24)]
    [InlineData(nameof(LlamaOptParams.get_opt_pars_ud), 32)]
    [InlineData(nameof(LlamaOptParams.optimizer_type), 40)]
    public void LlamaOptParams_Field_MatchesHeaderOffset(string field, int offset)
    {
        Assert.Equal(48, Marshal.SizeOf<LlamaOptParams>());
        Assert.Equal(offset, (int)Marshal.OffsetOf<LlamaOptParams>(field));
    }

    [Fact]
    public void GgmlTensorLayout_Offsets_MatchHeader()
    {
        int[] actual =
        [
            GgmlTensorLayout.Size, GgmlTensorLayout.Type, GgmlTensorLayout.Buffer, GgmlTensorLayout.Ne, GgmlTensorLayout.Nb, GgmlTensorLayout.Op,
            GgmlTensorLayout.Flags, GgmlTensorLayout.Src, GgmlTensorLayout.ViewSrc, GgmlTensorLayout.ViewOffs, GgmlTensorLayout.Data, GgmlTensorLayout.Name,
        ];
        Assert.Equal([336, 0, 8, 16, 48, 80, 148, 152, 232, 240, 248, 256], actual);
        Assert.Equal((nuint)(GgmlTensorLayout.Size + 32), NativeMethods.ggml_tensor_overhead()); // tensor + ggml_object header
    }

    [Fact]
    public unsafe void GgmlTensorLayout_ReadsWhatGgmlWrote()
    {
        var context = NativeMethods.ggml_init(new GgmlInitParams { mem_size = 4 * NativeMethods.ggml_tensor_overhead() + 4096, no_alloc = 0 });
        try
        {
            var a = NativeMethods.ggml_new_tensor_3d(context, 26, 5, 3, 2);
            NativeMethods.ggml_set_name(a, "probe");
            NativeMethods.ggml_set_param(a);
            var view = NativeMethods.ggml_view_1d(context, a, 4, 8);

            Assert.Equal(26, GgmlTensorLayout.ReadType(a));
            Assert.Equal([5L, 3, 2, 1], Enumerable.Range(0, 4).Select(i => GgmlTensorLayout.ReadNe(a, i)));
            Assert.Equal([4UL, 20, 60, 120], Enumerable.Range(0, 4).Select(i => GgmlTensorLayout.ReadNb(a, i)));
            Assert.Equal((IntPtr)NativeMethods.ggml_get_data(a), GgmlTensorLayout.ReadData(a));
            Assert.Equal(NativeMethods.ggml_get_name(a), a + GgmlTensorLayout.Name);
            Assert.Equal(GgmlTensorLayout.FlagParam, GgmlTensorLayout.ReadFlags(a) & GgmlTensorLayout.FlagParam);
            Assert.Equal(0, GgmlTensorLayout.ReadOp(a));
            Assert.NotEqual(0, GgmlTensorLayout.ReadOp(view));
            Assert.Equal(a, GgmlTensorLayout.ReadSrc(view, 0));
            Assert.Equal(a, GgmlTensorLayout.ReadViewSrc(view));
            Assert.Equal(8UL, GgmlTensorLayout.ReadViewOffs(view));
        }
        finally
        {
            NativeMethods.ggml_free(context);
        }
    }

    [Fact]
    public unsafe void GgmlOptDefaults_ReadThroughMirrors_AreGgmlDefaults()
    {
        var optimizer = NativeMethods.ggml_opt_get_default_optimizer_params(null);
        Assert.Equal(0.001f, optimizer.adamw_alpha);
        Assert.Equal(0.9f, optimizer.adamw_beta1);
        Assert.Equal(0.999f, optimizer.adamw_beta2);
        Assert.Equal(1e-8f, optimizer.adamw_eps);
        Assert.Equal(0f, optimizer.adamw_wd);
        Assert.Equal(0.001f, optimizer.sgd_alpha);

        using var backend = Agent.Llama.Ggml.GgmlBackend.Cpu(1);
        using var scheduler = new Agent.Llama.Ggml.GgmlScheduler([backend]);
        var parameters = NativeMethods.ggml_opt_default_params(scheduler.Handle, 2);
        Assert.Equal(scheduler.Handle.Pointer, parameters.backend_sched);
        Assert.Equal(IntPtr.Zero, parameters.ctx_compute);
        Assert.Equal(2, parameters.loss_type);
        Assert.Equal(30, parameters.build_type);
        Assert.Equal(1, parameters.opt_period);
        Assert.True(parameters.get_opt_pars != null);
        Assert.Equal(0, parameters.optimizer);
    }

    [Theory]
    [InlineData(1, "f16", 1L, 2L, false)]    // GGML_TYPE_F16
    [InlineData(8, "q8_0", 32L, 34L, true)]  // GGML_TYPE_Q8_0
    public unsafe void TypeTraits_ReadAtMirroredOffsets_AreGgmlsTraits(int type, string name, long blockSize, long typeSize, bool quantized)
    {
        // struct ggml_type_traits: type_name (0), blck_size (8), blck_size_interleave (16), type_size (24), is_quantized (32),
        // to_float (TypeTraitsToFloatOffset = 40): read back from ggml itself, so a moved field fails here, not in a conversion.
        LlamaRuntime.EnsureInitialized();
        var traits = (byte*)NativeMethods.ggml_get_type_traits(type);

        Assert.Equal(name, Marshal.PtrToStringUTF8(*(IntPtr*)traits));
        Assert.Equal(blockSize, *(long*)(traits + 8));
        Assert.Equal(typeSize, *(long*)(traits + 24));
        Assert.Equal(quantized, *(traits + 32) != 0);
        Assert.Equal(40, NativeMethods.TypeTraitsToFloatOffset);
        Assert.NotEqual(IntPtr.Zero, *(IntPtr*)(traits + NativeMethods.TypeTraitsToFloatOffset));
    }
}
