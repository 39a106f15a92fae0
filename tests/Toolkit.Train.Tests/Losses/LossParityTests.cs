using System.Text.Json.Nodes;
using Toolkit.Train.Losses;
using TorchSharp;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Losses.LossTestKit;
using static Toolkit.Train.Tests.Oracle;

namespace Toolkit.Train.Tests.Losses;

/// <summary>
/// Every loss on fixed per-sequence log-probs against tests/oracles/losses.py (float64 torch, written as TRL writes each
/// loss): loss, every metric and the gradient w.r.t. the policy log-probs within 1e-6; and the autograd gradient against
/// central finite differences.
/// </summary>
public sealed class LossParityTests(ITestOutputHelper output) : IDisposable
{
    const double Tol = 1e-6;
    readonly string dir = Directory.CreateTempSubdirectory("tk-losses-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Fixed inputs: B sequences with 3-20 completion tokens, mean token log-prob in [-2.5, -0.3], reference within ±2 nats.</summary>
    sealed record Inputs(double[] Sum, double[] Count, double[] Ref, double[] LogitsSum)
    {
        public static Inputs Make(Random rng, int b)
        {
            var count = Enumerable.Range(0, b).Select(_ => (double)rng.Next(3, 21)).ToArray();
            var sum = count.Select(c => -c * (0.3 + 2.2 * rng.NextDouble())).ToArray();
            var rf = sum.Select(s => s + 4 * (rng.NextDouble() - 0.5)).ToArray();
            var logits = count.Select(c => c * Vocab * (rng.NextDouble() - 0.5)).ToArray();
            return new Inputs(sum, count, rf, logits);
        }
    }

    sealed record Case(string Name, LossOptions Options, Inputs Chosen, Inputs Rejected, bool[]? Desirable = null)
    {
        public bool IsKto => Options.Losses.Contains(LossType.Kto);
    }

    static List<Case> Cases()
    {
        var rng = new Random(20240611);
        Case Paired(string name, LossOptions o, int b = 6) => new(name, o, Inputs.Make(rng, b), Inputs.Make(rng, b));
        // KTO: "Chosen" holds the examples, "Rejected" the mismatched (KL) pairs
        Case Kto(string name, LossOptions o, bool[] desirable) => new(name, o, Inputs.Make(rng, desirable.Length), Inputs.Make(rng, desirable.Length), desirable);
        var ls = new LossOptions();
        return
        [
            Paired("dpo sigmoid", ls),
            Paired("cDPO label smoothing 0.1", ls with { LabelSmoothing = 0.1 }),
            Paired("dpo length-normalized (sigmoid_norm)", ls with { Reduction = LogProbReduction.Mean, Beta = 0.5 }),
            Paired("robust eps 0.1", ls with { Losses = [LossType.Robust], LabelSmoothing = 0.1 }),
            Paired("hinge beta 0.5", ls with { Losses = [LossType.Hinge], Beta = 0.5 }),
            Paired("ipo tau 0.1", ls with { Losses = [LossType.Ipo] }),
            Paired("ipo tau 0.5 mean rewards", ls with { Losses = [LossType.Ipo], Beta = 0.5, Reduction = LogProbReduction.Mean }),
            Paired("simpo beta 2.5 gamma 1.375", ls with { Losses = [LossType.SimPO], Beta = 2.5, SimpoGamma = 1.375 }),
            Paired("simpo summed, smoothing 0.05", ls with { Losses = [LossType.SimPO], Beta = 2.0, LabelSmoothing = 0.05, Reduction = LogProbReduction.Sum, SimpoGamma = 0 }),
            Paired("orpo lambda 0.1", ls with { Losses = [LossType.Orpo] }),
            Paired("sft", ls with { Losses = [LossType.Sft] }),
            Paired("rpo = dpo + 0.5 sft", ls with { Losses = [LossType.Sigmoid, LossType.Sft], Weights = [1.0, 0.5] }),
            Paired("cpo-simpo = simpo + sft", ls with { Losses = [LossType.SimPO, LossType.Sft], Beta = 2.0, Weights = [1.0, 1.0] }),
            Paired("single pair", ls, b: 1),
            Kto("kto mixed", ls with { Losses = [LossType.Kto] }, [true, false, true, true, false, false, true]),
            Kto("kto mean, weights 1.33/1", ls with { Losses = [LossType.Kto], Reduction = LogProbReduction.Mean, DesirableWeight = 1.33, Beta = 0.3 }, [true, false, false, true]),
            Kto("kto all desirable", ls with { Losses = [LossType.Kto] }, [true, true, true]),
        ];
    }

    static string Name(LossType t) => t switch { LossType.SimPO => "simpo", _ => t.ToString().ToLowerInvariant() };

    /// <summary>Our loss, metrics and gradient w.r.t. the policy sums (chosen then rejected; for KTO the examples).</summary>
    static (double Loss, IReadOnlyDictionary<string, double> Metrics, double[] Grad) Ours(Case c, double[]? chosenSum = null, double[]? rejectedSum = null)
    {
        using var scope = torch.NewDisposeScope();
        var cs = torch.tensor(chosenSum ?? c.Chosen.Sum).requires_grad_();
        var rs = torch.tensor(rejectedSum ?? c.Rejected.Sum).requires_grad_();
        var chosen = new SequenceLogps(cs, torch.tensor(c.Chosen.Count), torch.tensor(c.Chosen.LogitsSum), Vocab);
        var rejected = new SequenceLogps(rs, torch.tensor(c.Rejected.Count), torch.tensor(c.Rejected.LogitsSum), Vocab);
        var result = c.IsKto
            ? KtoLoss.Compute(c.Options, chosen, torch.tensor(c.Chosen.Ref), rejected, torch.tensor(c.Rejected.Ref), c.Desirable!)
            : PreferenceLoss.Compute(c.Options, chosen, rejected, torch.tensor(c.Chosen.Ref), torch.tensor(c.Rejected.Ref));
        result.Loss.backward();
        var gc = ToDoubles(cs.grad!);
        double[] grad = c.IsKto ? gc : [.. gc, .. rs.grad is { } g ? ToDoubles(g) : new double[rs.size(0)]];
        return (result.Loss.ToDouble(), result.Metrics, grad);
    }

    JsonObject Serialize(Case c)
    {
        var o = c.Options;
        var j = new JsonObject
        {
            ["name"] = c.Name,
            ["losses"] = new JsonArray([.. o.Losses.Select(l => (JsonNode)Name(l))]),
            ["weights"] = o.Weights is null ? null : new JsonArray([.. o.Weights.Select(w => (JsonNode)w)]),
            ["beta"] = o.Beta, ["label_smoothing"] = o.LabelSmoothing, ["simpo_gamma"] = o.SimpoGamma,
            ["reduction"] = o.Reduction switch { LogProbReduction.Sum => "sum", LogProbReduction.Mean => "mean", _ => null },
            ["desirable_weight"] = o.DesirableWeight, ["undesirable_weight"] = o.UndesirableWeight, ["vocab"] = Vocab,
        };
        JsonArray A(double[] x) => new([.. x.Select(v => (JsonNode)v)]);
        if (c.IsKto)
        {
            j["sum"] = A(c.Chosen.Sum); j["count"] = A(c.Chosen.Count); j["ref"] = A(c.Chosen.Ref); j["logits_sum"] = A(c.Chosen.LogitsSum);
            j["kl_sum"] = A(c.Rejected.Sum); j["kl_count"] = A(c.Rejected.Count); j["ref_kl"] = A(c.Rejected.Ref);
            j["desirable"] = new JsonArray([.. c.Desirable!.Select(d => (JsonNode)d)]);
        }
        else
        {
            j["chosen_sum"] = A(c.Chosen.Sum); j["chosen_count"] = A(c.Chosen.Count); j["ref_chosen"] = A(c.Chosen.Ref);
            j["rejected_sum"] = A(c.Rejected.Sum); j["rejected_count"] = A(c.Rejected.Count); j["ref_rejected"] = A(c.Rejected.Ref);
            j["chosen_logits_sum"] = A(c.Chosen.LogitsSum); j["rejected_logits_sum"] = A(c.Rejected.LogitsSum);
        }
        return j;
    }

    [Fact]
    public void Every_loss_its_metrics_and_its_gradient_match_the_python_oracle()
    {
        var cases = Cases();
        var inPath = Path.Combine(dir, "in.json");
        var outPath = Path.Combine(dir, "out.json");
        File.WriteAllText(inPath, new JsonObject { ["cases"] = new JsonArray([.. cases.Select(c => (JsonNode)Serialize(c))]) }.ToJsonString());
        Python("tests/oracles/losses.py", inPath, outPath);
        var expected = JsonNode.Parse(File.ReadAllText(outPath))!["cases"]!.AsArray();
        Assert.Equal(cases.Count, expected.Count);
        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var e = expected[i]!;
            var (loss, metrics, grad) = Ours(c);
            var eMetrics = e["metrics"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
            var eGrad = c.IsKto ? e["grad"]!["sum"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray()
                : [.. e["grad"]!["chosen_sum"]!.AsArray().Select(x => x!.GetValue<double>()), .. e["grad"]!["rejected_sum"]!.AsArray().Select(x => x!.GetValue<double>())];
            var worstMetric = eMetrics.Max(kv => Math.Abs(kv.Value - (metrics.TryGetValue(kv.Key, out var v) ? v : double.NaN)));
            var gradDiff = MaxAbsDiff(grad, eGrad);
            output.WriteLine($"{c.Name,-40} loss {loss,12:F8} |diff| {Math.Abs(loss - e["loss"]!.GetValue<double>()):E1}  " +
                             $"metrics({metrics.Count}) max |diff| {worstMetric:E1}  grad max |diff| {gradDiff:E1}");
            Assert.True(Math.Abs(loss - e["loss"]!.GetValue<double>()) <= Tol, $"{c.Name}: loss {loss} vs python {e["loss"]}");
            Assert.Equal(eMetrics.Keys.Order(), metrics.Keys.Order());
            foreach (var (k, v) in eMetrics)
                Assert.True(Math.Abs(metrics[k] - v) <= Tol, $"{c.Name}: {k} = {metrics[k]} vs python {v}");
            Assert.True(gradDiff <= Tol, $"{c.Name}: gradient max |diff| {gradDiff}");
            Assert.Contains(eGrad, g => g != 0);   // the oracle's gradient is not trivially zero
        }
    }

    [Fact]
    public void Every_loss_gradient_matches_central_finite_differences()
    {
        const double h = 1e-6;
        foreach (var c in Cases())
        {
            var (_, _, grad) = Ours(c);
            var n = c.Chosen.Sum.Length;
            var worst = 0.0;
            var sides = c.IsKto ? 1 : 2;
            for (var side = 0; side < sides; side++)
            for (var i = 0; i < n; i++)
            {
                double[] Shift(double d)
                {
                    var x = (double[])(side == 0 ? c.Chosen.Sum : c.Rejected.Sum).Clone();
                    x[i] += d;
                    return x;
                }
                double L(double d) => side == 0 ? Ours(c, chosenSum: Shift(d)).Loss : Ours(c, rejectedSum: Shift(d)).Loss;
                var fd = (L(h) - L(-h)) / (2 * h);
                worst = Math.Max(worst, Math.Abs(fd - grad[side * n + i]));
            }
            output.WriteLine($"{c.Name,-40} autograd vs finite differences: max |diff| {worst:E1}");
            Assert.True(worst <= Tol, $"{c.Name}: gradient vs finite differences max |diff| {worst}");
        }
    }

    [Fact]
    public void Dpo_with_policy_equal_to_reference_is_ln2_with_zero_accuracy()
    {
        using var scope = torch.NewDisposeScope();
        var sums = new[] { -12.5, -3.25, -40.0, -7.0 };
        var counts = torch.tensor(new[] { 5.0, 2, 17, 4 });
        var chosen = new SequenceLogps(torch.tensor(sums).requires_grad_(), counts);
        var rejected = new SequenceLogps(torch.tensor(sums.Select(s => s * 1.5).ToArray()).requires_grad_(), counts);
        foreach (var type in new[] { LossType.Sigmoid, LossType.Robust })
        {
            var r = PreferenceLoss.Compute(new LossOptions { Losses = [type] }, chosen, rejected, chosen.Sum.detach(), rejected.Sum.detach());
            Assert.Equal(Math.Log(2), r.Loss.ToDouble(), 12);
            Assert.Equal(0.0, r.Metrics["rewards/accuracies"]);
            Assert.Equal(0.0, r.Metrics["rewards/margins"]);
        }
    }
}
