using Agent.Llama.Native;

namespace Agent.Llama.Ggml;

/// <summary>Managed copies of the GGML_ASSERTs that ggml's graph-building functions would abort the process on.</summary>
internal static class GgmlChecks
{
    public static bool IsContiguous(IntPtr t) => NativeMethods.ggml_is_contiguous(t);

    public static long Ne(IntPtr t, int dim) => GgmlTensorLayout.ReadNe(t, dim);

    public static int Type(IntPtr t) => GgmlTensorLayout.ReadType(t);

    public static long Elements(IntPtr t) => Ne(t, 0) * Ne(t, 1) * Ne(t, 2) * Ne(t, 3);

    public static string Describe(IntPtr t) => $"[{Ne(t, 0)}, {Ne(t, 1)}, {Ne(t, 2)}, {Ne(t, 3)}]";

    public static string Named(IntPtr t)
    {
        var name = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeMethods.ggml_get_name(t));
        var type = (GgmlType)Type(t);
        return string.IsNullOrEmpty(name) ? $"{type} {Describe(t)}" : $"'{name}' {type} {Describe(t)}";
    }

    public static bool SameShape(IntPtr a, IntPtr b) =>
        Ne(a, 0) == Ne(b, 0) && Ne(a, 1) == Ne(b, 1) && Ne(a, 2) == Ne(b, 2) && Ne(a, 3) == Ne(b, 3);

    /// <summary>ggml_can_repeat(b, a): b broadcasts onto a.</summary>
    public static bool CanRepeat(IntPtr b, IntPtr a)
    {
        if (Elements(b) == 0)
        {
            return Elements(a) == 0;
        }

        for (var i = 0; i < 4; i++)
        {
            if (Ne(b, i) == 0 || Ne(a, i) % Ne(b, i) != 0)
            {
                return false;
            }
        }

        return true;
    }

    public static void RequireType(string op, string role, IntPtr t, params GgmlType[] allowed)
    {
        if (!allowed.Contains((GgmlType)Type(t)))
        {
            throw new GgmlShapeException($"{op}: {role} {Named(t)} must be of type {string.Join(" or ", allowed)}.");
        }
    }

    public static void RequireContiguous(string op, string role, IntPtr t)
    {
        if (!IsContiguous(t))
        {
            throw new GgmlShapeException($"{op}: {role} {Named(t)} must be contiguous; pass it through Cont first.");
        }
    }

    public static long[] CheckShape(ReadOnlySpan<long> shape)
    {
        if (shape.Length is < 1 or > GgmlTensorLayout.MaxDims)
        {
            throw new GgmlShapeException($"A ggml tensor has 1 to 4 dimensions; {shape.Length} were given.");
        }

        foreach (var extent in shape)
        {
            if (extent < 0)
            {
                throw new GgmlShapeException($"Tensor extents must be >= 0; got [{string.Join(", ", shape.ToArray())}].");
            }
        }

        return shape.ToArray();
    }
}
