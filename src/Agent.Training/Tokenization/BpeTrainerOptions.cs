namespace Agent.Training.Tokenization;

/// <summary>Settings of <see cref="BpeTrainer"/>; invalid values are rejected where they are set.</summary>
public sealed class BpeTrainerOptions
{
    private readonly int _mergeCount = 4000;
    private readonly int _minPairFrequency = 2;
    private readonly IReadOnlyList<string> _extraTags = [];

    /// <summary>How many merges to learn (fewer when the corpus runs out of pairs). Default 4000.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not between 0 and 1,000,000.</exception>
    public int MergeCount
    {
        get => _mergeCount;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1_000_000);
            _mergeCount = value;
        }
    }

    /// <summary>A pair seen fewer times than this is never merged. Default 2.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MinPairFrequency
    {
        get => _minPairFrequency;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _minPairFrequency = value;
        }
    }

    /// <summary>Tag names beyond the default ones (<c>mode1</c>, <c>mode2</c>, <c>deceit</c>, <c>powerseeking</c>); each becomes two control tokens.</summary>
    /// <exception cref="ArgumentException">A name is not a valid tag name.</exception>
    public IReadOnlyList<string> ExtraTags
    {
        get => _extraTags;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            foreach (var tag in value)
            {
                if (!Agent.Decoding.Transcripts.TagNames.IsValid(tag))
                {
                    throw new ArgumentException($"Extra tag '{tag}' is not a valid tag name: use an ASCII letter followed by letters, digits, '_' or '-', without angle brackets.", nameof(value));
                }
            }

            _extraTags = [.. value];
        }
    }
}
