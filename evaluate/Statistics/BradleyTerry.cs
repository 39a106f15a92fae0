using Toolkit.Evaluate.Judging;

namespace Toolkit.Evaluate.Statistics;

/// <summary>
/// Bradley–Terry ratings for several models from pairwise games (Chatbot Arena's <c>compute_bt</c> /
/// Arena-Hard v0.1's <c>compute_mle_elo</c>, on the Elo scale):
/// 1) each game without error is one battle: x = +1 for model_1's column, −1 for model_2's, label = model_1's score
///    (win 1, tie 0.5, loss 0: a tie is half a win in the likelihood);
/// 2) the anchor model's column is left out, so its strength is 0;
/// 3) β by logistic regression (<see cref="Logistic"/>, no intercept, no penalty); rating = 1000 + 400·β/ln 10, so
///    P(a beats b) = 1 / (1 + 10^((R_b − R_a)/400)) and the anchor sits at 1000;
/// 4) intervals: percentile bootstrap over question ids (every battle of a drawn question comes along).
/// </summary>
public static class BradleyTerry
{
    /// <summary>One model's rating with its bootstrap interval.</summary>
    public sealed record Rating(string Model, double Elo, double Low, double High);

    /// <summary>Point ratings (anchor = <paramref name="anchor"/>, default the first model seen).</summary>
    public static Dictionary<string, double> Fit(IReadOnlyList<PairJudgment> rows, string? anchor = null)
    {
        var models = Models(rows);
        anchor ??= models[0];
        return Fit(Battles(rows), models, anchor);
    }

    /// <summary>Ratings with bootstrap intervals at <paramref name="level"/>, sorted best first.</summary>
    public static List<Rating> FitWithIntervals(IReadOnlyList<PairJudgment> rows, string? anchor = null, int rounds = 200, double level = 0.95, int seed = 0)
    {
        var models = Models(rows);
        anchor ??= models[0];
        var point = Fit(Battles(rows), models, anchor);
        var byQuestion = rows.GroupBy(r => r.QuestionId).Select(g => Battles(g)).ToList();
        var rng = new Random(seed);
        var samples = models.ToDictionary(m => m, _ => new double[rounds]);
        for (var r = 0; r < rounds; r++)
        {
            var battles = new List<(string A, string B, double Y)>();
            for (var i = 0; i < byQuestion.Count; i++) battles.AddRange(byQuestion[rng.Next(byQuestion.Count)]);
            var fit = Fit(battles, models, anchor);
            foreach (var m in models) samples[m][r] = fit[m];
        }
        var a = (1 - level) / 2;
        return models.Select(m => new Rating(m, point[m], Intervals.Quantile(samples[m], a), Intervals.Quantile(samples[m], 1 - a)))
            .OrderByDescending(x => x.Elo).ToList();
    }

    /// <summary>P(<paramref name="a"/> beats <paramref name="b"/>) from Elo-scale ratings.</summary>
    public static double WinProbability(double a, double b) => 1 / (1 + Math.Pow(10, (b - a) / 400));

    static List<string> Models(IEnumerable<PairJudgment> rows) => rows.SelectMany(r => new[] { r.Model1, r.Model2 }).Distinct().ToList();

    static List<(string A, string B, double Y)> Battles(IEnumerable<PairJudgment> rows) =>
        rows.SelectMany(r => new[] { r.G1, r.G2 }.Where(w => w != Winner.Error)
            .Select(w => (r.Model1, r.Model2, w == Winner.Model1 ? 1.0 : w == Winner.Tie ? 0.5 : 0.0))).ToList();

    static Dictionary<string, double> Fit(List<(string A, string B, double Y)> battles, List<string> models, string anchor)
    {
        var free = models.Where(m => m != anchor).ToList();
        var col = free.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var x = battles.Select(b =>
        {
            var row = new double[free.Count];
            if (col.TryGetValue(b.A, out var i)) row[i] += 1;
            if (col.TryGetValue(b.B, out var j)) row[j] -= 1;
            return row;
        }).ToArray();
        var beta = free.Count == 0 || x.Length == 0 ? new double[free.Count] : Logistic.Fit(x, battles.Select(b => b.Y).ToArray());
        var result = new Dictionary<string, double> { [anchor] = 1000 };
        foreach (var m in free) result[m] = 1000 + 400 * beta[col[m]] / Math.Log(10);
        return result;
    }
}
