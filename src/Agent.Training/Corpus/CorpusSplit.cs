namespace Agent.Training.Corpus;

/// <summary>Which part of the corpus a document belongs to; assigned per template (see <see cref="CorpusGenerator"/>).</summary>
public enum CorpusSplit
{
    /// <summary>Training data.</summary>
    Train,

    /// <summary>Held out for model selection.</summary>
    Validation,

    /// <summary>Held out for final evaluation.</summary>
    Test,
}
