using System.Runtime.InteropServices;

namespace Agent.Llama.Native;

/// <summary>
/// ggml.h imports for building compute graphs: tensor creation and flags, context inspection, and the ops a llama
/// forward pass and its loss need (libggml-base). Every op aborts the process on a shape or type it does not accept:
/// <c>Agent.Llama.Ggml.GgmlContext</c> checks those rules in managed code before it calls one of these.
/// </summary>
internal static unsafe partial class NativeMethods
{
    // ---- context and tensors ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_used_mem(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_get_mem_size(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_graph_overhead();

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_graph_overhead_custom(nuint size, [MarshalAs(UnmanagedType.U1)] bool grads);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_row_size(int type, long ne);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial nuint ggml_type_size(int type);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial long ggml_blck_size(int type);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_type_name(int type);

    [LibraryImport(LibraryNames.GgmlBase)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ggml_is_contiguous(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ggml_is_contiguous_1(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool ggml_is_transposed(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_new_tensor_1d(IntPtr context, int type, long ne0);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_new_tensor_2d(IntPtr context, int type, long ne0, long ne1);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_new_tensor_3d(IntPtr context, int type, long ne0, long ne1, long ne2);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_new_tensor_4d(IntPtr context, int type, long ne0, long ne1, long ne2, long ne3);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_get_first_tensor(IntPtr context);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_get_next_tensor(IntPtr context, IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_set_input(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_set_output(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_set_param(IntPtr tensor);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial void ggml_set_loss(IntPtr tensor);

    // ---- ops ----
    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_dup(IntPtr context, IntPtr a);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_cpy(IntPtr context, IntPtr a, IntPtr b);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_cont(IntPtr context, IntPtr a);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_add(IntPtr context, IntPtr a, IntPtr b);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_mul(IntPtr context, IntPtr a, IntPtr b);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_scale(IntPtr context, IntPtr a, float s);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_sum(IntPtr context, IntPtr a);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_mean(IntPtr context, IntPtr a);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_silu(IntPtr context, IntPtr a);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_swiglu_split(IntPtr context, IntPtr a, IntPtr b);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_rms_norm(IntPtr context, IntPtr a, float eps);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_mul_mat(IntPtr context, IntPtr a, IntPtr b);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_get_rows(IntPtr context, IntPtr a, IntPtr b);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_reshape_2d(IntPtr context, IntPtr a, long ne0, long ne1);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_reshape_3d(IntPtr context, IntPtr a, long ne0, long ne1, long ne2);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_reshape_4d(IntPtr context, IntPtr a, long ne0, long ne1, long ne2, long ne3);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_view_1d(IntPtr context, IntPtr a, long ne0, nuint offset);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_view_2d(IntPtr context, IntPtr a, long ne0, long ne1, nuint nb1, nuint offset);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_view_3d(IntPtr context, IntPtr a, long ne0, long ne1, long ne2, nuint nb1, nuint nb2, nuint offset);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_view_4d(IntPtr context, IntPtr a, long ne0, long ne1, long ne2, long ne3, nuint nb1, nuint nb2, nuint nb3, nuint offset);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_permute(IntPtr context, IntPtr a, int axis0, int axis1, int axis2, int axis3);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_transpose(IntPtr context, IntPtr a);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_diag_mask_inf(IntPtr context, IntPtr a, int nPast);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_soft_max_ext(IntPtr context, IntPtr a, IntPtr mask, float scale, float maxBias);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_rope_ext(
        IntPtr context, IntPtr a, IntPtr positions, IntPtr frequencyFactors, int nDims, int mode, int nCtxOrig,
        float freqBase, float freqScale, float extFactor, float attnFactor, float betaFast, float betaSlow);

    [LibraryImport(LibraryNames.GgmlBase)]
    public static partial IntPtr ggml_cross_entropy_loss(IntPtr context, IntPtr logits, IntPtr labels);
}
