using System.Numerics.Tensors;

namespace Agent.Decoding;

/// <summary>
/// Numerically stable log-sum-exp over a full logits row, vectorised with <see cref="TensorPrimitives"/>: two passes
/// (max, then the sum of exp(x - max) through a scratch buffer), so a tag's probability is exp(logit - lse) in O(1).
/// </summary>
public static class LogSoftmax
{
    /// <summary>log(sum(exp(logits))) computed stably. <paramref name="scratch"/> must be at least as long as the logits.</summary>
    public static double LogSumExp(ReadOnlySpan<float> logits, Span<float> scratch)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("The logits row is empty.", nameof(logits));
        }

        if (scratch.Length < logits.Length)
        {
            throw new ArgumentException("The scratch buffer is shorter than the logits row.", nameof(scratch));
        }

        var max = TensorPrimitives.Max(logits);
        if (!float.IsFinite(max))
        {
            return max;
        }

        var work = scratch[..logits.Length];
        TensorPrimitives.Subtract(logits, max, work);
        TensorPrimitives.Exp(work, work);
        double sum = TensorPrimitives.Sum<float>(work);
        return max + Math.Log(sum);
    }

    /// <summary>The probability of one token given the row's log-sum-exp.</summary>
    public static double Probability(ReadOnlySpan<float> logits, int token, double logSumExp) => Math.Exp(logits[token] - logSumExp);
}
