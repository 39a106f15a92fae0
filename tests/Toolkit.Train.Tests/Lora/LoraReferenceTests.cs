using Toolkit.Train.Losses;
using Toolkit.Train.Lora;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Lora.LoraTestKit;

namespace Toolkit.Train.Tests.Lora;

/// <summary>DPO with LoRA where the reference is the same decoder with its adapters off (one model in memory).</summary>
public sealed class LoraReferenceTests(ITestOutputHelper output) : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("tk-lora-ref-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    static IReadOnlyList<TokenPair> Pairs()
    {
        var rng = new Random(31);
        long[] Ids(int n) => Enumerable.Range(0, n).Select(_ => (long)rng.Next(1, Vocab)).ToArray();
        return Enumerable.Range(0, 3).Select(_ => new TokenPair(Ids(5), Ids(4), Ids(3))).ToList();
    }

    /// <summary>(chosen, rejected) summed completion log-probs (B) of <paramref name="model"/> as it is now, without grad.</summary>
    static (double[] Chosen, double[] Rejected) Logps(Decoder model, IReadOnlyList<TokenPair> pairs)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var (c, r) = CompletionLogps.Compute(model, PairLayouts.Concatenated(pairs)).SplitPairs();
        return (c.Sum.to(ScalarType.Float64).data<double>().ToArray(), r.Sum.to(ScalarType.Float64).data<double>().ToArray());
    }

    static double MaxDiff(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void Adapters_off_is_the_frozen_base_reference_before_and_after_dpo_steps()
    {
        using (var w = DecoderWeights.Random(Small("qwen2"), seed: 32)) w.Save(dir);
        using var frozen = Reload(dir);                          // the classic reference: a second, frozen copy
        using var model = Reload(dir);
        using var adapters = LoraAdapters.Attach(model, new LoraConfig { Dropout = 0 }, seed: 33);
        var pairs = Pairs();
        var options = new LossOptions { Beta = 0.1 };
        using var opt = torch.optim.AdamW(adapters.Parameters.Cast<TorchSharp.Modules.Parameter>(), lr: 1e-2, weight_decay: 0);

        var history = new List<(double Loss, double Accuracy, double RefDiff)>();
        for (var step = 0; step < 6; step++)
        {
            var live = Logps(frozen, pairs);
            (double[] C, double[] R) reference;
            using (adapters.Disable()) reference = Logps(model, pairs);
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            var (c, r) = CompletionLogps.Compute(model, PairLayouts.Concatenated(pairs)).SplitPairs();
            var result = PreferenceLoss.Compute(options, c, r, torch.tensor(reference.C), torch.tensor(reference.R));
            result.Loss.backward();
            opt.step();
            var refDiff = Math.Max(MaxDiff(reference.C, live.Chosen), MaxDiff(reference.R, live.Rejected));
            history.Add((result.Loss.ToDouble(), result.Metrics["rewards/accuracies"], refDiff));
        }
        output.WriteLine(string.Join("\n", history.Select((h, i) => $"step {i + 1}: loss {h.Loss:F6} accuracy {h.Accuracy:F2} |adapters-off − frozen copy| {h.RefDiff:E1}")));

        Assert.Equal(Math.Log(2), history[0].Loss, 1e-6);        // fresh adapters: policy = reference
        Assert.Equal(0, history[0].Accuracy);
        Assert.All(history, h => Assert.Equal(0, h.RefDiff));    // training never touched the base weights
        Assert.True(history[^1].Loss < Math.Log(2) - 0.01, $"DPO loss did not fall: {history[^1].Loss}");
        Assert.Equal(1, history[^1].Accuracy);
    }
}
