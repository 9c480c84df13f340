namespace Agent.Training.Tagging;

/// <summary>A part of the corpus that could not be read; the rest still loads.</summary>
/// <param name="File">The file.</param>
/// <param name="Line">1-based line number (0 for a whole file).</param>
/// <param name="Message">What was wrong.</param>
public sealed record CorpusLineError(string File, int Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}: {Message}";
}
