using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Statistics;

namespace Toolkit.Evaluate.Gate;

/// <summary>The three gate outcomes.</summary>
public enum GateVerdict
{
    /// <summary>The candidate is not worse than the baseline by more than the margin, at the confidence asked for.</summary>
    Pass,
    /// <summary>The candidate is worse than the baseline by more than the margin, at the confidence asked for.</summary>
    Fail,
    /// <summary>The interval straddles the threshold, there were no judged matches, or the judge failed too often.</summary>
    Inconclusive,
}

/// <summary>
/// A three-valued non-inferiority gate on the candidate's tie-adjusted win rate W against the baseline
/// (JUDGING.md §6.3): the percentile bootstrap interval over questions at the asked confidence; PASS when its low end
/// ≥ 0.5 − δ, FAIL when its high end &lt; 0.5 − δ, INCONCLUSIVE otherwise, and INCONCLUSIVE when the judge's error
/// share is above the limit (judge errors are never losses). Also carries W/L/T, the Wilson interval on decisive
/// rows, the sign test, the LC win rate, judge consistency and the per-category breakdown for the summary.
/// </summary>
public sealed record GateResult(GateVerdict Verdict, string Reason, Interval WinRate, double Threshold, WinLossTie Counts, Interval Wilson,
    double SignTestP, LengthControlled.Result LengthControlled, JudgeConsistency Judge, SortedDictionary<string, WinLossTie> Categories,
    string Candidate, string Baseline, string JudgeName, GateOptions Options)
{
    /// <summary>Decides from pairwise judgments where model_1 is the candidate and model_2 the baseline.</summary>
    public static GateResult Decide(IReadOnlyList<PairJudgment> rows, GateOptions options)
    {
        options.Validate();
        var counts = WinRates.Count(rows);
        var w = WinRates.Bootstrap(rows, options.Confidence, options.Rounds, seed: 0);
        var threshold = 0.5 - options.Margin;
        var judge = WinRates.Consistency(rows.ToList());
        GateVerdict verdict;
        string reason;
        if (counts.Total == 0) (verdict, reason) = (GateVerdict.Inconclusive, "no judged matches (no shared questions, or every row was a judge error)");
        else if (judge.ErrorRate > options.MaxJudgeErrorRate)
            (verdict, reason) = (GateVerdict.Inconclusive, Inv($"judge errors in {100 * judge.ErrorRate:F1}% of games, above the limit {100 * options.MaxJudgeErrorRate:F1}%: fix or rerun the judge"));
        else if (w.Low >= threshold) (verdict, reason) = (GateVerdict.Pass, Inv($"the interval's low end {w.Low:F3} ≥ 0.5 − δ = {threshold:F3}"));
        else if (w.High < threshold) (verdict, reason) = (GateVerdict.Fail, Inv($"the interval's high end {w.High:F3} < 0.5 − δ = {threshold:F3}"));
        else (verdict, reason) = (GateVerdict.Inconclusive, Inv($"the interval [{w.Low:F3}, {w.High:F3}] contains 0.5 − δ = {threshold:F3}: more questions or a sharper judge are needed"));
        var first = rows.FirstOrDefault();
        return new GateResult(verdict, reason, w, threshold, counts, Intervals.Wilson(counts.Wins, counts.Wins + counts.Losses, options.Confidence),
            Intervals.SignTestGreater(counts.Wins, counts.Losses), Statistics.LengthControlled.Fit(rows), judge, WinRates.ByCategory(rows),
            first?.Model1 ?? "candidate", first?.Model2 ?? "baseline", first is null ? "" : first.Judge, options);
    }

    /// <summary>The process exit code: PASS 0, FAIL 1, INCONCLUSIVE 2 (or 0 / 1 per --inconclusive).</summary>
    public int ExitCode => Verdict switch
    {
        GateVerdict.Pass => 0,
        GateVerdict.Fail => 1,
        _ => Options.Inconclusive switch { InconclusivePolicy.Pass => 0, InconclusivePolicy.Fail => 1, _ => 2 },
    };

    /// <summary>"PASS", "FAIL" or "INCONCLUSIVE".</summary>
    public string Label => Verdict.ToString().ToUpperInvariant();

    /// <summary>One line for the console.</summary>
    public string Line => Inv($"{Label}: {Candidate} vs {Baseline}: win rate (ties half) {WinRate.Estimate:F3}, {100 * Options.Confidence:F0}% CI [{WinRate.Low:F3}, {WinRate.High:F3}], threshold 0.5 − δ = {Threshold:F3} ({Reason})");

    /// <summary>The Markdown summary (what $GITHUB_STEP_SUMMARY shows).</summary>
    public string Markdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine(Inv($"## Evaluation gate: **{Label}**"));
        sb.AppendLine();
        sb.AppendLine(Inv($"`{Candidate}` (candidate) vs `{Baseline}` (baseline), judge `{JudgeName}`; margin δ = {Options.Margin:F3}, confidence {100 * Options.Confidence:F0}%."));
        sb.AppendLine();
        sb.AppendLine(Inv($"{Reason}."));
        sb.AppendLine();
        sb.AppendLine("| measure | value |");
        sb.AppendLine("| --- | --- |");
        sb.AppendLine(Inv($"| wins / losses / ties | {Counts.Wins} / {Counts.Losses} / {Counts.Ties} |"));
        sb.AppendLine(Inv($"| win rate (ties half), bootstrap over questions | {WinRate.Estimate:F3} [{WinRate.Low:F3}, {WinRate.High:F3}] |"));
        sb.AppendLine(Inv($"| win rate (ties excluded), Wilson | {Wilson.Estimate:F3} [{Wilson.Low:F3}, {Wilson.High:F3}] |"));
        sb.AppendLine(Inv($"| sign test p (candidate better, one-sided) | {SignTestP:G3} |"));
        sb.AppendLine(Inv($"| length-controlled win rate | {LengthControlled.WinRate:F3} (raw {LengthControlled.RawWinRate:F3}) |"));
        sb.AppendLine(Inv($"| judge position consistency | {100 * Judge.Consistent:F1}% |"));
        sb.AppendLine(Inv($"| judge errors | {Judge.Errors} of {Judge.Games} games ({100 * Judge.ErrorRate:F1}%) |"));
        if (Categories.Count > 1)
        {
            sb.AppendLine();
            sb.AppendLine("| category | W / L / T | win rate (ties half) |");
            sb.AppendLine("| --- | --- | --- |");
            foreach (var (c, n) in Categories) sb.AppendLine(Inv($"| {c} | {n.Wins} / {n.Losses} / {n.Ties} | {n.AdjustedWinRate:F3} |"));
        }
        return sb.ToString();
    }

    /// <summary>JUnit XML: one test case; a failure element for FAIL (and for INCONCLUSIVE with --inconclusive fail), skipped for INCONCLUSIVE otherwise (unless --inconclusive pass).</summary>
    public string JUnit()
    {
        var name = $"evaluate gate {Candidate} vs {Baseline}";
        var testcase = new XElement("testcase", new XAttribute("classname", "toolkit.evaluate.gate"), new XAttribute("name", name), new XAttribute("time", "0"),
            new XElement("system-out", Line));
        var failed = ExitCode == 1;
        var skipped = !failed && Verdict == GateVerdict.Inconclusive && ExitCode != 0;
        if (failed) testcase.AddFirst(new XElement("failure", new XAttribute("message", Line), Markdown()));
        else if (skipped) testcase.AddFirst(new XElement("skipped", new XAttribute("message", Line)));
        var suite = new XElement("testsuite", new XAttribute("name", "toolkit evaluate gate"), new XAttribute("tests", 1),
            new XAttribute("failures", failed ? 1 : 0), new XAttribute("skipped", skipped ? 1 : 0), new XAttribute("errors", 0), testcase);
        var doc = new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite));
        return doc.Declaration + Environment.NewLine + doc.ToString();
    }

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
