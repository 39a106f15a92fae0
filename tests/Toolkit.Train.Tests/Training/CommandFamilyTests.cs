using System.Text.Json.Nodes;
using Toolkit.Train.Training;

namespace Toolkit.Train.Tests.Training;

/// <summary>Every command of the family runs end to end on the small model, with the step-1 values its loss implies when policy = reference.</summary>
public class CommandFamilyTests
{
    /// <summary>The synthetic pairs as unpaired KTO rows: chosen → label true, rejected → label false.</summary>
    static string KtoFile()
    {
        var path = Path.Combine(TrainKit.Root, "data", "kto.jsonl");
        if (File.Exists(path)) return path;
        var lines = new List<string>();
        foreach (var line in File.ReadLines(TrainKit.Pairs))
        {
            var row = JsonNode.Parse(line)!.AsObject();
            foreach (var (field, label) in new[] { ("chosen", true), ("rejected", false) })
                lines.Add(new JsonObject { ["prompt"] = row["prompt"]!.DeepClone(), ["completion"] = row[field]!.DeepClone(), ["label"] = label }.ToJsonString());
        }
        File.WriteAllLines(path + ".tmp", lines);
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    [Theory]
    [InlineData("dpo", "sigmoid,sft")]    // RPO: DPO + chosen NLL
    [InlineData("ipo", null)]
    [InlineData("simpo", null)]
    [InlineData("orpo", null)]
    [InlineData("kto", null)]
    public void Command_trains_and_starts_where_its_loss_says(string kind, string? lossType)
    {
        var o = TrainKit.Dpo(TrainKit.NewOut(kind), kind) with { MaxSteps = 3, EvalSteps = 0 };
        if (lossType is not null) o = o with { LossType = lossType };
        if (kind == "kto") o = o with { Data = KtoFile() };
        var (m, _) = TrainKit.Run(o);
        Assert.Equal(3, m.Count);
        Assert.All(m, r => Assert.True(double.IsFinite(r["loss"]) && r["grad_norm"] > 0));
        var first = m[0]["loss"];
        switch (kind)
        {
            case "ipo": Assert.Equal(Math.Pow(1 / (2 * o.Beta), 2), first, 6); break;       // (0 − 1/(2β))²
            case "kto": Assert.Equal(0.5, first, 9); Assert.Equal(0, m[0]["kl"]); break;    // 1 − σ(0); z₀ = 0
            case "dpo": Assert.Equal(Math.Log(2) + m[0]["nll_loss"], first, 6); break;        // ln 2 + NLL
            default: Assert.True(first > 0); break;                                             // no reference: depends on the model
        }
        Assert.NotEqual(m[0]["loss"], m[2]["loss"]);
    }

    [Fact]
    public void Data_of_the_wrong_form_is_refused_naming_file_and_what_the_command_needs()
    {
        var o = TrainKit.SftRun(TrainKit.NewOut("wrong")) with { Data = TrainKit.Pairs };
        var e = Assert.Throws<ArgumentException>(() => TrainingSetup.Build(o));
        Assert.Contains(TrainKit.Pairs, e.Message);
        Assert.Contains("SFT rows", e.Message);
    }

    [Fact]
    public void Fresh_run_into_an_old_run_folder_is_refused_with_the_resume_hint()
    {
        var o = TrainKit.Dpo(TrainKit.NewOut("twice")) with { MaxSteps = 2, ValidationSplit = 0 };
        TrainKit.Run(o);
        var e = Assert.Throws<ArgumentException>(() => TrainKit.Run(o));
        Assert.Contains("--resume latest", e.Message);
    }
}
