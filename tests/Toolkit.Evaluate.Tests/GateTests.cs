using System.Xml.Linq;
using Toolkit.Evaluate.Gate;
using Toolkit.Evaluate.Judging;

namespace Toolkit.Evaluate.Tests;

/// <summary>Gate decisions on synthetic judgments whose truth is known.</summary>
public sealed class GateTests
{
    /// <summary><paramref name="n"/> questions × 2 turns; each row a consistent win with probability <paramref name="pWin"/>, else a consistent loss with probability <paramref name="pLoss"/>, else a tie.</summary>
    static List<PairJudgment> Synthetic(int n, double pWin, double pLoss, int seed, double pError = 0)
    {
        var rng = new Random(seed);
        var rows = new List<PairJudgment>();
        for (var q = 0; q < n; q++)
            for (var turn = 1; turn <= 2; turn++)
            {
                var u = rng.NextDouble();
                var w = u < pWin ? Winner.Model1 : u < pWin + pLoss ? Winner.Model2 : Winner.Tie;
                var g2 = rng.NextDouble() < pError ? Winner.Error : w;
                rows.Add(Kit.Row(q.ToString(), w, g2, turn, q % 2 == 0 ? "math" : "writing"));
            }
        return rows;
    }

    [Fact]
    public void AClearlyBetterCandidatePassesAClearlyWorseOneFails()
    {
        var better = GateResult.Decide(Synthetic(80, 0.65, 0.15, 1), new GateOptions());
        Assert.Equal((GateVerdict.Pass, 0), (better.Verdict, better.ExitCode));
        Assert.True(better.WinRate.Low >= 0.45);
        var worse = GateResult.Decide(Synthetic(80, 0.15, 0.65, 2), new GateOptions());
        Assert.Equal((GateVerdict.Fail, 1), (worse.Verdict, worse.ExitCode));
        Assert.True(worse.WinRate.High < 0.45);
    }

    [Fact]
    public void AnEqualCandidateOnFewQuestionsIsInconclusiveAndThePolicyPicksTheExitCode()
    {
        var rows = Synthetic(12, 0.4, 0.4, 3);
        var keep = GateResult.Decide(rows, new GateOptions { Margin = 0.05 });
        Assert.Equal((GateVerdict.Inconclusive, 2), (keep.Verdict, keep.ExitCode));
        Assert.True(keep.WinRate.Low < 0.45 && keep.WinRate.High >= 0.45, keep.WinRate.ToString());
        Assert.Equal(0, GateResult.Decide(rows, new GateOptions { Inconclusive = InconclusivePolicy.Pass }).ExitCode);
        Assert.Equal(1, GateResult.Decide(rows, new GateOptions { Inconclusive = InconclusivePolicy.Fail }).ExitCode);
    }

    [Fact]
    public void AnEqualCandidateOnManyQuestionsPassesNonInferiority()
    {
        // Truth: W = 0.5 exactly in expectation; with 400 questions the interval is ~±0.035, inside 0.5 − 0.1.
        var result = GateResult.Decide(Synthetic(400, 0.4, 0.4, 4), new GateOptions { Margin = 0.1 });
        Assert.Equal(GateVerdict.Pass, result.Verdict);
        Assert.InRange(result.WinRate.Estimate, 0.45, 0.55);
    }

    [Fact]
    public void TooManyJudgeErrorsMakeTheGateInconclusiveAndErrorsAreNeverLosses()
    {
        var rows = Synthetic(80, 0.65, 0.15, 5, pError: 0.3);
        var result = GateResult.Decide(rows, new GateOptions { MaxJudgeErrorRate = 0.05 });
        Assert.Equal(GateVerdict.Inconclusive, result.Verdict);
        Assert.Contains("judge errors", result.Reason);
        Assert.Equal(rows.Count(r => r.G2 != Winner.Error), result.Counts.Total);
        Assert.Equal(GateVerdict.Pass, GateResult.Decide(rows, new GateOptions { MaxJudgeErrorRate = 0.5 }).Verdict);
    }

    [Fact]
    public void MarkdownAndJUnitSayWhatWasDecided()
    {
        var fail = GateResult.Decide(Synthetic(80, 0.15, 0.65, 2), new GateOptions());
        var md = fail.Markdown();
        Assert.StartsWith("## Evaluation gate: **FAIL**", md);
        Assert.Contains("| wins / losses / ties |", md);
        Assert.Contains("| math |", md);
        Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", fail.JUnit());
        var suite = XDocument.Parse(fail.JUnit()).Root!.Element("testsuite")!;
        Assert.Equal("1", suite.Attribute("failures")!.Value);
        Assert.NotNull(suite.Element("testcase")!.Element("failure"));
        var pass = XDocument.Parse(GateResult.Decide(Synthetic(80, 0.65, 0.15, 1), new GateOptions()).JUnit()).Root!.Element("testsuite")!;
        Assert.Equal("0", pass.Attribute("failures")!.Value);
        Assert.Null(pass.Element("testcase")!.Element("failure"));
    }
}
