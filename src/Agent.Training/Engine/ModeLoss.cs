using Agent.Llama.Ggml;

namespace Agent.Training.Engine;

/// <summary>
/// The loss of a model trained with a mode head, built into the step's graph: the language model's cross-entropy (what
/// ggml-opt computes itself without a head, same rows, same labels) plus the weight times the head's cross-entropy over
/// the labelled tokens, divided by the gradient accumulation as ggml-opt does for its own cross-entropy. Both terms are
/// graph outputs, read after the step so each is reported on its own.
/// </summary>
internal sealed class ModeLoss
{
    private static readonly int[] s_noRow = [0];
    private static readonly float[] s_noLabel = [1f, 0f];

    private readonly GgmlTensor _lmLoss;
    private readonly GgmlTensor _modeLoss;
    private readonly GgmlTensor _rows;
    private readonly GgmlTensor _labels;

    private ModeLoss(GgmlTensor lmLabels, GgmlTensor lmLoss, GgmlTensor modeLoss, GgmlTensor rows, GgmlTensor labels, GgmlTensor total)
    {
        LmLabels = lmLabels;
        _lmLoss = lmLoss;
        _modeLoss = modeLoss;
        _rows = rows;
        _labels = labels;
        Total = total;
    }

    /// <summary>The language model's one-hot labels [vocab, rows], written like ggml-opt's own.</summary>
    public GgmlTensor LmLabels { get; }

    /// <summary>The scalar the optimizer minimises.</summary>
    public GgmlTensor Total { get; }

    /// <summary>
    /// Builds the loss over <paramref name="lmLogits"/> [vocab, rows] and <paramref name="modeLogits"/> [2, T·B]. A batch
    /// without any labelled token keeps the graph's shape with one row whose term is multiplied by 0.
    /// </summary>
    public static ModeLoss Build(GgmlContext ctx, GgmlTensor lmLogits, GgmlTensor modeLogits, ModeLabels labels, float weight, int gradientAccumulation)
    {
        var lmLabels = ctx.NewTensor(GgmlType.F32, lmLogits.Shape[0], lmLogits.Shape[1]).SetName("lm_labels").SetInput();
        var lmLoss = ctx.CrossEntropyLoss(lmLogits, lmLabels).SetName("lm_loss").SetOutput();
        var count = Math.Max(1, labels.Rows.Length);
        var rows = ctx.NewTensor(GgmlType.I32, count).SetName("mode_rows").SetInput();
        var modeLabels = ctx.NewTensor(GgmlType.F32, 2, count).SetName("mode_labels").SetInput();
        var modeLoss = ctx.CrossEntropyLoss(ctx.GetRows(modeLogits, rows), modeLabels).SetName("mode_loss").SetOutput();
        var total = ctx.Add(lmLoss, ctx.Scale(modeLoss, labels.Rows.Length == 0 ? 0f : weight));
        if (gradientAccumulation > 1)
        {
            total = ctx.Scale(total, 1f / gradientAccumulation);
        }

        return new ModeLoss(lmLabels, lmLoss, modeLoss, rows, modeLabels, total);
    }

    /// <summary>Writes the head's rows and one-hot labels.</summary>
    public void SetInputs(ModeLabels labels)
    {
        if (labels.Rows.Length == 0)
        {
            _rows.SetData(s_noRow);
            _labels.SetData(s_noLabel);
            return;
        }

        _rows.SetData(labels.Rows);
        var oneHot = new float[2 * labels.Classes.Length];
        for (var i = 0; i < labels.Classes.Length; i++)
        {
            oneHot[(2 * i) + labels.Classes[i]] = 1f;
        }

        _labels.SetData(oneHot);
    }

    /// <summary>The language model's and the head's cross-entropy of the step just computed.</summary>
    public (double Lm, double Mode) Read() => (_lmLoss.ToArray<float>()[0], _modeLoss.ToArray<float>()[0]);
}
