using Toolkit.Train.Engine;
using Toolkit.Train.Training;
using Xunit.Abstractions;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// A real training run (the small decoder, DPO on the synthetic pairs, validation and checkpoints on) leaves TorchSharp's
/// live-tensor count where it was: from step 3 on (AdamW's moments exist after step 1) every step, validation and save
/// frees what it makes; after <see cref="Trainer.Run"/> (last checkpoint, final model, optimizers disposed) the count is
/// the one before it. With gradient checkpointing too (its saved inputs and recomputations must not leak).
/// </summary>
public sealed class TrainerLiveTensorsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Trainer_steps_return_the_live_count_to_its_baseline(bool lora, bool checkpointing)
    {
        var o = TrainKit.Dpo(TrainKit.NewOut((lora ? "live-lora" : "live") + (checkpointing ? "-ckpt" : ""))) with
        {
            MaxSteps = 7, EvalSteps = 2, SaveSteps = 3, GradientCheckpointing = checkpointing,
        };
        if (lora) o = o with { LoraR = 4, LoraAlpha = 8, LoraDropout = 0.05, LearningRate = 1e-2 };
        using var setup = TrainingSetup.Build(o);
        var trainer = setup.CreateTrainer();
        var counts = new SortedDictionary<int, long>();
        GC.Collect();                                              // the baselines hold no garbage from setup
        GC.WaitForPendingFinalizers();
        var before = LiveTensors.Count;
        trainer.BeforeStep = step =>
        {
            if (step >= 3) counts[step] = LiveTensors.Count;
        };
        trainer.Run();
        var end = LiveTensors.Count;
        output.WriteLine($"{(lora ? "LoRA" : "full")} DPO{(checkpointing ? " + gradient checkpointing" : "")}: live tensors before Run {before}, before steps {string.Join(", ", counts.Select(kv => $"{kv.Key}: {kv.Value}"))}, after Run {end}");
        Assert.Equal([3, 4, 5, 6, 7], counts.Keys);
        Assert.All(counts, kv => Assert.True(kv.Value == counts[3], $"before step {kv.Key}: {kv.Value} live tensors, {kv.Value - counts[3]:+0;-0} vs before step 3"));
        Assert.True(counts[3] > before, "AdamW's moments should be alive during the run");
        Assert.True(end == before, $"after Run: {end} live tensors, {end - before:+0;-0} vs before Run");
        Assert.Equal(7, TrainKit.Metrics(o.OutputDir!).Count);
    }
}
