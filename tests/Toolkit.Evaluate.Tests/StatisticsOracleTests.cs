using System.Text.Json.Nodes;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Statistics;

namespace Toolkit.Evaluate.Tests;

/// <summary>Statistics against tests/oracles/winrate_stats.py (Debian python3-numpy / python3-scipy / python3-sklearn).</summary>
public sealed class StatisticsOracleTests(ITestOutputHelper output)
{
    [Fact]
    public void WilsonSignTestBootstrapLcAndBradleyTerryAgreeWithNumpyScipyAndSklearn()
    {
        var rng = new Random(7);
        // 1) Wilson and sign test cases.
        (int K, int M, double Level)[] wilson = [(7, 10, 0.95), (0, 12, 0.95), (40, 40, 0.9), (55, 120, 0.99), (1, 1, 0.95)];
        (int W, int L)[] sign = [(7, 3), (0, 5), (30, 30), (61, 39), (1, 0)];
        // 2) Bootstrap over question clusters: 60 questions, 2 turns each, scores in {0, 0.5, 1}.
        var clusters = Enumerable.Range(0, 60).Select(_ => (Sum: (double)(rng.Next(3) + rng.Next(3)) / 2, Count: 2.0)).ToList();
        // 3) LC: 80 rows whose preference leans with the length difference.
        var delta = Enumerable.Range(0, 80).Select(_ => (double)rng.Next(-400, 600)).ToArray();
        var p = delta.Select(d => Math.Clamp(Math.Round((0.55 + 0.3 * Math.Tanh(d / 300) + (rng.NextDouble() - 0.5) * 0.6) * 2) / 2, 0, 1)).ToArray();
        // 4) BT: three models, random games with ties, no model perfectly separated.
        string[] models = ["sft", "dpo", "simpo"];
        double[] strength = [0, 1.5, 0.7];
        var rows = new List<PairJudgment>();
        for (var q = 0; q < 240; q++)
        {
            int a = rng.Next(3), b = (a + 1 + rng.Next(2)) % 3;
            Winner Game()
            {
                var pa = 1 / (1 + Math.Exp(-(strength[a] - strength[b])));
                var u = rng.NextDouble();
                return u < 0.15 ? Winner.Tie : rng.NextDouble() < pa ? Winner.Model1 : Winner.Model2;
            }
            rows.Add(Kit.Row(q.ToString(), Game(), Game(), m1: models[a], m2: models[b]));
        }
        var battles = rows.SelectMany(r => new[] { r.G1, r.G2 }.Select(w => new JsonArray(r.Model1, r.Model2, w == Winner.Model1 ? 1.0 : w == Winner.Tie ? 0.5 : 0.0))).ToArray();

        using var dir = new TempDir();
        var input = new JsonObject
        {
            ["wilson"] = new JsonArray(wilson.Select(c => (JsonNode)new JsonObject { ["k"] = c.K, ["m"] = c.M, ["level"] = c.Level }).ToArray()),
            ["sign"] = new JsonArray(sign.Select(c => (JsonNode)new JsonObject { ["wins"] = c.W, ["losses"] = c.L }).ToArray()),
            ["bootstrap"] = new JsonArray(new JsonObject
            {
                ["sums"] = new JsonArray(clusters.Select(c => (JsonNode)c.Sum).ToArray()), ["counts"] = new JsonArray(clusters.Select(c => (JsonNode)c.Count).ToArray()),
                ["rounds"] = 40000, ["level"] = 0.95, ["seed"] = 0,
            }),
            ["lc"] = new JsonArray(new JsonObject { ["p"] = new JsonArray(p.Select(x => (JsonNode)x).ToArray()), ["delta"] = new JsonArray(delta.Select(x => (JsonNode)x).ToArray()) }),
            ["bt"] = new JsonArray(new JsonObject { ["battles"] = new JsonArray(battles), ["anchor"] = "sft" }),
        };
        File.WriteAllText(dir.File("in.json"), input.ToJsonString());
        Kit.Python("tests/oracles/winrate_stats.py", dir.File("in.json"), dir.File("out.json"));
        var o = JsonNode.Parse(File.ReadAllText(dir.File("out.json")))!;

        var worst = 0.0;
        for (var i = 0; i < wilson.Length; i++)
        {
            var ours = Intervals.Wilson(wilson[i].K, wilson[i].M, wilson[i].Level);
            worst = Math.Max(worst, Math.Max(Math.Abs(ours.Low - o["wilson"]![i]![0]!.GetValue<double>()), Math.Abs(ours.High - o["wilson"]![i]![1]!.GetValue<double>())));
        }
        output.WriteLine($"Wilson vs scipy binomtest(...).proportion_ci(method='wilson'): max |diff| {worst:E2}");
        Assert.True(worst < 1e-9, $"Wilson max |diff| {worst}");

        worst = 0;
        for (var i = 0; i < sign.Length; i++) worst = Math.Max(worst, Math.Abs(Intervals.SignTestGreater(sign[i].W, sign[i].L) - o["sign"]![i]!.GetValue<double>()));
        output.WriteLine($"sign test vs scipy binomtest(alternative='greater'): max |diff| {worst:E2}");
        Assert.True(worst < 1e-9, $"sign test max |diff| {worst}");

        // Different random streams (System.Random vs numpy PCG64): the two bootstrap distributions agree to Monte-Carlo error.
        var ci = Intervals.BootstrapRatio(clusters, rounds: 40000, level: 0.95, seed: 0);
        var bootDiff = Math.Max(Math.Abs(ci.Low - o["bootstrap"]![0]![0]!.GetValue<double>()), Math.Abs(ci.High - o["bootstrap"]![0]![1]!.GetValue<double>()));
        output.WriteLine($"bootstrap 95% interval {ci} vs numpy [{o["bootstrap"]![0]![0]}, {o["bootstrap"]![0]![1]}]: max |diff| {bootDiff:E2} (40,000 rounds each)");
        Assert.True(bootDiff < 0.01, $"bootstrap max |diff| {bootDiff}");
        Assert.Equal(ci, Intervals.BootstrapRatio(clusters, rounds: 40000, level: 0.95, seed: 0));   // fixed seed: same interval

        var lc = LengthControlled.Fit(p, delta);
        var lcDiff = new[] { lc.Theta - o["lc"]![0]!["theta"]!.GetValue<double>(), lc.Phi - o["lc"]![0]!["phi"]!.GetValue<double>(), lc.WinRate - o["lc"]![0]!["lc"]!.GetValue<double>() }.Max(Math.Abs);
        output.WriteLine($"LC GLM θ {lc.Theta:F6} φ {lc.Phi:F6} LC {lc.WinRate:F6} (raw {lc.RawWinRate:F4}) vs sklearn: max |diff| {lcDiff:E2}");
        Assert.True(lcDiff < 1e-5, $"LC max |diff| {lcDiff}");

        var bt = BradleyTerry.Fit(rows, anchor: "sft");
        var btDiff = models.Max(m => Math.Abs(bt[m] - o["bt"]![0]![m]!.GetValue<double>()));
        output.WriteLine($"Bradley–Terry {string.Join(", ", models.Select(m => $"{m} {bt[m]:F3}"))} vs sklearn: max |diff| {btDiff:E2} Elo");
        Assert.True(btDiff < 1e-3, $"BT max |diff| {btDiff}");
        Assert.True(bt["dpo"] > bt["simpo"] && bt["simpo"] > bt["sft"], "the simulated strengths order dpo > simpo > sft");
        var withCi = BradleyTerry.FitWithIntervals(rows, anchor: "sft", rounds: 100);
        Assert.All(withCi, r => Assert.InRange(r.Elo, r.Low - 1e-9, r.High + 1e-9));
    }
}
