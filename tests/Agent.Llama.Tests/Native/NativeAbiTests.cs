using System.Runtime.InteropServices;
using Agent.Llama.Native;
using LLama.Native;

namespace Agent.Llama.Tests.Native;

/// <summary>
/// Sizes and field offsets of every struct that crosses into llama.cpp, ours (ggml / gguf) and LLamaSharp's, as printed by
/// build/abi/abi-offsets.c compiled against the headers of llama.cpp commit c0c7e147, and the defaults the library itself
/// writes read back through LLamaSharp's structs.
/// A llama.cpp upgrade that moves a field fails here instead of corrupting memory.
/// </summary>
public class NativeAbiTests
{
    // LLamaSharp 0.30.0's structs are passed by value into llama.cpp (model and context params, the batch) or read back
    // from it: the same figures of the c0c7e147 headers hold them, so a LLamaSharp package whose structs do not fit the
    // natives fails here. LLamaSharp's names differ from llama.h's where it renamed a field (context_type for ctx_type,
    // _embeddings for embeddings, ...); the offsets are llama.h's.
    [Fact]
    public void LLamaModelParams_MatchesHeader()
    {
        Assert.Equal(72, Marshal.SizeOf<LLamaModelParams>());
        AssertOffsets<LLamaModelParams>(
            ("devices", 0), ("tensor_buft_overrides", 8), ("n_gpu_layers", 16), ("split_mode", 20), ("load_mode", 24),
            ("main_gpu", 28), ("tensor_split", 32), ("progress_callback", 40), ("progress_callback_user_data", 48),
            ("kv_overrides", 56), ("_vocab_only", 64), ("_check_tensors", 65), ("_use_extra_bufts", 66), ("_no_host", 67), ("_no_alloc", 68), ("_load_mtp", 69));
    }

    [Fact]
    public void LLamaContextParams_MatchesHeader()
    {
        Assert.Equal(160, Marshal.SizeOf<LLamaContextParams>());
        AssertOffsets<LLamaContextParams>(
            ("n_ctx", 0), ("n_batch", 4), ("n_ubatch", 8), ("n_seq_max", 12), ("n_rs_seq", 16), ("n_outputs_max", 20),
            ("n_threads", 24), ("n_threads_batch", 28), ("context_type", 32), ("rope_scaling_type", 36),
            ("llama_pooling_type", 40), ("attention_type", 44), ("llama_flash_attn_type", 48), ("rope_freq_base", 52), ("rope_freq_scale", 56),
            ("yarn_ext_factor", 60), ("yarn_attn_factor", 64), ("yarn_beta_fast", 68), ("yarn_beta_slow", 72), ("yarn_orig_ctx", 76),
            ("defrag_threshold", 80), ("cb_eval", 88), ("cb_eval_user_data", 96), ("type_k", 104), ("type_v", 108), ("abort_callback", 112),
            ("abort_callback_user_data", 120), ("_embeddings", 128), ("_offload_kqv", 129), ("_no_perf", 130), ("_op_offload", 131), ("_swa_full", 132),
            ("_kv_unified", 133), ("samplers", 136), ("n_samplers", 144), ("ctx_other", 152));
    }

    [Fact]
    public void LLamaNativeBatch_MatchesHeader()
    {
        Assert.Equal(56, Marshal.SizeOf<LLamaNativeBatch>());
        AssertOffsets<LLamaNativeBatch>(("n_tokens", 0), ("tokens", 8), ("embd", 16), ("pos", 24), ("n_seq_id", 32), ("seq_id", 40), ("logits", 48));
    }

    [Fact]
    public void SmallStructs_MatchHeader()
    {
        Assert.Equal(12, Marshal.SizeOf<LLamaTokenData>());
        AssertOffsets<LLamaTokenData>(("ID", 0), ("Logit", 4), ("Probability", 8));
        Assert.Equal(32, Marshal.SizeOf<LLamaTokenDataArrayNative>());
        AssertOffsets<LLamaTokenDataArrayNative>(("_data", 0), ("_size", 8), ("_selected", 16), ("_sorted", 24));
        Assert.Equal(8, Marshal.SizeOf<LLamaLogitBias>());
        AssertOffsets<LLamaLogitBias>(("Token", 0), ("Bias", 4));
        Assert.Equal(1, Marshal.SizeOf<LLamaSamplerChainParams>());
        Assert.Equal(48, Marshal.SizeOf<LLamaPerfContextTimings>());
        AssertOffsets<LLamaPerfContextTimings>(("t_start_ms", 0), ("t_load_ms", 8), ("t_p_eval_ms", 16), ("t_eval_ms", 24), ("n_p_eval", 32), ("n_eval", 36), ("n_reused", LlamaContext.PerfReusedOffset));
        Assert.Equal(16, Marshal.SizeOf<LLamaChatMessage>());
        AssertOffsets<LLamaChatMessage>(("role", 0), ("content", 8));
        Assert.Equal(24, Marshal.SizeOf<GgmlInitParams>());
        AssertOffsets<GgmlInitParams>(("mem_size", 0), ("mem_buffer", 8), ("no_alloc", 16));
        Assert.Equal(16, Marshal.SizeOf<GgufInitParams>());
        AssertOffsets<GgufInitParams>(("no_alloc", 0), ("ctx", 8));
    }

    [Fact]
    public unsafe void ModelDefaultParams_ReadThroughLLamaSharp_AreTheLibrarysDefaults()
    {
        // What llama_model_default_params() of c0c7e147 writes, read through LLamaSharp's struct: a field at the wrong
        // offset in the package shows here (use_mmap is load_mode MMAP at c0c7e147).
        LlamaRuntime.EnsureInitialized();
        var model = LLamaModelParams.Default();

        Assert.True(model.devices == null);
        Assert.Equal(-1, model.n_gpu_layers);
        Assert.Equal(1, (int)model.split_mode);   // LLAMA_SPLIT_MODE_LAYER
        Assert.Equal(LLamaLoadMode.MemoryMap, model.load_mode);
        Assert.Equal(0, model.main_gpu);
        Assert.True(model.tensor_split == null);
        Assert.True(model.kv_overrides == null);
        Assert.Equal([false, false, true, false, false, false], new[] { model.vocab_only, model.check_tensors, model.use_extra_bufts, model.no_host, model.no_alloc, model.load_mtp });
    }

    [Fact]
    public void ContextDefaultParams_ReadThroughLLamaSharp_AreTheLibrarysDefaults()
    {
        LlamaRuntime.EnsureInitialized();
        var context = LLamaContextParams.Default();

        Assert.Equal([512u, 2048u, 512u, 1u], new[] { context.n_ctx, context.n_batch, context.n_ubatch, context.n_seq_max });
        Assert.Equal(0u, context.n_rs_seq);
        Assert.Equal(0u, context.n_outputs_max);
        Assert.Equal(4, context.n_threads);      // GGML_DEFAULT_N_THREADS
        Assert.Equal(4, context.n_threads_batch);
        Assert.Equal(0, (int)context.context_type);
        Assert.Equal([-1, -1, -1, -1], new[] { (int)context.rope_scaling_type, (int)context.llama_pooling_type, (int)context.attention_type, (int)context.llama_flash_attn_type });
        Assert.Equal([0f, 0f, -1f, -1f, -1f, -1f], new[] { context.rope_freq_base, context.rope_freq_scale, context.yarn_ext_factor, context.yarn_attn_factor, context.yarn_beta_fast, context.yarn_beta_slow });
        Assert.Equal(0u, context.yarn_orig_ctx);
        Assert.Equal(-1f, context.defrag_threshold);
        Assert.Equal(IntPtr.Zero, context.cb_eval);
        Assert.Equal(1, (int)context.type_k);    // GGML_TYPE_F16
        Assert.Equal(1, (int)context.type_v);
        Assert.Equal(IntPtr.Zero, context.abort_callback);
        Assert.Equal([false, true, true, true, true, false], new[] { context.embeddings, context.offload_kqv, context.no_perf, context.op_offload, context.swa_full, context.kv_unified });
        Assert.Equal(IntPtr.Zero, context.samplers);
        Assert.Equal(0u, (uint)context.n_samplers);
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
