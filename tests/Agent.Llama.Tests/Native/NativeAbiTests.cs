using System.Runtime.InteropServices;
using Agent.Llama.Native;

namespace Agent.Llama.Tests.Native;

/// <summary>
/// Sizes and field offsets of every mirrored struct, as printed by build/abi/abi-offsets.c compiled against the
/// headers of llama.cpp commit c0c7e147, and the defaults the library itself writes read back through the mirrors.
/// A llama.cpp upgrade that moves a field fails here instead of corrupting memory.
/// </summary>
public class NativeAbiTests
{
    [Fact]
    public void LlamaModelParams_MatchesHeader()
    {
        Assert.Equal(72, Marshal.SizeOf<LlamaModelParams>());
        AssertOffsets<LlamaModelParams>(
            ("devices", 0), ("tensor_buft_overrides", 8), ("n_gpu_layers", 16), ("split_mode", 20), ("load_mode", 24),
            ("main_gpu", 28), ("tensor_split", 32), ("progress_callback", 40), ("progress_callback_user_data", 48),
            ("kv_overrides", 56), ("vocab_only", 64), ("check_tensors", 65), ("use_extra_bufts", 66), ("no_host", 67), ("no_alloc", 68), ("load_mtp", 69));
    }

    [Fact]
    public void LlamaContextParams_MatchesHeader()
    {
        Assert.Equal(160, Marshal.SizeOf<LlamaContextParams>());
        AssertOffsets<LlamaContextParams>(
            ("n_ctx", 0), ("n_batch", 4), ("n_ubatch", 8), ("n_seq_max", 12), ("n_rs_seq", 16), ("n_outputs_max", 20),
            ("n_threads", 24), ("n_threads_batch", 28), ("ctx_type", 32), ("rope_scaling_type", 36),
            ("pooling_type", 40), ("attention_type", 44), ("flash_attn_type", 48), ("rope_freq_base", 52), ("rope_freq_scale", 56),
            ("yarn_ext_factor", 60), ("yarn_attn_factor", 64), ("yarn_beta_fast", 68), ("yarn_beta_slow", 72), ("yarn_orig_ctx", 76),
            ("defrag_thold", 80), ("cb_eval", 88), ("cb_eval_user_data", 96), ("type_k", 104), ("type_v", 108), ("abort_callback", 112),
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
        Assert.Equal(16, Marshal.SizeOf<LlamaChatMessage>());
        AssertOffsets<LlamaChatMessage>(("role", 0), ("content", 8));
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

    [Fact]
    public void ModelDefaultParams_ReadThroughMirror_AreTheLibrarysDefaults()
    {
        // What llama_model_default_params() of c0c7e147 writes; a field read from the wrong offset shows here.
        LlamaRuntime.EnsureInitialized();
        var model = NativeMethods.llama_model_default_params();

        Assert.Equal(IntPtr.Zero, model.devices);
        Assert.Equal(-1, model.n_gpu_layers);
        Assert.Equal(1, model.split_mode);   // LLAMA_SPLIT_MODE_LAYER
        Assert.Equal(1, model.load_mode);    // LLAMA_LOAD_MODE_MMAP
        Assert.Equal(0, model.main_gpu);
        Assert.Equal(IntPtr.Zero, model.tensor_split);
        Assert.Equal(IntPtr.Zero, model.kv_overrides);
        Assert.Equal([0, 0, 1, 0, 0, 0], new[] { model.vocab_only, model.check_tensors, model.use_extra_bufts, model.no_host, model.no_alloc, model.load_mtp });
    }

    [Fact]
    public void ContextDefaultParams_ReadThroughMirror_AreTheLibrarysDefaults()
    {
        LlamaRuntime.EnsureInitialized();
        var context = NativeMethods.llama_context_default_params();

        Assert.Equal([512u, 2048u, 512u, 1u], new[] { context.n_ctx, context.n_batch, context.n_ubatch, context.n_seq_max });
        Assert.Equal(0u, context.n_rs_seq);
        Assert.Equal(0u, context.n_outputs_max);
        Assert.Equal(4, context.n_threads);      // GGML_DEFAULT_N_THREADS
        Assert.Equal(4, context.n_threads_batch);
        Assert.Equal(0, context.ctx_type);
        Assert.Equal([-1, -1, -1, -1], new[] { context.rope_scaling_type, context.pooling_type, context.attention_type, context.flash_attn_type });
        Assert.Equal([0f, 0f, -1f, -1f, -1f, -1f], new[] { context.rope_freq_base, context.rope_freq_scale, context.yarn_ext_factor, context.yarn_attn_factor, context.yarn_beta_fast, context.yarn_beta_slow });
        Assert.Equal(0u, context.yarn_orig_ctx);
        Assert.Equal(-1f, context.defrag_thold);
        Assert.Equal(IntPtr.Zero, context.cb_eval);
        Assert.Equal(1, context.type_k);         // GGML_TYPE_F16
        Assert.Equal(1, context.type_v);
        Assert.Equal(IntPtr.Zero, context.abort_callback);
        Assert.Equal([0, 1, 1, 1, 1, 0], new[] { context.embeddings, context.offload_kqv, context.no_perf, context.op_offload, context.swa_full, context.kv_unified });
        Assert.Equal(IntPtr.Zero, context.samplers);
        Assert.Equal(0u, context.n_samplers);
        Assert.Equal(IntPtr.Zero, context.ctx_other);
    }

    private static void AssertOffsets<T>(params (string Field, int Offset)[] expected)
    {
        foreach (var (field, offset) in expected)
        {
            Assert.True(offset == (int)Marshal.OffsetOf<T>(field), $"{typeof(T).Name}.{field}: expected offset {offset}, got {Marshal.OffsetOf<T>(field)}");
        }
    }
}
