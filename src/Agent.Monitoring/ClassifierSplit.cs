namespace Agent.Monitoring;

/// <summary>Where a labelled action belongs: heads are fitted on train, thresholds and the L2 strength picked on validation, test only reported.</summary>
public enum ClassifierSplit
{
    /// <summary>Fits the heads.</summary>
    Train,

    /// <summary>Picks the regularisation and the thresholds.</summary>
    Validation,

    /// <summary>Only reported.</summary>
    Test,

    /// <summary>Items written independently of the corpus's templates (e.g. <c>models/eval/independent-items.jsonl</c>):
    /// only reported, never fitted or thresholded on.</summary>
    Independent,
}
