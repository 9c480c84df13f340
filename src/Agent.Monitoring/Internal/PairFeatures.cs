namespace Agent.Monitoring.Internal;

/// <summary>
/// The features a head reads: <c>[e(context); e(action); e(context) * e(action); |e(context) - e(action)|]</c>, the
/// classic sentence-pair layout (InferSent): the two texts, what they share and where they differ; then the
/// <see cref="AgreementFeatures"/> of the action against its context (a literal comparison the embeddings cannot make).
/// </summary>
internal static class PairFeatures
{
    public const string Layout = "context;action;context*action;|context-action|;" + AgreementFeatures.Layout;

    public static int Length(int dimension) => (4 * dimension) + AgreementFeatures.Count;

    public static float[] Build(ReadOnlySpan<float> context, ReadOnlySpan<float> action, ClassifierInput input)
    {
        var d = context.Length;
        var features = new float[Length(d)];
        context.CopyTo(features);
        action.CopyTo(features.AsSpan(d));
        System.Numerics.Tensors.TensorPrimitives.Multiply(context, action, features.AsSpan(2 * d, d));
        System.Numerics.Tensors.TensorPrimitives.Subtract(context, action, features.AsSpan(3 * d, d));
        System.Numerics.Tensors.TensorPrimitives.Abs(features.AsSpan(3 * d, d), features.AsSpan(3 * d, d));
        AgreementFeatures.Write(input, System.Numerics.Tensors.TensorPrimitives.Dot(context, action), features.AsSpan(4 * d));
        return features;
    }
}
