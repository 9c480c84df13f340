using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>llama.h imports (llama.cpp commit c0c7e147). Names follow llama.cpp; see <see cref="LibraryNames"/> for which file loads.</summary>
internal static unsafe partial class NativeMethods
{
    // ---- backend and system ----
    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_backend_init();

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_backend_free();

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_print_system_info();

    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_supports_gpu_offload();

    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_supports_mmap();

    [LibraryImport(LibraryNames.Llama)]
    public static partial nuint llama_max_devices();

    [LibraryImport(LibraryNames.Llama)]
    public static partial nuint llama_max_parallel_sequences();

    [LibraryImport(LibraryNames.Llama)]
    public static partial long llama_time_us();

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_log_set(delegate* unmanaged[Cdecl]<int, byte*, void*, void> callback, void* userData);

    // ---- model ----
    [LibraryImport(LibraryNames.Llama)]
    public static partial LlamaModelParams llama_model_default_params();

    [LibraryImport(LibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeLlamaModelHandle llama_model_load_from_file(string path, LlamaModelParams parameters);

    [LibraryImport(LibraryNames.Llama)]
    public static partial SafeLlamaModelHandle llama_model_init_from_user(IntPtr ggufMetadata, delegate* unmanaged[Cdecl]<IntPtr, void*, void> setTensorData, void* userData, LlamaModelParams parameters);

    [LibraryImport(LibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void llama_model_save_to_file(SafeLlamaModelHandle model, string path);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_model_free(IntPtr model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_n_ctx_train(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_n_embd(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_n_layer(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_n_head(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_n_head_kv(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_rope_type(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial ulong llama_model_size(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial ulong llama_model_n_params(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_desc(SafeLlamaModelHandle model, byte* buffer, nuint bufferSize);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_meta_count(SafeLlamaModelHandle model);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_meta_key_by_index(SafeLlamaModelHandle model, int index, byte* buffer, nuint bufferSize);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_model_meta_val_str_by_index(SafeLlamaModelHandle model, int index, byte* buffer, nuint bufferSize);

    [LibraryImport(LibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int llama_model_meta_val_str(SafeLlamaModelHandle model, string key, byte* buffer, nuint bufferSize);

    // ---- vocab (the vocab pointer is owned by its model) ----
    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_vocab_type(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_vocab_n_tokens(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_vocab_get_text(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_vocab_get_attr(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_control(IntPtr vocab, int token);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_vocab_bos(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_vocab_eos(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_vocab_eot(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_vocab_nl(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_get_add_bos(IntPtr vocab);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_tokenize(IntPtr vocab, byte* text, int textLength, int* tokens, int maxTokens, [MarshalAs(UnmanagedType.U1)] bool addSpecial, [MarshalAs(UnmanagedType.U1)] bool parseSpecial);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_token_to_piece(IntPtr vocab, int token, byte* buffer, int length, int lstrip, [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_detokenize(IntPtr vocab, int* tokens, int tokenCount, byte* text, int textLengthMax, [MarshalAs(UnmanagedType.U1)] bool removeSpecial, [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);

    // ---- context ----
    [LibraryImport(LibraryNames.Llama)]
    public static partial LlamaContextParams llama_context_default_params();

    [LibraryImport(LibraryNames.Llama)]
    public static partial SafeLlamaContextHandle llama_init_from_model(SafeLlamaModelHandle model, LlamaContextParams parameters);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_free(IntPtr context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial uint llama_n_ctx(SafeLlamaContextHandle context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial uint llama_n_batch(SafeLlamaContextHandle context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial uint llama_n_ubatch(SafeLlamaContextHandle context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial uint llama_n_seq_max(SafeLlamaContextHandle context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_set_n_threads(SafeLlamaContextHandle context, int threads, int threadsBatch);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_n_threads(SafeLlamaContextHandle context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_decode(SafeLlamaContextHandle context, LlamaBatchNative batch);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_synchronize(SafeLlamaContextHandle context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial float* llama_get_logits_ith(SafeLlamaContextHandle context, int index);

    [LibraryImport(LibraryNames.Llama)]
    public static partial float* llama_get_embeddings_ith(SafeLlamaContextHandle context, int index);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_set_embeddings(SafeLlamaContextHandle context, [MarshalAs(UnmanagedType.U1)] bool embeddings);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_get_memory(SafeLlamaContextHandle context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial LlamaPerfContextData llama_perf_context(SafeLlamaContextHandle context);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_perf_context_reset(SafeLlamaContextHandle context);

    // ---- batch ----
    [LibraryImport(LibraryNames.Llama)]
    public static partial LlamaBatchNative llama_batch_init(int tokens, int embd, int maxSequences);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_batch_free(LlamaBatchNative batch);

    // ---- memory (KV cache) ----
    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_memory_clear(IntPtr memory, [MarshalAs(UnmanagedType.U1)] bool data);

    [LibraryImport(LibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_memory_seq_rm(IntPtr memory, int sequence, int p0, int p1);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_memory_seq_cp(IntPtr memory, int source, int destination, int p0, int p1);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_memory_seq_keep(IntPtr memory, int sequence);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_memory_seq_pos_min(IntPtr memory, int sequence);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_memory_seq_pos_max(IntPtr memory, int sequence);

    // ---- state ----
    [LibraryImport(LibraryNames.Llama)]
    public static partial nuint llama_state_seq_get_size(SafeLlamaContextHandle context, int sequence);

    [LibraryImport(LibraryNames.Llama)]
    public static partial nuint llama_state_seq_get_data(SafeLlamaContextHandle context, byte* destination, nuint size, int sequence);

    [LibraryImport(LibraryNames.Llama)]
    public static partial nuint llama_state_seq_set_data(SafeLlamaContextHandle context, byte* source, nuint size, int destinationSequence);

    // ---- samplers ----
    [LibraryImport(LibraryNames.Llama)]
    public static partial LlamaSamplerChainParams llama_sampler_chain_default_params();

    [LibraryImport(LibraryNames.Llama)]
    public static partial SafeLlamaSamplerHandle llama_sampler_chain_init(LlamaSamplerChainParams parameters);

    /// <summary>Takes ownership of <paramref name="sampler"/>: pass a pointer that nothing else frees.</summary>
    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_sampler_chain_add(SafeLlamaSamplerHandle chain, IntPtr sampler);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_sampler_chain_n(SafeLlamaSamplerHandle chain);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_sampler_init_greedy();

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_sampler_init_dist(uint seed);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_sampler_init_temp(float temperature);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_sampler_init_top_k(int k);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_sampler_init_top_p(float p, nuint minKeep);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_sampler_init_min_p(float p, nuint minKeep);

    [LibraryImport(LibraryNames.Llama)]
    public static partial IntPtr llama_sampler_init_logit_bias(int vocabSize, int biasCount, LlamaLogitBias* biases);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_sampler_free(IntPtr sampler);

    [LibraryImport(LibraryNames.Llama)]
    public static partial int llama_sampler_sample(SafeLlamaSamplerHandle sampler, SafeLlamaContextHandle context, int index);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_sampler_apply(SafeLlamaSamplerHandle sampler, LlamaTokenDataArray* candidates);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_sampler_accept(SafeLlamaSamplerHandle sampler, int token);

    [LibraryImport(LibraryNames.Llama)]
    public static partial void llama_sampler_reset(SafeLlamaSamplerHandle sampler);
}
