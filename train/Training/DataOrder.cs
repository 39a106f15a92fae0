using Toolkit.Train.Data;

namespace Toolkit.Train.Training;

/// <summary>
/// Which training examples each micro-batch holds, as a pure function of (seed, micro-batch index): epoch e visits the
/// examples in a SplitMix64 Fisher-Yates permutation seeded by (seed, e), cut into micro-batches of
/// <see cref="BatchSize"/> (the last one of an epoch may be smaller). Optimizer step s uses micro-batches
/// s·A … s·A + A − 1 (A = gradient accumulation steps), crossing epoch ends when needed. Resuming at step s therefore
/// needs only s: the data position is recomputed, never stored state that could drift.
/// </summary>
public sealed class DataOrder(int count, int batchSize, long seed)
{
    int _epoch = -1;
    int[] _perm = [];

    /// <summary>Training examples.</summary>
    public int Count { get; } = count > 0 ? count : throw new ArgumentException("no training examples: the data file produced none (see the data summary above)");

    /// <summary>Examples per micro-batch.</summary>
    public int BatchSize { get; } = batchSize;

    /// <summary>Micro-batches per epoch.</summary>
    public int MicroBatchesPerEpoch => (Count + BatchSize - 1) / BatchSize;

    /// <summary>The example indices of micro-batch <paramref name="micro"/> (global, 0-based).</summary>
    public int[] MicroBatch(long micro)
    {
        var epoch = (int)(micro / MicroBatchesPerEpoch);
        var within = (int)(micro % MicroBatchesPerEpoch);
        if (epoch != _epoch) { _perm = Permutation(epoch); _epoch = epoch; }
        var start = within * BatchSize;
        return _perm[start..Math.Min(Count, start + BatchSize)];
    }

    /// <summary>Fractional epoch reached after <paramref name="micro"/> micro-batches.</summary>
    public double Epoch(long micro) => (double)micro / MicroBatchesPerEpoch;

    int[] Permutation(int epoch)
    {
        var p = Enumerable.Range(0, Count).ToArray();
        var state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch + 1);
        for (var i = p.Length - 1; i > 0; i--)
        {
            var j = (int)(DatasetSplit.SplitMix64(ref state) % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
