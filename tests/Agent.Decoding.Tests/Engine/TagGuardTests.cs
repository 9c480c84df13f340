using System.Collections.Immutable;
using Agent.Decoding.Engine;
using Agent.Llama;

namespace Agent.Decoding.Tests.Engine;

public class TagGuardTests
{
    private static readonly IReadOnlyList<IReadOnlyList<LlamaToken>> Banned = [[new(7), new(8), new(9)]];

    [Fact]
    public void Accept_BannedSequenceCompletes_TakesItBackAndExcludesItsFirstTokenAtItsPosition()
    {
        var guard = new TagGuard();

        Assert.Equal(GuardOutcome.Hold, guard.Accept(Held(7, 10), Banned));
        Assert.Equal(GuardOutcome.Hold, guard.Accept(Held(8, 11), Banned));
        Assert.Equal(GuardOutcome.TakeBack, guard.Accept(Held(9, 12), Banned));

        Assert.Empty(guard.Held);
        Assert.Equal(10, guard.TakenBackAt);
        Assert.Equal([7], guard.ExclusionsAt(10)!);
        Assert.Null(guard.ExclusionsAt(11));
    }

    [Fact]
    public void Accept_HeldPrefixThatStopsMatching_ReleasesEveryHeldTokenInOrder()
    {
        var guard = new TagGuard();

        Assert.Equal(GuardOutcome.Hold, guard.Accept(Held(7, 3), Banned));
        Assert.Equal(GuardOutcome.Release, guard.Accept(Held(5, 4), Banned));

        Assert.Equal([7, 5], guard.Held.Select(h => h.TokenId));
        guard.ClearHeld();
        Assert.Empty(guard.Held);
    }

    [Fact]
    public void Accept_PrefixStartsAgainInsideHeldTokens_KeepsHolding()
    {
        var guard = new TagGuard();

        Assert.Equal(GuardOutcome.Hold, guard.Accept(Held(7, 0), Banned));
        Assert.Equal(GuardOutcome.Hold, guard.Accept(Held(7, 1), Banned)); // "7 7": the second 7 may still start the tag
        Assert.Equal(GuardOutcome.Hold, guard.Accept(Held(8, 2), Banned));
        Assert.Equal(GuardOutcome.TakeBack, guard.Accept(Held(9, 3), Banned));

        Assert.Equal(1, guard.TakenBackAt);
        Assert.Equal([7], guard.Held.Select(h => h.TokenId)); // the first 7 is still held, not lost
    }

    [Fact]
    public void Accept_NothingBanned_ReleasesAtOnce()
    {
        var guard = new TagGuard();

        Assert.Equal(GuardOutcome.Release, guard.Accept(Held(7, 0), []));
    }

    private static HeldToken Held(int token, int position) => new(token, position, [], 0.5, ImmutableArray<double>.Empty);
}
