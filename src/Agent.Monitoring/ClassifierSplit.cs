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
}
