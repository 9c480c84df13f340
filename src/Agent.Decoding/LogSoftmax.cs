using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Agent.Decoding;

/// <summary>
/// Numerically stable log-sum-exp over a full logits row, so a tag's probability is exp(logit - lse) in O(1).
/// Two read-only SIMD passes and no scratch memory: the first finds the maximum (and the index of its first occurrence,
/// which greedy selection reuses), the second sums exp(x - max) with a float exponential (Cody-Waite range reduction and a
/// degree-6 polynomial, relative error about 1e-7) accumulated in double precision, so the result stays within 1e-6 of
/// a double-precision reference up to a 256k-token vocabulary. Rows holding NaN go through the reference path.
/// </summary>
public static class LogSoftmax
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    private const float MinExponent = -87.3f; // exp below this is under 2^-126: a negligible term next to exp(0) = 1

    /// <summary>log(sum(exp(logits))) computed stably. <paramref name="scratch"/> is not needed any more and is left untouched.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits, Span<float> scratch)
    {
        if (scratch.Length < logits.Length)
        {
            throw new ArgumentException("The scratch buffer is shorter than the logits row.", nameof(scratch));
        }

        return LogSumExp(logits);
    }

    /// <summary>log(sum(exp(logits))) computed stably.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits) => LogSumExp(logits, out _);

    /// <summary>
    /// log(sum(exp(logits))) computed stably, and the index of the first largest logit (what greedy selection picks, as
    /// <see cref="TensorPrimitives.IndexOfMax{T}(ReadOnlySpan{T})"/> would) found in the same pass.
    /// </summary>
    public static double LogSumExp(ReadOnlySpan<float> logits, out int indexOfMax)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("The logits row is empty.", nameof(logits));
        }

        var max = MaxWithIndex(logits, out indexOfMax);
        if (!float.IsFinite(max))
        {
            return float.IsNaN(max) ? Reference(logits, out indexOfMax) : max;
        }

        var sum = SumExp(logits, max);
        return double.IsNaN(sum) ? Reference(logits, out indexOfMax) : max + Math.Log(sum);
    }

    /// <summary>The probability of one token given the row's log-sum-exp.</summary>
    public static double Probability(ReadOnlySpan<float> logits, int token, double logSumExp) => Math.Exp(logits[token] - logSumExp);

    /// <summary>The straightforward path (NaN in the row): TensorPrimitives' max, exp and sum, NaN propagating.</summary>
    private static double Reference(ReadOnlySpan<float> logits, out int indexOfMax)
    {
        indexOfMax = TensorPrimitives.IndexOfMax(logits);
        var max = TensorPrimitives.Max(logits);
        if (!float.IsFinite(max))
        {
            return max;
        }

        var work = new float[logits.Length];
        TensorPrimitives.Subtract(logits, max, work);
        TensorPrimitives.Exp(work, work);
        return max + Math.Log(TensorPrimitives.Sum<float>(work));
    }

    /// <summary>The largest value (NaN ignored unless the row has nothing else) and the index of its first occurrence.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // SIMD loops: optimised from the first call, never tier-0
    private static float MaxWithIndex(ReadOnlySpan<float> x, out int index)
    {
        ref var start = ref MemoryMarshal.GetReference(x);
        var i = 0;
        var best = float.NaN;
        var bestIndex = -1;
        if (Vector512.IsHardwareAccelerated && x.Length >= 2 * Vector512<float>.Count)
        {
            var maxes = Vector512.LoadUnsafe(ref start);
            var indexes = Vector512<int>.Indices;
            var current = indexes;
            var step = Vector512.Create(Vector512<float>.Count);
            for (i = Vector512<float>.Count; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                current += step;
                var v = Vector512.LoadUnsafe(ref start, (nuint)i);
                var greater = Vector512.GreaterThan(v, maxes);
                maxes = Vector512.ConditionalSelect(greater, v, maxes);
                indexes = Vector512.ConditionalSelect(greater.AsInt32(), current, indexes);
            }

            (best, bestIndex) = Reduce(maxes.AsInt32(), indexes, Vector512<float>.Count);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= 2 * Vector256<float>.Count)
        {
            var maxes = Vector256.LoadUnsafe(ref start);
            var indexes = Vector256<int>.Indices;
            var current = indexes;
            var step = Vector256.Create(Vector256<float>.Count);
            for (i = Vector256<float>.Count; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                current += step;
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                var greater = Vector256.GreaterThan(v, maxes);
                maxes = Vector256.ConditionalSelect(greater, v, maxes);
                indexes = Vector256.ConditionalSelect(greater.AsInt32(), current, indexes);
            }

            (best, bestIndex) = Reduce(maxes.AsInt32().ToVector512(), indexes.ToVector512(), Vector256<float>.Count);
        }

        // The tail, and short rows; lanes hold earlier indexes than the tail, so '>' keeps the first occurrence.
        for (; i < x.Length; i++)
        {
            var v = Unsafe.Add(ref start, i);
            if (v > best || (float.IsNaN(best) && !float.IsNaN(v)))
            {
                best = v;
                bestIndex = i;
            }
        }

        index = bestIndex < 0 ? 0 : bestIndex;
        return best;
    }

    /// <summary>The per-lane maxima (as bits) reduced to one: the largest, and the smallest index among lanes that hold it.</summary>
    private static (float Max, int Index) Reduce(Vector512<int> maxBits, Vector512<int> indexes, int lanes)
    {
        var best = float.NaN;
        var bestIndex = -1;
        for (var lane = 0; lane < lanes; lane++)
        {
            var v = BitConverter.Int32BitsToSingle(maxBits[lane]);
            var at = indexes[lane];
            if (v > best || (float.IsNaN(best) && !float.IsNaN(v)) || (v == best && at < bestIndex))
            {
                best = v;
                bestIndex = at;
            }
        }

        return (best, bestIndex);
    }

    /// <summary>sum(exp(x - max)) in one read-only pass, the terms added in double precision.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumExp(ReadOnlySpan<float> x, float max)
    {
        ref var start = ref MemoryMarshal.GetReference(x);
        var i = 0;
        double sum = 0;
        if (Vector512.IsHardwareAccelerated && x.Length >= Vector512<float>.Count)
        {
            var m = Vector512.Create(max);
            var low = Vector512<double>.Zero;
            var high = Vector512<double>.Zero;
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var e = Exp(Vector512.LoadUnsafe(ref start, (nuint)i) - m);
                var (l, h) = Vector512.Widen(e);
                low += l;
                high += h;
            }

            sum = Vector512.Sum(low + high);
        }
        else if (Vector256.IsHardwareAccelerated && x.Length >= Vector256<float>.Count)
        {
            var m = Vector256.Create(max);
            var low = Vector256<double>.Zero;
            var high = Vector256<double>.Zero;
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var e = Exp(Vector256.LoadUnsafe(ref start, (nuint)i) - m);
                var (l, h) = Vector256.Widen(e);
                low += l;
                high += h;
            }

            sum = Vector256.Sum(low + high);
        }

        for (; i < x.Length; i++)
        {
            sum += Math.Exp(Unsafe.Add(ref start, i) - max);
        }

        return sum;
    }

    /// <summary>exp(d) for d &lt;= 0 (Cephes expf): d = n ln2 + r, |r| &lt;= ln2/2, exp(r) by polynomial, times 2^n. NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp(Vector512<float> d)
    {
        var nan = ~Vector512.Equals(d, d);
        d = Vector512.Max(d, Vector512.Create(MinExponent));
        var n = Vector512.Round(d * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), d);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(1.9875691500E-4f), r, Vector512.Create(1.3981999507E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073E-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894E-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459E-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201E-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n) + Vector512.Create(127), 23).AsSingle();
        return (p * scale) | nan;
    }

    /// <summary>The <see cref="Exp(Vector512{float})"/> kernel on 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Exp(Vector256<float> d)
    {
        var nan = ~Vector256.Equals(d, d);
        d = Vector256.Max(d, Vector256.Create(MinExponent));
        var n = Vector256.Round(d * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), d);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1.9875691500E-4f), r, Vector256.Create(1.3981999507E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073E-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894E-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459E-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201E-1f));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();
        return (p * scale) | nan;
    }
}
