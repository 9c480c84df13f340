namespace Agent.Training.Engine;

/// <summary>
/// A tiny seeded random generator whose whole state is one <see cref="ulong"/>, so a checkpoint can store it and a
/// resumed run draws exactly the same numbers (System.Random's seeded state cannot be saved).
/// </summary>
internal struct SplitMix64
{
    public SplitMix64(ulong state) => State = state;

    public ulong State { get; private set; }

    /// <summary>A state derived from a seed and a stream number (e.g. an epoch), independent across streams.</summary>
    public static SplitMix64 ForStream(long seed, long stream)
    {
        var mixer = new SplitMix64(unchecked((ulong)seed ^ (0x9E3779B97F4A7C15UL * (ulong)(stream + 1))));
        return new SplitMix64(mixer.NextUInt64());
    }

    public ulong NextUInt64()
    {
        unchecked
        {
            var z = State += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>).</summary>
    public int Next(int bound) => (int)((NextUInt64() >> 11) % (ulong)bound);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
