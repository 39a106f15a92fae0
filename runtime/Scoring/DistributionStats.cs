namespace Toolkit.Runtime.Scoring;

/// <summary>Per-position comparisons of two models' next-token distributions, from logits rows of equal vocabulary.</summary>
public static class DistributionStats
{
    /// <summary>KL(P‖Q) in nats where P = softmax(<paramref name="reference"/>), Q = softmax(<paramref name="candidate"/>).</summary>
    public static double Kl(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        if (reference.Length != candidate.Length) throw new ArgumentException($"vocabularies differ: {reference.Length} vs {candidate.Length}");
        var lp = TeacherForcedScorer.LogSumExp(reference);
        var lq = TeacherForcedScorer.LogSumExp(candidate);
        double kl = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            var logP = reference[i] - lp;
            kl += Math.Exp(logP) * (logP - (candidate[i] - lq));
        }
        return Math.Max(0, kl);
    }

    /// <summary>Index of the largest logit (the first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
