using MathNet.Numerics.Distributions;

namespace Toolkit.Evaluate.Statistics;

/// <summary>A confidence interval [Low, High] around Estimate at Level (e.g. 0.95).</summary>
public sealed record Interval(double Estimate, double Low, double High, double Level)
{
    /// <summary>"0.625 [0.512, 0.731] (95%)".</summary>
    public override string ToString() => FormattableString.Invariant($"{Estimate:F3} [{Low:F3}, {High:F3}] ({100 * Level:F0}%)");
}

/// <summary>
/// Interval and test routines for win rates (JUDGING.md §6.2): Wilson score interval on decisive games, the sign test,
/// and the percentile bootstrap over question clusters. Normal and binomial distributions come from MathNet.Numerics.
/// </summary>
public static class Intervals
{
    /// <summary>
    /// Wilson score interval for k successes in m trials at <paramref name="level"/> (two-sided):
    /// center = (p̂ + z²/2m)/(1 + z²/m), half = z/(1 + z²/m)·√(p̂(1−p̂)/m + z²/4m²), z = Φ⁻¹(1 − (1−level)/2).
    /// m = 0 gives [0, 1] around 0.5.
    /// </summary>
    public static Interval Wilson(int k, int m, double level = 0.95)
    {
        if (m == 0) return new Interval(0.5, 0, 1, level);
        var z = Normal.InvCDF(0, 1, 1 - (1 - level) / 2);
        var p = (double)k / m;
        var denom = 1 + z * z / m;
        var center = (p + z * z / (2.0 * m)) / denom;
        var half = z / denom * Math.Sqrt(p * (1 - p) / m + z * z / (4.0 * m * m));
        return new Interval(p, center - half, center + half, level);
    }

    /// <summary>
    /// Sign test on decisive outcomes (ties dropped): P(X ≥ wins) for X ~ Binomial(wins + losses, 1/2), the one-sided
    /// p-value that the candidate is better (scipy.stats.binomtest(..., alternative="greater")). 1 when there are none.
    /// </summary>
    public static double SignTestGreater(int wins, int losses)
    {
        var m = wins + losses;
        if (m == 0) return 1;
        return wins == 0 ? 1 : 1 - Binomial.CDF(0.5, m, wins - 1);
    }

    /// <summary>Two-sided sign-test p-value (min(1, 2·min of the one-sided ones); exact for p = 1/2).</summary>
    public static double SignTestTwoSided(int wins, int losses) =>
        Math.Min(1, 2 * Math.Min(SignTestGreater(wins, losses), SignTestGreater(losses, wins)));

    /// <summary>
    /// Percentile bootstrap over clusters: each round draws as many clusters as there are, with replacement
    /// (seeded <see cref="Random"/>), and computes Σ numerators / Σ denominators of the drawn clusters (so a question's
    /// turns and both orders move together). Quantiles use linear interpolation (numpy's default, R-7).
    /// </summary>
    /// <param name="clusters">Per cluster: (sum of row scores, row count).</param>
    /// <param name="rounds">Bootstrap rounds (≥ 100).</param>
    /// <param name="level">Two-sided level, e.g. 0.95.</param>
    /// <param name="seed">Fixed seed: the same inputs give the same interval.</param>
    public static Interval BootstrapRatio(IReadOnlyList<(double Sum, double Count)> clusters, int rounds = 2000, double level = 0.95, int seed = 0)
    {
        var total = clusters.Sum(c => c.Count);
        var estimate = total == 0 ? 0.5 : clusters.Sum(c => c.Sum) / total;
        if (clusters.Count == 0) return new Interval(0.5, 0, 1, level);
        var rng = new Random(seed);
        var stats = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            double s = 0, n = 0;
            for (var i = 0; i < clusters.Count; i++)
            {
                var c = clusters[rng.Next(clusters.Count)];
                s += c.Sum;
                n += c.Count;
            }
            stats[r] = n == 0 ? estimate : s / n;
        }
        var a = (1 - level) / 2;
        return new Interval(estimate, Quantile(stats, a), Quantile(stats, 1 - a), level);
    }

    /// <summary>Quantile with linear interpolation (numpy's default; MathNet QuantileDefinition.R7).</summary>
    public static double Quantile(double[] data, double tau) =>
        MathNet.Numerics.Statistics.Statistics.QuantileCustom(data, tau, MathNet.Numerics.Statistics.QuantileDefinition.R7);
}
