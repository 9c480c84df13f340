// Prints the size and field offsets of every llama.cpp / ggml struct that crosses into the library: our own mirrors
// (ggml, gguf, ggml-opt, llama_opt) and the LLamaSharp 0.30.0 structs inference passes (model/context params, batch, ...).
// The figures are copied into tests/Agent.Llama.Tests/Native/NativeAbiTests.cs.
// Headers: llama.cpp at commit c0c7e147e7efa6c5858754b47259ba4880f8a906 (the commit of LLamaSharp.Backend.Cpu 0.30.0).
// Re-run after a llama.cpp upgrade:
//   gcc -I<llama.cpp>/include -I<llama.cpp>/ggml/include build/abi/abi-offsets.c -o /tmp/abi && /tmp/abi
// Changes from the previous natives (node-llama-cpp 3.22.1, llama.cpp "v0.5.0"): llama_model_params lost lazy_mode
// (80 -> 72 bytes, every later field 8 bytes earlier), llama_context_params lost n_outputs_max_per_seq (fields from
// n_threads to defrag_thold 4 bytes earlier; the same 160 bytes). Every other mirrored struct is unchanged.
#include <stddef.h>
#include <stdio.h>
#include "llama.h"
#include "ggml-opt.h"

#define S(T) printf("%s size %zu\n", #T, sizeof(T))
#define F(T, f) printf("  %s.%s %zu\n", #T, #f, offsetof(T, f))

int main(void) {
    S(struct llama_model_params);
    F(struct llama_model_params, devices); F(struct llama_model_params, tensor_buft_overrides);
    F(struct llama_model_params, n_gpu_layers); F(struct llama_model_params, split_mode);
    F(struct llama_model_params, load_mode);
    F(struct llama_model_params, main_gpu); F(struct llama_model_params, tensor_split);
    F(struct llama_model_params, progress_callback); F(struct llama_model_params, progress_callback_user_data);
    F(struct llama_model_params, kv_overrides); F(struct llama_model_params, vocab_only);
    F(struct llama_model_params, check_tensors); F(struct llama_model_params, use_extra_bufts);
    F(struct llama_model_params, no_host); F(struct llama_model_params, no_alloc); F(struct llama_model_params, load_mtp);

    S(struct llama_context_params);
    F(struct llama_context_params, n_ctx); F(struct llama_context_params, n_batch); F(struct llama_context_params, n_ubatch);
    F(struct llama_context_params, n_seq_max); F(struct llama_context_params, n_rs_seq); F(struct llama_context_params, n_outputs_max);
    F(struct llama_context_params, n_threads); F(struct llama_context_params, n_threads_batch);
    F(struct llama_context_params, ctx_type); F(struct llama_context_params, rope_scaling_type); F(struct llama_context_params, pooling_type);
    F(struct llama_context_params, attention_type); F(struct llama_context_params, flash_attn_type); F(struct llama_context_params, rope_freq_base);
    F(struct llama_context_params, rope_freq_scale); F(struct llama_context_params, yarn_ext_factor); F(struct llama_context_params, yarn_attn_factor);
    F(struct llama_context_params, yarn_beta_fast); F(struct llama_context_params, yarn_beta_slow); F(struct llama_context_params, yarn_orig_ctx);
    F(struct llama_context_params, defrag_thold); F(struct llama_context_params, cb_eval); F(struct llama_context_params, cb_eval_user_data);
    F(struct llama_context_params, type_k); F(struct llama_context_params, type_v); F(struct llama_context_params, abort_callback);
    F(struct llama_context_params, abort_callback_data); F(struct llama_context_params, embeddings); F(struct llama_context_params, offload_kqv);
    F(struct llama_context_params, no_perf); F(struct llama_context_params, op_offload); F(struct llama_context_params, swa_full);
    F(struct llama_context_params, kv_unified); F(struct llama_context_params, samplers); F(struct llama_context_params, n_samplers);
    F(struct llama_context_params, ctx_other);

    S(struct llama_batch);
    F(struct llama_batch, n_tokens); F(struct llama_batch, token); F(struct llama_batch, embd); F(struct llama_batch, pos);
    F(struct llama_batch, n_seq_id); F(struct llama_batch, seq_id); F(struct llama_batch, logits);

    S(llama_token_data); F(llama_token_data, id); F(llama_token_data, logit); F(llama_token_data, p);
    S(llama_token_data_array); F(llama_token_data_array, data); F(llama_token_data_array, size);
    F(llama_token_data_array, selected); F(llama_token_data_array, sorted);
    S(llama_logit_bias); F(llama_logit_bias, token); F(llama_logit_bias, bias);
    S(llama_sampler_chain_params); F(llama_sampler_chain_params, no_perf);
    S(struct llama_perf_context_data);
    F(struct llama_perf_context_data, t_start_ms); F(struct llama_perf_context_data, t_load_ms); F(struct llama_perf_context_data, t_p_eval_ms);
    F(struct llama_perf_context_data, t_eval_ms); F(struct llama_perf_context_data, n_p_eval); F(struct llama_perf_context_data, n_eval);
    F(struct llama_perf_context_data, n_reused);
    S(struct llama_perf_sampler_data); F(struct llama_perf_sampler_data, t_sample_ms); F(struct llama_perf_sampler_data, n_sample);

    S(struct llama_opt_params);
    F(struct llama_opt_params, n_ctx_train); F(struct llama_opt_params, param_filter); F(struct llama_opt_params, param_filter_ud);
    F(struct llama_opt_params, get_opt_pars); F(struct llama_opt_params, get_opt_pars_ud); F(struct llama_opt_params, optimizer_type);

    S(struct ggml_init_params); F(struct ggml_init_params, mem_size); F(struct ggml_init_params, mem_buffer); F(struct ggml_init_params, no_alloc);
    S(struct gguf_init_params); F(struct gguf_init_params, no_alloc); F(struct gguf_init_params, ctx);
    S(struct ggml_backend_dev_props); F(struct ggml_backend_dev_props, name); F(struct ggml_backend_dev_props, description);
    F(struct ggml_backend_dev_props, memory_free); F(struct ggml_backend_dev_props, memory_total); F(struct ggml_backend_dev_props, type);
    F(struct ggml_backend_dev_props, device_id); F(struct ggml_backend_dev_props, caps);
    S(struct ggml_tensor); F(struct ggml_tensor, type); F(struct ggml_tensor, buffer); F(struct ggml_tensor, ne); F(struct ggml_tensor, nb);
    F(struct ggml_tensor, op); F(struct ggml_tensor, op_params); F(struct ggml_tensor, flags); F(struct ggml_tensor, src);
    F(struct ggml_tensor, view_src); F(struct ggml_tensor, view_offs); F(struct ggml_tensor, data); F(struct ggml_tensor, name);
    F(struct ggml_tensor, extra); F(struct ggml_tensor, padding);
    S(struct ggml_opt_result *); printf("GGML_MAX_SRC %d GGML_MAX_NAME %d GGML_MAX_OP_PARAMS %d GGML_DEFAULT_GRAPH_SIZE %d\n", GGML_MAX_SRC, GGML_MAX_NAME, GGML_MAX_OP_PARAMS, GGML_DEFAULT_GRAPH_SIZE);

    S(struct ggml_opt_optimizer_params);
    F(struct ggml_opt_optimizer_params, adamw); F(struct ggml_opt_optimizer_params, adamw.alpha); F(struct ggml_opt_optimizer_params, adamw.beta1);
    F(struct ggml_opt_optimizer_params, adamw.beta2); F(struct ggml_opt_optimizer_params, adamw.eps); F(struct ggml_opt_optimizer_params, adamw.wd);
    F(struct ggml_opt_optimizer_params, sgd); F(struct ggml_opt_optimizer_params, sgd.alpha); F(struct ggml_opt_optimizer_params, sgd.wd);
    S(struct ggml_opt_params);
    F(struct ggml_opt_params, backend_sched); F(struct ggml_opt_params, ctx_compute); F(struct ggml_opt_params, inputs);
    F(struct ggml_opt_params, outputs); F(struct ggml_opt_params, loss_type); F(struct ggml_opt_params, build_type);
    F(struct ggml_opt_params, opt_period); F(struct ggml_opt_params, get_opt_pars); F(struct ggml_opt_params, get_opt_pars_ud);
    F(struct ggml_opt_params, optimizer);
    return 0;
}
