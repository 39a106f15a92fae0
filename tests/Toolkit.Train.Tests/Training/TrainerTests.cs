using Toolkit.Core.Checkpoints;
using Toolkit.Train.Model;
using Toolkit.Train.Training;
using TorchSharp;

namespace Toolkit.Train.Tests.Training;

public class TrainerTests
{
    static readonly string[] TrlNames =
    [
        "loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected",
        "logits/chosen", "logits/rejected", "grad_norm", "learning_rate", "tokens/s",
    ];

    [Fact]
    public void Dpo_logs_TRL_names_starts_at_ln2_and_writes_a_readable_checkpoint()
    {
        var o = TrainKit.Dpo(TrainKit.NewOut("names")) with { MaxSteps = 3, EvalSteps = 2 };
        var (metrics, _) = TrainKit.Run(o);
        Assert.Equal([1.0, 2, 3], metrics.Select(m => m["step"]));
        foreach (var name in TrlNames) Assert.True(metrics.All(m => m.ContainsKey(name)), $"metric '{name}' missing from metrics.jsonl");
        // policy = reference at step 1: loss ln 2, accuracy 0 (strict wins), margins 0
        Assert.Equal(Math.Log(2), metrics[0]["loss"], 6);
        Assert.Equal(0, metrics[0]["rewards/accuracies"]);
        Assert.Equal(0, metrics[0]["rewards/margins"], 9);
        // validation at step 2 and at the end, with the KL estimate and the gap
        foreach (var m in new[] { metrics[1], metrics[2] })
        {
            Assert.True(m.ContainsKey("eval_loss") && m.ContainsKey("eval_rewards/accuracies") && m.ContainsKey("train_eval_gap"));
            Assert.True(m["eval_kl"] > 0, "the policy moved, so KL(policy || reference) must be positive");
        }
        var header = File.ReadLines(Path.Combine(o.OutputDir!, "metrics.csv")).First().Split(',');
        foreach (var name in TrlNames.Append("eval_kl")) Assert.Contains(name, header);
        var svg = File.ReadAllText(Path.Combine(o.OutputDir!, "metrics.svg"));
        Assert.Contains("<path", svg);   // ScottPlot draws each series as a path
        Assert.Contains("rewards/accuracies", svg);
        // the output folder is an HF checkpoint the model core reads back, equal to the last checkpoint
        using var folder = CheckpointFolder.Open(o.OutputDir!);
        using var w = DecoderWeights.Load(folder);
        using var ck = CheckpointFolder.Open(Path.Combine(o.OutputDir!, "checkpoint-3"));
        using var w3 = DecoderWeights.Load(ck);
        Assert.True(File.Exists(Path.Combine(o.OutputDir!, "tokenizer.json")));
        Assert.Equal(0, TrainKit.MaxDiff(TrainKit.Floats(w["model.norm.weight"]), TrainKit.Floats(w3["model.norm.weight"])));
        using var start = CheckpointFolder.Open(TrainKit.ModelDir);
        using var w0 = DecoderWeights.Load(start);
        Assert.True(TrainKit.MaxDiff(TrainKit.Floats(w["model.layers.0.mlp.up_proj.weight"]), TrainKit.Floats(w0["model.layers.0.mlp.up_proj.weight"])) > 1e-4);
    }

    [Fact]
    public void Gradient_accumulation_4x1_equals_1x4()
    {
        foreach (var sft in new[] { false, true })
        {
            TrainOptions Make(int batch, int accum) => sft
                ? TrainKit.SftRun(TrainKit.NewOut("ga")) with { MaxSteps = 3, PerDeviceTrainBatchSize = batch, GradientAccumulationSteps = accum, ValidationSplit = 0 }
                : TrainKit.Dpo(TrainKit.NewOut("ga")) with { MaxSteps = 3, PerDeviceTrainBatchSize = batch, GradientAccumulationSteps = accum, ValidationSplit = 0 };
            var (big, wBig) = TrainKit.Run(Make(4, 1));
            var (acc, wAcc) = TrainKit.Run(Make(1, 4));
            for (var i = 0; i < 3; i++)
            {
                // grad_norm is logged before clipping: a mis-scaled accumulation (sum instead of mean) shows here as 4×,
                // even though Adam's update would hide it
                Assert.Equal(big[i]["loss"], acc[i]["loss"], 5);
                Assert.True(Math.Abs(big[i]["grad_norm"] / acc[i]["grad_norm"] - 1) < 1e-4, $"{(sft ? "sft" : "dpo")} step {i + 1}: grad_norm {big[i]["grad_norm"]} (1×4) vs {acc[i]["grad_norm"]} (4×1)");
            }
            foreach (var name in wBig.Keys) Assert.True(TrainKit.MaxDiff(wBig[name], wAcc[name]) < 1e-4, $"{name} differs");
        }
    }

    [Fact]
    public void Precomputed_reference_equals_the_live_reference_and_is_cached_by_hash()
    {
        var live = TrainKit.Dpo(TrainKit.NewOut("live")) with { MaxSteps = 3, EvalSteps = 3 };
        var pre = live with { OutputDir = TrainKit.NewOut("pre"), PrecomputeRefLogProbs = true };
        var (a, wa) = TrainKit.Run(live);
        var log = new List<string>();
        var (b, wb) = TrainKit.Run(pre, log: log);
        Assert.Contains(log, l => l.Contains("precomputing"));
        for (var i = 0; i < 3; i++)
            foreach (var key in new[] { "loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "grad_norm" })
                Assert.True(Math.Abs(a[i][key] - b[i][key]) < 1e-5, $"step {i + 1} {key}: live {a[i][key]} vs precomputed {b[i][key]}");
        Assert.Equal(a[2]["eval_loss"], b[2]["eval_loss"], 5);
        Assert.False(b[2].ContainsKey("eval_kl"));   // no live reference: no full-distribution KL
        foreach (var name in wa.Keys) Assert.True(TrainKit.MaxDiff(wa[name], wb[name]) < 1e-4);
        // same data and reference: the cache file is found; other data (a different split seed) misses it
        var cacheDir = Path.Combine(pre.OutputDir!, "ref_logps");
        var again = pre with { OutputDir = TrainKit.NewOut("pre2") };
        Directory.CreateDirectory(again.OutputDir!);
        foreach (var f in Directory.GetFiles(cacheDir)) { Directory.CreateDirectory(Path.Combine(again.OutputDir!, "ref_logps")); File.Copy(f, Path.Combine(again.OutputDir!, "ref_logps", Path.GetFileName(f))); }
        var log2 = new List<string>();
        using (TrainingSetup.Build(again, log2.Add)) { }
        Assert.Contains(log2, l => l.Contains("cached in"));
        var log3 = new List<string>();
        using (TrainingSetup.Build(again with { Seed = 43 }, log3.Add)) { }
        Assert.Contains(log3, l => l.Contains("precomputing"));
    }

    [Fact]
    public void Killed_run_resumed_from_checkpoint_continues_the_same_trajectory()
    {
        var full = TrainKit.Dpo(TrainKit.NewOut("full")) with { MaxSteps = 6, SaveSteps = 2, EvalSteps = 3, WarmupSteps = 2, LearningRate = 2e-3 };
        var (a, wa) = TrainKit.Run(full);

        var killed = full with { OutputDir = TrainKit.NewOut("killed") };
        TrainKit.Run(killed, t => t.StopAfterStep = 5);            // "killed" after step 5: checkpoints 2 and 4 exist
        Assert.True(Directory.Exists(Path.Combine(killed.OutputDir!, "checkpoint-4")));
        Assert.Equal(5, TrainKit.Metrics(killed.OutputDir!).Count);
        var (b, wb) = TrainKit.Run(killed with { ResumeFromCheckpoint = "latest" });

        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
            foreach (var (k, v) in a[i].Where(kv => kv.Key != "tokens/s"))
                Assert.True(v.Equals(b[i][k]), $"step {i + 1} {k}: uninterrupted {v:R}, resumed {b[i][k]:R}");
        foreach (var name in wa.Keys) Assert.Equal(0, TrainKit.MaxDiff(wa[name], wb[name]));
    }

    [Fact]
    public void Nan_loss_stops_naming_step_and_batch_after_saving_what_is_safe()
    {
        var o = TrainKit.Dpo(TrainKit.NewOut("nan")) with { MaxSteps = 6, SaveSteps = 2 };
        using var setup = TrainingSetup.Build(o);
        var trainer = setup.CreateTrainer();
        trainer.BeforeStep = step =>
        {
            if (step != 3) return;
            using var _ = torch.no_grad();
            setup.Policy.Model.Weights["model.norm.weight"].fill_(double.NaN);
        };
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run());
        Assert.Equal(3, e.Step);
        Assert.Equal(1, e.MicroBatch);
        Assert.Contains("step 3", e.Message);
        Assert.Contains("micro-batch 1", e.Message);
        Assert.Contains("pairs.jsonl:", e.Message);                 // the examples of the batch, by file and line
        Assert.Contains("not saved", e.Message);                    // NaN weights are not written ...
        Assert.True(Directory.Exists(Path.Combine(o.OutputDir!, "checkpoint-2")));   // ... the last good checkpoint stays
        Assert.False(Directory.Exists(Path.Combine(o.OutputDir!, "checkpoint-3")));
        var m = TrainKit.Metrics(o.OutputDir!);
        Assert.Equal([1.0, 2, 3], m.Select(r => r["step"]));
        Assert.True(double.IsNaN(m[2]["loss"]));
        Assert.True(File.Exists(Path.Combine(o.OutputDir!, "nan_report.json")));
    }

    [Fact]
    public void Sft_on_the_synthetic_task_lowers_the_loss()
    {
        var o = TrainKit.SftRun(TrainKit.NewOut("sft")) with { MaxSteps = 30, PerDeviceTrainBatchSize = 8, EvalSteps = 15, WarmupSteps = 3 };
        var (m, _) = TrainKit.Run(o);
        var first = m[0]["loss"];
        var last = m.TakeLast(5).Average(r => r["loss"]);
        Assert.True(last < 0.6 * first, $"SFT loss {first:F3} → {last:F3}: expected to fall by 40%");
        Assert.True(m[^1]["eval_loss"] < m[14]["eval_loss"], "validation loss should keep falling");
        Assert.True(m.All(r => r.ContainsKey("num_tokens")));
    }

    [Fact]
    public void Dpo_raises_reward_accuracy_on_training_pairs()
    {
        var o = TrainKit.Dpo(TrainKit.NewOut("dpo")) with { MaxSteps = 24, PerDeviceTrainBatchSize = 8, EvalSteps = 0, ValidationSplit = 0 };
        var (m, _) = TrainKit.Run(o);
        var acc = m.TakeLast(6).Average(r => r["rewards/accuracies"]);
        Assert.True(acc > 0.7, $"rewards/accuracies over the last 6 steps {acc:F2}: expected > 0.7");
        Assert.True(m.TakeLast(6).Average(r => r["rewards/margins"]) > 0);
        Assert.True(m.TakeLast(6).Average(r => r["loss"]) < Math.Log(2));
    }

    [Fact]
    public void Lora_dpo_uses_the_base_with_adapters_off_as_reference_and_writes_a_peft_folder()
    {
        var o = TrainKit.Dpo(TrainKit.NewOut("lora")) with { MaxSteps = 4, LoraR = 4, LoraAlpha = 8, LoraDropout = 0, LearningRate = 1e-2, EvalSteps = 0 };
        var log = new List<string>();
        var (m, w) = TrainKit.Run(o, log: log);
        Assert.Contains(log, l => l.Contains("adapters disabled"));
        Assert.Equal(Math.Log(2), m[0]["loss"], 6);                 // B = 0 at start: policy = reference
        Assert.True(m[^1]["eval_kl"] > 0);
        Assert.All(w.Keys, k => Assert.Contains("lora_", k));
        Assert.True(File.Exists(Path.Combine(o.OutputDir!, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(o.OutputDir!, "adapter_model.safetensors")));
        Assert.False(File.Exists(Path.Combine(o.OutputDir!, "model.safetensors")));
    }
    [Fact]
    public void Early_stopping_ends_the_run_when_eval_loss_stops_improving_and_still_writes_the_model()
    {
        // threshold 100: after the first validation nothing counts as an improvement, so patience 2 stops at the 3rd
        var o = TrainKit.Dpo(TrainKit.NewOut("early")) with { MaxSteps = 20, EvalSteps = 1, EarlyStoppingPatience = 2, EarlyStoppingThreshold = 100 };
        var log = new List<string>();
        var (m, _) = TrainKit.Run(o, log: log);
        Assert.Equal(3, m.Count);
        Assert.Contains(log, l => l.StartsWith("early stopping at step 3"));
        var state = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(o.OutputDir!, "trainer_state.json")))!;
        Assert.True((bool)state["early_stopped"]!);
        Assert.Equal(1, (int)state["best_step"]!);
        Assert.True(File.Exists(Path.Combine(o.OutputDir!, "model.safetensors")));
    }
}
