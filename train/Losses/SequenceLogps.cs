using static TorchSharp.torch;

namespace Toolkit.Train.Losses;

/// <summary>
/// Per-sequence completion log-probabilities, the one input every loss reads.
/// <para><see cref="Sum"/> (S) is Σ log p(token) over each sequence's completion tokens and carries the autograd graph of
/// the model that produced it (or none, for a reference computed under <c>no_grad</c>). <see cref="Count"/> (S) is the
/// number of completion tokens (float32, no grad). <see cref="LogitsSum"/> (S) is Σ over completion positions and the whole
/// vocabulary of the raw logits (detached; TRL's <c>logits/chosen</c> is its total over the batch divided by
/// Σ Count · <see cref="Vocab"/>); null when unknown (precomputed reference).</para>
/// The tensors belong to the dispose scope that was current when they were made.
/// </summary>
public sealed record SequenceLogps(Tensor Sum, Tensor Count, Tensor? LogitsSum = null, long Vocab = 0)
{
    /// <summary>Number of sequences S.</summary>
    public long Rows => Sum.size(0);

    /// <summary>Rows [start, start + length) of every tensor (views).</summary>
    public SequenceLogps Narrow(long start, long length) =>
        new(Sum.narrow(0, start, length), Count.narrow(0, start, length), LogitsSum?.narrow(0, start, length), Vocab);

    /// <summary>Σ log p / count per row (a token-mean log-prob), or the sum itself.</summary>
    public Tensor Reduce(LogProbReduction reduction) => reduction == LogProbReduction.Mean ? Sum.div(Count) : Sum;

    /// <summary>Splits the first half (chosen) from the second (rejected), the row order of both pair layouts.</summary>
    public (SequenceLogps Chosen, SequenceLogps Rejected) SplitPairs()
    {
        var n = Rows;
        if (n % 2 != 0) throw new ArgumentException($"SplitPairs needs an even number of rows (chosen then rejected), got {n}");
        return (Narrow(0, n / 2), Narrow(n / 2, n / 2));
    }
}

/// <summary>How per-sequence log-probs enter a loss: summed over completion tokens, or averaged (length-normalized).</summary>
public enum LogProbReduction
{
    /// <summary>Σ log p over the completion (DPO's definition; TRL's default).</summary>
    Sum,
    /// <summary>Σ log p / |y| (SimPO, ORPO, TRL's IPO; "DPO w/ LN" when used with DPO).</summary>
    Mean,
}
