using Toolkit.Train.Losses;
using TorchSharp;
using Xunit.Abstractions;

namespace Toolkit.Train.Tests.Losses;

/// <summary>
/// ORPO's log(1 − eˣ) near x = 0, where a naive (1 − eˣ).log() (or TRL's log1p(−exp(x))) loses digits: against
/// log(−expm1(x)) from Python's math module (values printed by
/// <c>python3 -c "import math; print(repr(math.log(-math.expm1(x))))"</c>, an independent libm computation).
/// </summary>
public sealed class OrpoLogOddsTests(ITestOutputHelper output)
{
    [Fact]
    public void Log_one_minus_exp_is_exact_near_zero_and_far_from_it()
    {
        (double X, double Expected)[] cases =
        [
            (-1e-12, -27.631021115929048), (-1e-9, -20.723265837446412), (-1e-6, -13.815511057964233),
            (-1e-3, -6.908255237315471), (-0.5, -0.9327521295671886), (-0.6931471805599453, -0.6931471805599453),
            (-1.0, -0.45867514538708193), (-5.0, -0.006760749449488566), (-40.0, 0.0),
        ];
        using var x = torch.tensor(cases.Select(c => c.X).ToArray());
        using var y = PreferenceLoss.LogOneMinusExp(x);
        var got = y.data<double>().ToArray();
        var maxRel = 0.0;
        for (var i = 0; i < cases.Length; i++)
            maxRel = Math.Max(maxRel, Math.Abs(got[i] - cases[i].Expected) / Math.Max(1e-300, Math.Abs(cases[i].Expected) + 1e-18));
        output.WriteLine($"log(1 - exp(x)) vs python log(-expm1(x)): max relative |diff| {maxRel:E2} over {cases.Length} points");
        // the naive form is off by 2.2e-5 absolute (8e-7 relative) at x = -1e-12
        Assert.True(maxRel < 1e-13, $"max relative diff {maxRel:E2}");
    }

    [Fact]
    public void Orpo_log_odds_of_near_certain_completions_match_the_stable_formula()
    {
        // mean token log-probs of −1e-10 (chosen) and −1e-8 (rejected): log odds = p̄ − log(1 − e^p̄) per side
        using var scope = torch.NewDisposeScope();
        var chosen = new SequenceLogps(torch.tensor(new[] { -4e-10 }), torch.tensor(new[] { 4.0 }));
        var rejected = new SequenceLogps(torch.tensor(new[] { -4e-8 }), torch.tensor(new[] { 4.0 }));
        var r = PreferenceLoss.Compute(new LossOptions { Losses = [LossType.Orpo] }, chosen, rejected);
        // python: (-1e-10 - math.log(-math.expm1(-1e-10))) - (-1e-8 - math.log(-math.expm1(-1e-8)))
        const double expected = 4.605170190938097;   // the naive form gives 4.605170107070254
        var diff = Math.Abs(r.Metrics["log_odds_chosen"] - expected);
        output.WriteLine($"ORPO log_odds_chosen {r.Metrics["log_odds_chosen"]:R} vs python {expected:R}: |diff| {diff:E2}");
        Assert.True(diff < 1e-9, $"|diff| {diff:E2}");
    }
}
