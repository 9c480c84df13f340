using Agent.Monitoring.Internal;

namespace Agent.Monitoring.Tests.Internal;

public sealed class EmbeddingCacheTests
{
    [Fact]
    public void GetOrEncode_SameText_EncodesOnce()
    {
        var cache = new EmbeddingCache(4);
        var encoded = new List<string>();
        var first = cache.GetOrEncode("task", Encode(encoded));
        var again = cache.GetOrEncode("task", Encode(encoded));

        Assert.Same(first, again);
        Assert.Equal(["task"], encoded);
    }

    [Fact]
    public void GetOrEncode_OverCapacity_EvictsLeastRecentlyUsed()
    {
        var cache = new EmbeddingCache(2);
        var encoded = new List<string>();
        cache.GetOrEncode("a", Encode(encoded));
        cache.GetOrEncode("b", Encode(encoded));
        cache.GetOrEncode("a", Encode(encoded)); // a is now the most recent
        cache.GetOrEncode("c", Encode(encoded)); // evicts b
        cache.GetOrEncode("a", Encode(encoded));
        cache.GetOrEncode("b", Encode(encoded));

        Assert.Equal(["a", "b", "c", "b"], encoded);
    }

    [Fact]
    public void GetOrEncode_CapacityZero_AlwaysEncodes()
    {
        var cache = new EmbeddingCache(0);
        var encoded = new List<string>();
        cache.GetOrEncode("a", Encode(encoded));
        cache.GetOrEncode("a", Encode(encoded));
        Assert.Equal(["a", "a"], encoded);
    }

    private static Func<string, TextEmbedding> Encode(List<string> log) => text =>
    {
        log.Add(text);
        return new TextEmbedding([1f], 1, 1);
    };
}
