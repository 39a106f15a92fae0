using System.Globalization;
using System.Net;
using System.Text;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Statistics;

namespace Toolkit.Evaluate.Report;

/// <summary>
/// One offline HTML file (no scripts, no network: charts are inline ScottPlot SVG) from pairwise judgment files:
/// 1) a summary table per pair (W/L/T, win rate with bootstrap interval, Wilson, LC win rate, judge consistency, errors);
/// 2) charts: win rates with intervals, categories of each pair, Bradley–Terry ratings with intervals over all models,
///    judge position consistency and error rate;
/// 3) sample judgments (question, turn, both games' verdicts and the judge's words).
/// </summary>
public static class HtmlReport
{
    /// <summary>A named set of pairwise judgments (model_1 = candidate).</summary>
    public sealed record Pair(string Name, IReadOnlyList<PairJudgment> Rows);

    /// <summary>The HTML text; <paramref name="level"/> is the intervals' two-sided level.</summary>
    public static string Build(IReadOnlyList<Pair> pairs, double level = 0.95, int samples = 6)
    {
        if (pairs.Count == 0 || pairs.All(p => p.Rows.Count == 0)) throw new ArgumentException("no judgments to report. HINT: pass pairwise judgment files from `toolkit evaluate judge` or `evaluate gate --out`");
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evaluation report</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}table{border-collapse:collapse;margin:1rem 0}")
          .Append("td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f3f3f3}")
          .Append("figure{display:inline-block;margin:.5rem}pre{white-space:pre-wrap;max-width:60rem;margin:0}")
          .Append("</style></head><body>\n<h1>Evaluation report</h1>\n");
        sb.Append(Inv($"<p>Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Intervals: {100 * level:F0}% percentile bootstrap over questions (turns and both orders resampled together, seed 0).</p>\n"));

        // 1) Summary.
        sb.Append("<h2>Win rates</h2>\n<table id=\"summary\"><tr><th>candidate vs baseline</th><th>judge</th><th>W / L / T</th><th>win rate (ties half)</th><th>ties excluded (Wilson)</th><th>length-controlled</th><th>consistency</th><th>judge errors</th></tr>\n");
        var stats = pairs.Select(p => (p, W: WinRates.Count(p.Rows), Ci: WinRates.Bootstrap(p.Rows, level), Lc: LengthControlled.Fit(p.Rows), J: WinRates.Consistency(p.Rows.ToList()))).ToList();
        foreach (var s in stats)
        {
            var wilson = Intervals.Wilson(s.W.Wins, s.W.Wins + s.W.Losses, level);
            sb.Append(Inv($"<tr><td>{E(s.p.Name)}</td><td>{E(s.p.Rows.FirstOrDefault()?.Judge ?? "")}</td><td>{s.W.Wins} / {s.W.Losses} / {s.W.Ties}</td>"))
              .Append(Inv($"<td>{s.Ci.Estimate:F3} [{s.Ci.Low:F3}, {s.Ci.High:F3}]</td><td>{wilson.Estimate:F3} [{wilson.Low:F3}, {wilson.High:F3}]</td>"))
              .Append(Inv($"<td>{s.Lc.WinRate:F3}</td><td>{100 * s.J.Consistent:F1}%</td><td>{s.J.Errors} of {s.J.Games}</td></tr>\n"));
        }
        sb.Append("</table>\n");

        // 2) Charts.
        sb.Append("<h2>Charts</h2>\n");
        Figure(sb, "chart-winrates", "Win rate (ties half) with interval; dashed: 0.5",
            Charts.Bars("Win rate vs baseline", "win rate (ties half)", stats.Select(s => s.p.Name).ToList(), stats.Select(s => s.Ci.Estimate).ToList(),
                stats.Select(s => s.Ci.Low).ToList(), stats.Select(s => s.Ci.High).ToList(), reference: 0.5));
        foreach (var s in stats)
        {
            var cats = WinRates.ByCategory(s.p.Rows);
            Figure(sb, "chart-categories", $"Categories: {s.p.Name}",
                Charts.Bars($"By category: {s.p.Name}", "win rate (ties half)", cats.Keys.ToList(), cats.Values.Select(c => c.AdjustedWinRate).ToList(), reference: 0.5));
        }
        var all = pairs.SelectMany(p => p.Rows).ToList();
        var ratings = BradleyTerry.FitWithIntervals(all, anchor: all[0].Model2, rounds: 200, level: level);
        Figure(sb, "chart-ratings", $"Bradley–Terry ratings (Elo scale, {all[0].Model2} = 1000) with intervals",
            Charts.Bars("Ratings", "Elo", ratings.Select(r => r.Model).ToList(), ratings.Select(r => r.Elo).ToList(),
                ratings.Select(r => r.Low).ToList(), ratings.Select(r => r.High).ToList(), yMin: null, yMax: null, reference: 1000));
        var labels = new List<string>();
        var values = new List<double>();
        foreach (var s in stats)
        {
            labels.AddRange([$"{s.p.Name}: consistent", "first shown won both", "second shown won both", "errors"]);
            values.AddRange([s.J.Consistent, s.J.BiasedToFirst, s.J.BiasedToSecond, s.J.ErrorRate]);
        }
        Figure(sb, "chart-judge", "Judge position consistency and error rate (shares)", Charts.Bars("Judge", "share", labels, values, width: Math.Max(640, 160 * labels.Count)));

        sb.Append("<h2>Ratings</h2>\n<table id=\"ratings\"><tr><th>model</th><th>Elo</th><th>interval</th></tr>\n");
        foreach (var r in ratings) sb.Append(Inv($"<tr><td>{E(r.Model)}</td><td>{r.Elo:F1}</td><td>[{r.Low:F1}, {r.High:F1}]</td></tr>\n"));
        sb.Append("</table>\n");

        // 3) Sample judgments: decisive ones first, then inconsistent, then errors.
        sb.Append("<h2>Sample judgments</h2>\n<table id=\"samples\"><tr><th>question</th><th>turn</th><th>game 1 (candidate shown first)</th><th>game 2 (baseline shown first)</th><th>judge's words (game 1)</th></tr>\n");
        foreach (var r in all.OrderBy(r => r.Consistent ? 0 : r.Combined is null ? 2 : 1).Take(samples))
            sb.Append(Inv($"<tr><td>{E(r.QuestionId)} ({E(r.Category)})</td><td>{r.Turn}</td><td>{PairJudgment.Name(r.G1)}</td><td>{PairJudgment.Name(r.G2)}</td><td><pre>{E(Clip(r.G1Judgment, 600))}</pre></td></tr>\n"));
        sb.Append("</table>\n</body></html>\n");
        return sb.ToString();
    }

    /// <summary>Writes the report atomically.</summary>
    public static void Write(string path, IReadOnlyList<Pair> pairs, double level = 0.95) => SingleJudgment.WriteAtomic(path, [Build(pairs, level)]);

    static void Figure(StringBuilder sb, string cls, string caption, string svg)
    {
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        sb.Append($"<figure class=\"{cls}\">").Append(start >= 0 ? svg[start..] : svg).Append($"<figcaption>{E(caption)}</figcaption></figure>\n");
    }

    static string Clip(string s, int n) => s.Length <= n ? s : s[..n] + " …";

    static string E(string s) => WebUtility.HtmlEncode(s);

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
