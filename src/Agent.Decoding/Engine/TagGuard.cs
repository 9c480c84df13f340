using Agent.Llama;

namespace Agent.Decoding.Engine;

/// <summary>
/// The multi-token tag guard of one generation. A banned tag that is spelled by several tokens cannot be banned by
/// its first token alone (the first token also starts other text), so every chosen token is held while the held tokens
/// could still spell a banned sequence; when one completes, its tokens are taken back and its first position is
/// resampled without its first token (an exclusion at that position, kept for the rest of the generation).
/// </summary>
internal sealed class TagGuard
{
    private readonly List<HeldToken> _held = [];
    private readonly Dictionary<int, HashSet<int>> _exclusions = [];

    /// <summary>Tokens chosen but not yet emitted, oldest first.</summary>
    public IReadOnlyList<HeldToken> Held => _held;

    /// <summary>After <see cref="GuardOutcome.TakeBack"/>: the position of the taken-back tag's first token.</summary>
    public int TakenBackAt { get; private set; } = -1;

    /// <summary>Tokens excluded at <paramref name="position"/> because a banned tag started with them there, or null.</summary>
    public IReadOnlySet<int>? ExclusionsAt(int position) => _exclusions.GetValueOrDefault(position);

    /// <summary>Holds <paramref name="token"/> and decides whether the held tokens are emitted, held, or taken back.</summary>
    public GuardOutcome Accept(HeldToken token, IReadOnlyList<IReadOnlyList<LlamaToken>> bannedSequences)
    {
        _held.Add(token);
        foreach (var banned in bannedSequences)
        {
            if (EndsWith(banned))
            {
                TakeBack(banned.Count);
                return GuardOutcome.TakeBack;
            }
        }

        foreach (var banned in bannedSequences)
        {
            if (IsProperPrefixOfSuffix(banned))
            {
                return GuardOutcome.Hold;
            }
        }

        return GuardOutcome.Release;
    }

    /// <summary>Forgets the held tokens once they were emitted.</summary>
    public void ClearHeld() => _held.Clear();

    private void TakeBack(int count)
    {
        var first = _held[^count];
        _held.RemoveRange(_held.Count - count, count);
        if (!_exclusions.TryGetValue(first.Position, out var excluded))
        {
            _exclusions[first.Position] = excluded = [];
        }

        excluded.Add(first.TokenId);
        TakenBackAt = first.Position;
    }

    private bool EndsWith(IReadOnlyList<LlamaToken> sequence)
    {
        if (_held.Count < sequence.Count)
        {
            return false;
        }

        for (var i = 0; i < sequence.Count; i++)
        {
            if (_held[_held.Count - sequence.Count + i].TokenId != sequence[i].Value)
            {
                return false;
            }
        }

        return true;
    }

    private bool IsProperPrefixOfSuffix(IReadOnlyList<LlamaToken> sequence)
    {
        for (var length = Math.Min(_held.Count, sequence.Count - 1); length >= 1; length--)
        {
            var match = true;
            for (var i = 0; i < length && match; i++)
            {
                match = _held[_held.Count - length + i].TokenId == sequence[i].Value;
            }

            if (match)
            {
                return true;
            }
        }

        return false;
    }
}
