using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Evaluate.Statistics;

namespace Toolkit.Evaluate.Judging.Distill;

/// <summary>
/// How a judge compares with a reference judge on pairwise matches, each judged in both orders (the MT-Bench paper's
/// measures, Zheng et al. 2023, §3–4 and Table 2). Over the <see cref="Pairs"/> matches:
/// <list type="bullet">
/// <item><see cref="Agreement"/>: share of matches whose combined verdict equals the reference's. Combined as FastChat
/// does (show_result.py): both games name the same winner → that winner; games that differ → tie; a judge error in
/// either game → no verdict, counted as a disagreement (errors are not dropped, so they cannot raise agreement).
/// <see cref="AgreementCi"/>: 95% Wilson interval (<see cref="Intervals.Wilson"/>).</item>
/// <item><see cref="Consistency"/>: share of matches whose two games name the same winner (ties included), errors
/// counting as inconsistent, so consistent + biased-to-first + biased-to-second + other sum to 1 as in Table 2.</item>
/// <item><see cref="ErrorRate"/>: share of games (2 per match) with no parsable verdict.</item>
/// <item><see cref="Ties"/>: share of games the judge called a tie ([[C]]).</item>
/// </list>
/// </summary>
public sealed record JudgeAgreement(string Judge, string Reference, int Pairs, double Agreement, Interval AgreementCi, double Consistency,
    double ErrorRate, double Ties, double BiasedToFirst, double BiasedToSecond, double MajorityBaseline)
{
    /// <summary>The judge's verdict over both games in model terms, or null for an error in either game.</summary>
    public static Winner? Combined(PairJudgment j) => j.G1 == Winner.Error || j.G2 == Winner.Error ? null : j.G1 == j.G2 ? j.G1 : Winner.Tie;

    /// <summary>
    /// The measures over <paramref name="rows"/>: the judge's two games per match (<see cref="PairJudgment"/>: game 1
    /// model_1 shown first, game 2 model_2 shown first) and the reference verdict in model terms.
    /// <see cref="MajorityBaseline"/> is what always answering the reference's most frequent verdict would agree.
    /// </summary>
    public static JudgeAgreement Compute(string judge, string reference, IReadOnlyList<(PairJudgment Judged, Winner Reference)> rows)
    {
        var n = rows.Count;
        var agree = rows.Count(r => Combined(r.Judged) == r.Reference);
        var games = rows.SelectMany(r => new[] { r.Judged.G1, r.Judged.G2 }).ToList();
        double Share(int k, int of) => of == 0 ? 0 : (double)k / of;
        var majority = rows.GroupBy(r => r.Reference).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        return new JudgeAgreement(judge, reference, n, Share(agree, n), Intervals.Wilson(agree, n), Share(rows.Count(r => r.Judged.Consistent), n),
            Share(games.Count(g => g == Winner.Error), games.Count), Share(games.Count(g => g == Winner.Tie), games.Count),
            Share(rows.Count(r => r.Judged.G1 == Winner.Model1 && r.Judged.G2 == Winner.Model2), n),
            Share(rows.Count(r => r.Judged.G1 == Winner.Model2 && r.Judged.G2 == Winner.Model1), n), Share(majority, n));
    }

    /// <summary>judge_agreement.json: {"judge", "reference", "pairs", "agreement", "agreement_ci": [lo, hi], "consistency", "error_rate", "ties"} (fractions in [0, 1]).</summary>
    public JsonObject ToJson() => new()
    {
        ["judge"] = Judge, ["reference"] = Reference, ["pairs"] = Pairs, ["agreement"] = Agreement,
        ["agreement_ci"] = new JsonArray(AgreementCi.Low, AgreementCi.High), ["consistency"] = Consistency, ["error_rate"] = ErrorRate, ["ties"] = Ties,
    };

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (temp file in the same folder, then rename).</summary>
    public void WriteAtomic(string path)
    {
        Toolkit.Core.Checkpoints.AtomicFile.WriteAllText(path, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>One line for the console.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{Judge} vs {Reference} on {Pairs} held-out matches × 2 orders: agreement {Agreement:P1} [{AgreementCi.Low:P1}, {AgreementCi.High:P1}] (always the most frequent {Reference} verdict: {MajorityBaseline:P1}); position consistency {Consistency:P1} (first shown won both {BiasedToFirst:P1}, second shown won both {BiasedToSecond:P1}); errors {ErrorRate:P1} of games; ties {Ties:P1} of games");
}
