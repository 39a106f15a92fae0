namespace Toolkit.Train.Data.Synthetic;

/// <summary>A small seeded generator (SplitMix64) whose sequence is fixed by definition, unlike System.Random's.</summary>
public sealed class SyntheticRandom(ulong seed)
{
    ulong _state = seed;

    /// <summary>A value in [0, n).</summary>
    public int Next(int n) => (int)(DatasetSplit.SplitMix64(ref _state) % (ulong)n);

    /// <summary>A value in [0, 1).</summary>
    public double NextDouble() => (DatasetSplit.SplitMix64(ref _state) >> 11) * (1.0 / (1UL << 53));
}
