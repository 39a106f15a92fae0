using Toolkit.Evaluate.Judging;

namespace Toolkit.Evaluate.Statistics;

/// <summary>
/// AlpacaEval 2's length-controlled win rate (Dubois et al. 2024; <c>alpaca_eval/metrics/glm_winrate.py</c>, formula
/// <c>length_controlled_v1</c>), reduced to what a two-model run has:
/// 1) per row (question, turn): p = model_1's preference (mean over the two games: win 1, tie 0.5, loss 0);
/// 2) Δ = len(answer_1) − len(answer_2) in characters, x = tanh(Δ / std(Δ)) (pandas' sample std, ddof = 1);
/// 3) fit logit p = θ + φ·x by weighted logistic regression with soft labels (<see cref="Logistic"/>);
/// 4) LC = σ(θ): the win rate with the length term set to 0.
/// Not included: AlpacaEval's per-instruction difficulty γₓ (precomputed over its 805 instructions and many models),
/// its L1 cross-validation and its regularization toward the "gamed" baselines. With no length spread (std 0) the
/// fit has no length term and LC equals the mean preference.
/// </summary>
public static class LengthControlled
{
    /// <summary>The LC fit: θ, φ, the LC win rate σ(θ) and the raw mean preference.</summary>
    public sealed record Result(double Theta, double Phi, double WinRate, double RawWinRate, int Rows);

    /// <summary>Fits over rows with at least one game without error.</summary>
    public static Result Fit(IEnumerable<PairJudgment> rows)
    {
        var used = rows.Where(r => r.Model1Score is not null).ToList();
        return Fit(used.Select(r => r.Model1Score!.Value).ToArray(), used.Select(r => (double)(r.Len1 - r.Len2)).ToArray());
    }

    /// <summary>Fits preferences <paramref name="p"/> (model_1's, in [0, 1]) against length differences <paramref name="delta"/>.</summary>
    public static Result Fit(double[] p, double[] delta)
    {
        if (p.Length == 0) return new Result(0, 0, 0.5, 0.5, 0);
        var raw = p.Average();
        var sd = p.Length > 1 ? MathNet.Numerics.Statistics.Statistics.StandardDeviation(delta) : 0;
        if (!(sd > 0))
        {
            var theta0 = Logistic.Fit(p.Select(_ => new[] { 1.0 }).ToArray(), p)[0];
            return new Result(theta0, 0, Logistic.Sigmoid(theta0), raw, p.Length);
        }
        var x = delta.Select(d => new[] { 1.0, Math.Tanh(d / sd) }).ToArray();
        var beta = Logistic.Fit(x, p);
        return new Result(beta[0], beta[1], Logistic.Sigmoid(beta[0]), raw, p.Length);
    }

    /// <summary>AlpacaEval's sanity rule (<c>get_is_extreme_changes</c>, in percent): LC far from raw hints the GLM failed.</summary>
    public static bool IsExtremeChange(double raw, double lc)
    {
        raw *= 100; lc *= 100;
        return lc < Math.Min(raw - raw / 4, raw - 10) || lc > Math.Max(raw + (100 - raw) / 4, raw + 10);
    }
}
