using Toolkit.Evaluate.Judging;

namespace Toolkit.Evaluate.Statistics;

/// <summary>Wins, losses and ties of model_1 against model_2 (FastChat show_result.py counting), and the rates derived.</summary>
public sealed record WinLossTie(int Wins, int Losses, int Ties)
{
    /// <summary>Matches counted (rows without a judge error).</summary>
    public int Total => Wins + Losses + Ties;

    /// <summary>win / (win + loss + tie).</summary>
    public double WinRate => Total == 0 ? 0 : (double)Wins / Total;

    /// <summary>loss / (win + loss + tie).</summary>
    public double LossRate => Total == 0 ? 0 : (double)Losses / Total;

    /// <summary>(win + 0.5·tie) / (win + loss + tie): each tie counts half a win (FastChat's win_rate_adjusted).</summary>
    public double AdjustedWinRate => Total == 0 ? 0.5 : (Wins + 0.5 * Ties) / Total;
}

/// <summary>
/// Win-rate statistics over pairwise judgments of one candidate (model_1) against one baseline (model_2).
/// A row is one (question, turn) judged in both orders; <see cref="PairJudgment.Combined"/> applies FastChat's rule
/// (an error in either game drops the row; inconsistent games count as a tie).
/// </summary>
public static class WinRates
{
    /// <summary>W/L/T over <paramref name="rows"/>.</summary>
    public static WinLossTie Count(IEnumerable<PairJudgment> rows)
    {
        int w = 0, l = 0, t = 0;
        foreach (var r in rows)
            switch (r.Combined)
            {
                case Winner.Model1: w++; break;
                case Winner.Model2: l++; break;
                case Winner.Tie: t++; break;
            }
        return new WinLossTie(w, l, t);
    }

    /// <summary>Per question: (Σ row scores, rows) with win 1, tie 0.5, loss 0 — the clusters the bootstrap resamples.</summary>
    public static List<(double Sum, double Count)> Clusters(IEnumerable<PairJudgment> rows) =>
        rows.Where(r => r.Combined is not null).GroupBy(r => r.QuestionId)
            .Select(g => (g.Sum(r => r.Combined == Winner.Model1 ? 1.0 : r.Combined == Winner.Tie ? 0.5 : 0.0), (double)g.Count())).ToList();

    /// <summary>Tie-adjusted win rate with a bootstrap interval over questions (turns and orders resampled together).</summary>
    public static Interval Bootstrap(IEnumerable<PairJudgment> rows, double level = 0.95, int rounds = 2000, int seed = 0) =>
        Intervals.BootstrapRatio(Clusters(rows), rounds, level, seed);

    /// <summary>Per category: W/L/T, in category order.</summary>
    public static SortedDictionary<string, WinLossTie> ByCategory(IEnumerable<PairJudgment> rows) =>
        new(rows.GroupBy(r => r.Category).ToDictionary(g => g.Key, g => Count(g)), StringComparer.Ordinal);

    /// <summary>
    /// Judge position consistency: among rows with no error in either game, the share whose two games name the same
    /// winner (ties included); also the share of games that were errors, and how inconsistent rows leaned (first shown won twice, second shown won twice).
    /// </summary>
    public static JudgeConsistency Consistency(IReadOnlyCollection<PairJudgment> rows)
    {
        var ok = rows.Where(r => r.G1 != Winner.Error && r.G2 != Winner.Error).ToList();
        var games = rows.Count * 2;
        var errors = rows.Sum(r => (r.G1 == Winner.Error ? 1 : 0) + (r.G2 == Winner.Error ? 1 : 0));
        // Game 1 shows model_1 first, game 2 shows model_2 first: "first shown wins both" = g1 model_1 and g2 model_2.
        var first = ok.Count(r => r.G1 == Winner.Model1 && r.G2 == Winner.Model2);
        var second = ok.Count(r => r.G1 == Winner.Model2 && r.G2 == Winner.Model1);
        return new JudgeConsistency(ok.Count == 0 ? 0 : (double)ok.Count(r => r.Consistent) / ok.Count, ok.Count == 0 ? 0 : (double)first / ok.Count,
            ok.Count == 0 ? 0 : (double)second / ok.Count, games == 0 ? 0 : (double)errors / games, errors, games);
    }
}

/// <summary>Position consistency (share of rows whose two orders agree), position bias shares, and the judge error rate over games.</summary>
public sealed record JudgeConsistency(double Consistent, double BiasedToFirst, double BiasedToSecond, double ErrorRate, int Errors, int Games);
