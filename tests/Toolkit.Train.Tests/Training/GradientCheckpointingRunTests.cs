using Toolkit.Train.Training;
using Xunit.Abstractions;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// <c>gradient_checkpointing: true</c> is a memory setting, not a different training run: four DPO steps and four SFT
/// steps give the same losses, gradient norms and final weights as without it.
/// </summary>
public sealed class GradientCheckpointingRunTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("dpo")]
    [InlineData("sft")]
    public void A_checkpointed_run_follows_the_plain_runs_trajectory(string kind)
    {
        TrainOptions Options(bool on) => kind == "dpo"
            ? TrainKit.Dpo(TrainKit.NewOut($"gc-{kind}-{on}")) with { GradientCheckpointing = on }
            : TrainKit.SftRun(TrainKit.NewOut($"gc-{kind}-{on}")) with { GradientCheckpointing = on };
        var plain = TrainKit.Run(Options(false));
        var ckpt = TrainKit.Run(Options(true));
        Assert.Equal(4, ckpt.Metrics.Count);
        var dLoss = plain.Metrics.Zip(ckpt.Metrics, (a, b) => Math.Abs(a["loss"] - b["loss"])).Max();
        var dNorm = plain.Metrics.Zip(ckpt.Metrics, (a, b) => Math.Abs(a["grad_norm"] - b["grad_norm"])).Max();
        var dW = plain.Weights.Max(kv => TrainKit.MaxDiff(kv.Value, ckpt.Weights[kv.Key]));
        output.WriteLine($"{kind}: checkpointed vs plain over 4 steps: loss max |diff| {dLoss:G3}, grad_norm {dNorm:G3}, weights {dW:G3}");
        Assert.True(plain.Metrics[0]["loss"] != plain.Metrics[^1]["loss"], "the plain run did not train");
        Assert.True(dLoss <= 1e-6 && dNorm <= 1e-6 && dW <= 1e-6, $"loss {dLoss}, grad_norm {dNorm}, weights {dW}");
    }
}
