namespace Agent.Monitoring.Internal;

/// <summary>
/// The features a head reads: <c>[e(context); e(action); e(context) * e(action); |e(context) - e(action)|]</c>, the
/// classic sentence-pair layout (InferSent): the two texts, what they share and where they differ.
/// </summary>
internal static class PairFeatures
{
    public const string Layout = "context;action;context*action;|context-action|";

    public static int Length(int dimension) => 4 * dimension;

    public static float[] Build(ReadOnlySpan<float> context, ReadOnlySpan<float> action)
    {
        var d = context.Length;
        var features = new float[4 * d];
        context.CopyTo(features);
        action.CopyTo(features.AsSpan(d));
        System.Numerics.Tensors.TensorPrimitives.Multiply(context, action, features.AsSpan(2 * d, d));
        System.Numerics.Tensors.TensorPrimitives.Subtract(context, action, features.AsSpan(3 * d, d));
        System.Numerics.Tensors.TensorPrimitives.Abs(features.AsSpan(3 * d, d), features.AsSpan(3 * d, d));
        return features;
    }
}
