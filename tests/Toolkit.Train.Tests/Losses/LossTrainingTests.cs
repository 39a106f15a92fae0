using Toolkit.Train.Losses;
using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Losses.LossTestKit;
using static Toolkit.Train.Tests.Oracle;

namespace Toolkit.Train.Tests.Losses;

/// <summary>
/// For each objective: a few AdamW steps on a small random decoder with one fixed batch change the parameters and lower
/// the loss (TRL's "parameters changed" test, plus the direction). The reference is the initial model, precomputed once.
/// </summary>
public sealed class LossTrainingTests(ITestOutputHelper output)
{
    const int Steps = 8;

    public static TheoryData<LossType> AllLosses => [.. Enum.GetValues<LossType>()];

    static LossOptions OptionsFor(LossType type) => type switch
    {
        LossType.SimPO => new LossOptions { Losses = [type], Beta = 2.0, SimpoGamma = 0.5 },
        LossType.Robust => new LossOptions { Losses = [type], LabelSmoothing = 0.1 },
        _ => new LossOptions { Losses = [type] },
    };

    [Theory]
    [MemberData(nameof(AllLosses))]
    public void A_few_adamw_steps_change_the_parameters_and_lower_the_loss(LossType type)
    {
        using var model = SmallModel(seed: 30, trainable: true);
        var initial = model.Weights.All.Select(p => ToDoubles(p.Tensor.flatten())).ToList();
        var pairs = RandomPairs(4, seed: 31);
        var options = OptionsFor(type);
        using var optimizer = torch.optim.AdamW(model.Weights.All.Select(p => p.Tensor).Cast<TorchSharp.Modules.Parameter>(), lr: 3e-3, weight_decay: 0);

        // fixed batch and, where needed, the reference log-probs of the initial model (computed once, as precompute does)
        using var data = torch.NewDisposeScope();
        Func<LossResult> step;
        if (type == LossType.Kto)
        {
            var examples = pairs.Select(p => (p.Prompt, p.Chosen)).Concat(pairs.Select(p => (p.Prompt, p.Rejected))).ToList();
            bool[] desirable = [.. examples.Select((_, i) => i < pairs.Count)];
            var batch = PairLayouts.Completions(examples);
            var klBatch = PairLayouts.Completions(PairLayouts.Mismatched(examples));
            Tensor reference, referenceKl;
            using (torch.no_grad())
            {
                reference = CompletionLogps.Compute(model, batch).Sum;
                referenceKl = CompletionLogps.Compute(model, klBatch).Sum;
            }
            step = () =>
            {
                SequenceLogps kl;
                using (torch.no_grad()) kl = CompletionLogps.Compute(model, klBatch);   // TRL: KL batch without grad
                return KtoLoss.Compute(options, CompletionLogps.Compute(model, batch), reference, kl, referenceKl, desirable);
            };
        }
        else if (type == LossType.Sft)
        {
            var batch = PairLayouts.Completions([.. pairs.Select(p => (p.Prompt, p.Chosen))]);
            step = () => SftLoss.Compute(CompletionLogps.Compute(model, batch));
        }
        else
        {
            var batch = PairLayouts.SharedPrompt(pairs);
            SequenceLogps reference;
            using (torch.no_grad()) reference = CompletionLogps.Compute(model, batch);
            var (rc, rr) = reference.SplitPairs();
            step = () =>
            {
                var (c, r) = CompletionLogps.Compute(model, batch).SplitPairs();
                return PreferenceLoss.Compute(options, c, r, rc.Sum, rr.Sum);
            };
        }

        var losses = new List<double>();
        IReadOnlyDictionary<string, double>? last = null;
        for (var i = 0; i < Steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var result = step();
            result.Loss.backward();
            optimizer.step();
            losses.Add(result.Loss.ToDouble());
            last = result.Metrics;
        }
        double final;
        using (var scope = torch.NewDisposeScope()) final = step().Loss.ToDouble();
        losses.Add(final);

        var moved = model.Weights.All.Select((p, i) => MaxAbsDiff(ToDoubles(p.Tensor.flatten()), initial[i])).ToList();
        output.WriteLine($"{type}: loss {string.Join(" → ", losses.Select(l => l.ToString("F4")))}");
        output.WriteLine($"  last-step metrics: {string.Join(", ", last!.Select(kv => $"{kv.Key}={kv.Value:G4}"))}");
        Assert.True(moved.All(m => m > 0), $"{type}: {moved.Count(m => m == 0)} parameter tensors did not change");
        Assert.True(final < losses[0] - 1e-3, $"{type}: loss did not fall ({losses[0]} → {final})");
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        if (options.NeedsReference && type != LossType.Kto)
        {
            Assert.True(last!["rewards/margins"] > 0, $"{type}: margin should grow from 0");
            Assert.Equal(1.0, last["rewards/accuracies"]);
        }
    }
}
