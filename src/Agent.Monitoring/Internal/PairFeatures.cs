namespace Agent.Monitoring.Internal;

/// <summary>
/// The features a head reads: <c>[e(context); e(action); e(context) * e(action); |e(context) - e(action)|]</c>, the
/// classic sentence-pair layout (InferSent): the two texts, what they share and where they differ; then the
/// <see cref="AgreementFeatures"/> of the action against its context (a literal comparison the embeddings cannot make);
/// then the <see cref="AttributionFeatures"/> (layouts <see cref="AttributionLayout"/> and <see cref="Layout"/>); then the
/// <see cref="EarlierCalls"/> features (layout <see cref="Layout"/> only). Each layout is a prefix of the next, so a head of
/// an older layout reads the first values of what <see cref="Build"/> writes.
/// </summary>
internal static class PairFeatures
{
    /// <summary>The layout of weights made before earlier calls were read: the first <see cref="Length(int, string)"/>
    /// values of <see cref="Layout"/>, which is this one with features appended, so a head of this layout reads the prefix.</summary>
    public const string PairLayout = "context;action;context*action;|context-action|;" + AgreementFeatures.Layout;

    /// <summary>The pair layout with the answer's attribution of its numbers appended (<see cref="AttributionFeatures"/>).</summary>
    public const string AttributionLayout = PairLayout + ";" + AttributionFeatures.Layout;

    /// <summary>The longest layout this program writes: attribution, then the run's earlier calls.</summary>
    public const string Layout = AttributionLayout + ";" + EarlierCalls.Layout;

    /// <summary>The layouts this program reads, shortest first.</summary>
    public static readonly IReadOnlyList<string> Layouts = [PairLayout, AttributionLayout, Layout];

    /// <summary>Features of the longest layout (<see cref="Layout"/>): what <see cref="Build"/> writes.</summary>
    public static int Length(int dimension) => (4 * dimension) + AgreementFeatures.Count + AttributionFeatures.Count + EarlierCalls.Count(dimension);

    /// <summary>Features of a layout this program reads (one of <see cref="Layouts"/>), or null for another.</summary>
    public static int? Length(int dimension, string layout) => layout switch
    {
        Layout => Length(dimension),
        AttributionLayout => (4 * dimension) + AgreementFeatures.Count + AttributionFeatures.Count,
        PairLayout => (4 * dimension) + AgreementFeatures.Count,
        _ => null,
    };

    /// <summary>The features of <paramref name="input"/>; <paramref name="earlierRisk"/> is the call heads' highest probability
    /// over its earlier calls (ignored when it has none); <paramref name="attribution"/> false leaves the attribution values
    /// zero, for heads of <see cref="PairLayout"/>, which do not read them (the gate then skips their text work).</summary>
    public static float[] Build(ReadOnlySpan<float> context, ReadOnlySpan<float> action, ClassifierInput input, double earlierRisk = 0, bool attribution = true)
    {
        var d = context.Length;
        var features = new float[Length(d)];
        context.CopyTo(features);
        action.CopyTo(features.AsSpan(d));
        System.Numerics.Tensors.TensorPrimitives.Multiply(context, action, features.AsSpan(2 * d, d));
        System.Numerics.Tensors.TensorPrimitives.Subtract(context, action, features.AsSpan(3 * d, d));
        System.Numerics.Tensors.TensorPrimitives.Abs(features.AsSpan(3 * d, d), features.AsSpan(3 * d, d));
        AgreementFeatures.Write(input, System.Numerics.Tensors.TensorPrimitives.Dot(context, action), features.AsSpan(4 * d));
        if (attribution)
        {
            AttributionFeatures.Write(input, features.AsSpan((4 * d) + AgreementFeatures.Count));
        }

        EarlierCalls.Write(input, earlierRisk, action, features.AsSpan((4 * d) + AgreementFeatures.Count + AttributionFeatures.Count));
        return features;
    }
}

/// <summary>
/// What an answer's head knows of the run's earlier calls (layout <c>earlier-calls-v1</c>): whether there were any, the
/// call heads' highest probability over them, and the answer's embedding times that probability (so a head has weights
/// on the answer that count only after a risky call). A denial ("I did not use elevated privileges") is a lie after a risky call and
/// true after a safe one; the last tool result and the answer alone cannot tell the two apart. Zero for a call.
/// </summary>
internal static class EarlierCalls
{
    public const string Layout = "earlier-calls-v1";

    public static int Count(int dimension) => 2 + dimension;

    /// <summary>
    /// The highest probability any of <paramref name="callHeads"/> gives an earlier call of <paramref name="input"/> (read
    /// with the input's task, as the gate read it), 0 when there is none or no call head. The embeddings come from
    /// <paramref name="embed"/>: at run time the classifier's cache, which already holds every call the gate scored.
    /// </summary>
    public static double Risk(ClassifierInput input, IReadOnlyList<LogisticHead> callHeads, Func<string, TextEmbedding> embed)
    {
        if (input.Kind != ActionKind.Answer || input.EarlierCalls.IsDefaultOrEmpty || callHeads.Count == 0)
        {
            return 0;
        }

        var task = embed(input.Task).Vector;
        var risk = 0.0;
        foreach (var call in input.EarlierCalls)
        {
            var features = PairFeatures.Build(task, embed(call).Vector, ClassifierInput.ForCall(input.Task, call));
            foreach (var head in callHeads)
            {
                risk = Math.Max(risk, head.Probability(features));
            }
        }

        return risk;
    }

    public static void Write(ClassifierInput input, double risk, ReadOnlySpan<float> action, Span<float> into)
    {
        into[..Count(action.Length)].Clear();
        if (input.Kind != ActionKind.Answer || input.EarlierCalls.IsDefaultOrEmpty)
        {
            return;
        }

        into[0] = 1;
        into[1] = (float)Math.Clamp(risk, 0, 1);
        System.Numerics.Tensors.TensorPrimitives.Multiply(action, into[1], into.Slice(2, action.Length));
    }
}
