using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Train.Training;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// Training refuses a model folder that cannot be right before any step (NaN weights named by tensor, not "lower
/// learning_rate"; vocab_size smaller than the tokenizer's ids), and a corrupt checkpoint file on resume is named:
/// "latest" falls back to the previous complete checkpoint and says so.
/// </summary>
public sealed class BrokenInputTests
{
    /// <summary>A copy of the small model folder with <paramref name="edit"/> applied to config.json or the weights.</summary>
    static string CopyModel(string name, Action<string> edit)
    {
        var dir = Path.Combine(TrainKit.Root, "broken", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(TrainKit.ModelDir)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        edit(dir);
        return dir;
    }

    [Fact]
    public void Nan_weights_on_load_are_refused_naming_the_tensor_not_the_learning_rate()
    {
        var dir = CopyModel("nan", d =>
        {
            var path = Path.Combine(d, "model.safetensors");
            List<ITensorData> tensors;
            using (var file = SafetensorsFile.Open(path))
                tensors = [.. file.Names.Select(n => file[n]).Select(t => (ITensorData)(t.Name == "model.norm.weight"
                    ? TensorBytes.FromFloats(t.Name, t.Shape, Enumerable.Repeat(float.NaN, (int)t.ElementCount).ToArray())
                    : new TensorBytes(t.Name, t.DType, t.Shape, t.ToArray())))];
            SafetensorsWriter.Write(path, tensors);
        });
        var e = Assert.Throws<CheckpointException>(() => TrainingSetup.Build(TrainKit.Dpo(TrainKit.NewOut("nan-load")) with { Model = dir }).Dispose());
        Assert.Contains("'model.norm.weight'", e.Message);
        Assert.Contains("NaN", e.Message);
        Assert.DoesNotContain("learning_rate", e.Message);
    }

    [Fact]
    public void A_vocab_size_below_the_tokenizer_ids_is_refused_before_training()
    {
        var dir = CopyModel("vocab", d =>
        {
            var path = Path.Combine(d, "config.json");
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            config["vocab_size"] = 300;
            File.WriteAllText(path, config.ToJsonString());
        });
        var e = Assert.ThrowsAny<Exception>(() => TrainingSetup.Build(TrainKit.Dpo(TrainKit.NewOut("vocab")) with { Model = dir }).Dispose());
        Assert.Contains("config.json", e.Message);
        Assert.Contains("vocab_size", e.Message);
        Assert.DoesNotContain("index out of range", e.Message);
    }

    [Fact]
    public void A_corrupt_latest_checkpoint_is_named_and_resume_uses_the_previous_one()
    {
        var o = TrainKit.Dpo(TrainKit.NewOut("corrupt")) with { MaxSteps = 6, SaveSteps = 2, WarmupSteps = 0 };
        TrainKit.Run(o, t => t.StopAfterStep = 5);   // checkpoints 2 and 4
        var bad = Path.Combine(o.OutputDir!, "checkpoint-4", Checkpoint.TrainableFile);
        File.WriteAllBytes(bad, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);

        // named explicitly: an error naming the file and offering the previous complete checkpoint
        var named = Assert.Throws<InvalidDataException>(() => TrainKit.Run(o with { ResumeFromCheckpoint = Path.Combine(o.OutputDir!, "checkpoint-4") }));
        Assert.Contains(bad, named.Message);
        Assert.Contains($"--resume {Path.Combine(o.OutputDir!, "checkpoint-2")}", named.Message);

        // latest: falls back to checkpoint-2, says so, and finishes the run
        var log = new List<string>();
        var (metrics, _) = TrainKit.Run(o with { ResumeFromCheckpoint = "latest" }, log: log);
        Assert.Contains(log, l => l.Contains(bad) && l.Contains("previous complete checkpoint") && l.Contains("checkpoint-2"));
        Assert.Equal(6, metrics.Count);
    }

    [Fact]
    public void A_checkpoint_of_the_libtorch_1_13_engine_is_refused_naming_the_file_and_what_to_do()
    {
        var o = TrainKit.Dpo(TrainKit.NewOut("v1")) with { MaxSteps = 4, SaveSteps = 2 };
        TrainKit.Run(o, t => t.StopAfterStep = 3);                   // checkpoint-2
        var folder = Path.Combine(o.OutputDir!, "checkpoint-2");
        var state = Path.Combine(folder, Checkpoint.StateFile);
        var json = JsonNode.Parse(File.ReadAllText(state))!.AsObject();
        Assert.True(json.Remove(Checkpoint.VersionKey), "a checkpoint records its version");  // as the old engine wrote it
        File.WriteAllText(state, json.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => TrainKit.Run(o with { ResumeFromCheckpoint = folder }));
        Assert.Contains(state, e.Message);
        Assert.Contains("checkpoint version 1", e.Message);
        Assert.Contains($"HINT: start a new run (the model in that folder loads as a normal checkpoint: --model {folder})", e.Message);
    }
}
