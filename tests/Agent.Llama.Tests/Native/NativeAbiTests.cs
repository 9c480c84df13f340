using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Tests.Native;

/// <summary>
/// Sizes and field offsets of every mirrored struct, as printed by build/abi/abi-offsets.c compiled against the
/// llama.cpp v0.5.0 headers. A llama.cpp upgrade that moves a field fails here instead of corrupting memory.
/// </summary>
public class NativeAbiTests
{
    [Fact]
    public void LlamaModelParams_MatchesHeader()
    {
        Assert.Equal(80, Marshal.SizeOf<LlamaModelParams>());
        AssertOffsets<LlamaModelParams>(
            ("devices", 0), ("tensor_buft_overrides", 8), ("n_gpu_layers", 16), ("split_mode", 20), ("load_mode", 24),
            ("lazy_mode", 28), ("main_gpu", 32), ("tensor_split", 40), ("progress_callback", 48), ("progress_callback_user_data", 56),
            ("kv_overrides", 64), ("vocab_only", 72), ("check_tensors", 73), ("use_extra_bufts", 74), ("no_host", 75), ("no_alloc", 76), ("load_mtp", 77));
    }

    [Fact]
    public void LlamaContextParams_MatchesHeader()
    {
        Assert.Equal(160, Marshal.SizeOf<LlamaContextParams>());
        AssertOffsets<LlamaContextParams>(
            ("n_ctx", 0), ("n_batch", 4), ("n_ubatch", 8), ("n_seq_max", 12), ("n_rs_seq", 16), ("n_outputs_max", 20),
            ("n_outputs_max_per_seq", 24), ("n_threads", 28), ("n_threads_batch", 32), ("ctx_type", 36), ("rope_scaling_type", 40),
            ("pooling_type", 44), ("attention_type", 48), ("flash_attn_type", 52), ("rope_freq_base", 56), ("rope_freq_scale", 60),
            ("yarn_ext_factor", 64), ("yarn_attn_factor", 68), ("yarn_beta_fast", 72), ("yarn_beta_slow", 76), ("yarn_orig_ctx", 80),
            ("defrag_thold", 84), ("cb_eval", 88), ("cb_eval_user_data", 96), ("type_k", 104), ("type_v", 108), ("abort_callback", 112),
            ("abort_callback_data", 120), ("embeddings", 128), ("offload_kqv", 129), ("no_perf", 130), ("op_offload", 131), ("swa_full", 132),
            ("kv_unified", 133), ("samplers", 136), ("n_samplers", 144), ("ctx_other", 152));
    }

    [Fact]
    public void LlamaBatch_MatchesHeader()
    {
        Assert.Equal(56, Marshal.SizeOf<LlamaBatchNative>());
        AssertOffsets<LlamaBatchNative>(("n_tokens", 0), ("token", 8), ("embd", 16), ("pos", 24), ("n_seq_id", 32), ("seq_id", 40), ("logits", 48));
    }

    [Fact]
    public void SmallStructs_MatchHeader()
    {
        Assert.Equal(12, Marshal.SizeOf<LlamaTokenData>());
        AssertOffsets<LlamaTokenData>(("id", 0), ("logit", 4), ("p", 8));
        Assert.Equal(32, Marshal.SizeOf<LlamaTokenDataArray>());
        AssertOffsets<LlamaTokenDataArray>(("data", 0), ("size", 8), ("selected", 16), ("sorted", 24));
        Assert.Equal(8, Marshal.SizeOf<LlamaLogitBias>());
        AssertOffsets<LlamaLogitBias>(("token", 0), ("bias", 4));
        Assert.Equal(1, Marshal.SizeOf<LlamaSamplerChainParams>());
        Assert.Equal(48, Marshal.SizeOf<LlamaPerfContextData>());
        AssertOffsets<LlamaPerfContextData>(("t_start_ms", 0), ("t_load_ms", 8), ("t_p_eval_ms", 16), ("t_eval_ms", 24), ("n_p_eval", 32), ("n_eval", 36), ("n_reused", 40));
        Assert.Equal(24, Marshal.SizeOf<GgmlInitParams>());
        AssertOffsets<GgmlInitParams>(("mem_size", 0), ("mem_buffer", 8), ("no_alloc", 16));
        Assert.Equal(16, Marshal.SizeOf<GgufInitParams>());
        AssertOffsets<GgufInitParams>(("no_alloc", 0), ("ctx", 8));
    }

    [Fact]
    public void DefaultParams_FromLibrary_AreSane()
    {
        LlamaRuntime.EnsureInitialized();
        var model = NativeMethods.llama_model_default_params();
        var context = NativeMethods.llama_context_default_params();

        Assert.Equal(0, model.vocab_only);
        Assert.True(context.n_batch >= context.n_ubatch && context.n_ubatch > 0);
        Assert.Equal(1u, context.n_seq_max);
    }

    private static void AssertOffsets<T>(params (string Field, int Offset)[] expected)
    {
        foreach (var (field, offset) in expected)
        {
            Assert.True(offset == (int)Marshal.OffsetOf<T>(field), $"{typeof(T).Name}.{field}: expected offset {offset}, got {Marshal.OffsetOf<T>(field)}");
        }
    }
}
