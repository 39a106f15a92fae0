using Toolkit.Train.Training;

namespace Toolkit.Train.Tests.Training;

public class ScheduleAndConfigTests
{
    [Fact]
    public void Cosine_with_warmup_follows_the_transformers_formula()
    {
        // hand values of get_cosine_schedule_with_warmup(warmup 10, total 110): s/10 during warmup, then ½(1+cos(π p))
        var s = new LrSchedule(LrSchedulerType.Cosine, 2e-5, 110, 10);
        Assert.Equal(0, s.At(0));
        Assert.Equal(1e-5, s.At(5), 15);
        Assert.Equal(2e-5, s.At(10), 15);
        Assert.Equal(1e-5, s.At(60), 15);                                 // p = 0.5
        Assert.Equal(2e-5 * 0.5 * (1 + Math.Cos(Math.PI * 0.25)), s.At(35), 15);
        Assert.Equal(0, s.At(110), 15);
        var floor = new LrSchedule(LrSchedulerType.Cosine, 1.0, 110, 10, MinLrRatio: 0.1);
        Assert.Equal(0.1, floor.At(110), 12);
        Assert.Equal(0.55, floor.At(60), 12);
        // warmup_ratio rounds up, as transformers' get_warmup_steps does
        Assert.Equal(4, LrSchedule.From(new SftOptions { WarmupRatio = 0.1 }, 35).WarmupSteps);
        Assert.Equal(0.5, new LrSchedule(LrSchedulerType.Linear, 1.0, 20, 0).At(10), 12);
    }

    static string Yaml(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tk-cfg-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Yaml_config_sets_options_by_their_TRL_names()
    {
        var path = Yaml("learning_rate: 5.0e-7\nbeta: 0.05\nloss_type: [sigmoid, sft]\nloss_weights: [1, 0.2]\nper_device_train_batch_size: 2\nbf16: false\noutput_dir: /tmp/x\n");
        var o = ConfigFile.Apply(PreferenceOptions.For("dpo"), path);
        Assert.Equal(5e-7, o.LearningRate);
        Assert.Equal(0.05, o.Beta);
        Assert.Equal("sigmoid,sft", o.LossType);
        Assert.Equal(2, o.PerDeviceTrainBatchSize);
        Assert.Equal(Bf16Mode.False, o.Bf16);
        var loss = o.ToLossOptions();
        Assert.Equal([Toolkit.Train.Losses.LossType.Sigmoid, Toolkit.Train.Losses.LossType.Sft], loss.Losses);
        Assert.Equal([1.0, 0.2], loss.Weights);
    }

    [Fact]
    public void Yaml_unknown_key_is_refused_with_its_line_and_a_suggestion()
    {
        var path = Yaml("beta: 0.1\n# a comment\nlerning_rate: 1e-5\n");
        var e = Assert.Throws<ArgumentException>(() => ConfigFile.Apply(PreferenceOptions.For("dpo"), path));
        Assert.Contains($"{path}:3:", e.Message);
        Assert.Contains("'lerning_rate'", e.Message);
        Assert.Contains("did you mean 'learning_rate'", e.Message);
    }

    [Fact]
    public void Yaml_bad_value_names_line_and_key()
    {
        var path = Yaml("seed: 1\nbeta: lots\n");
        var e = Assert.Throws<ArgumentException>(() => ConfigFile.Apply(PreferenceOptions.For("dpo"), path));
        Assert.Contains($"{path}:2", e.Message);
        Assert.Contains("beta", e.Message);
        // SFT has no beta: the same key is unknown there
        var e2 = Assert.Throws<ArgumentException>(() => ConfigFile.Apply(new SftOptions(), Yaml("beta: 0.1\n")));
        Assert.Contains(":1:", e2.Message);
    }

    [Fact]
    public void Every_option_has_help_and_validate_says_what_to_do()
    {
        foreach (var t in new[] { typeof(SftOptions), typeof(PreferenceOptions) })
            foreach (var e in OptionBinder.Entries(t))
                Assert.True(e.Option.Help.Length > 20, $"{e.Option.Key} needs a real help text");
        Assert.Contains("| `beta` |", OptionBinder.Markdown(PreferenceOptions.For("dpo")));
        var bad = PreferenceOptions.For("dpo") with { Model = TrainKit.ModelDir, Data = TrainKit.Pairs, OutputDir = "/tmp/x", WarmupRatio = 1.5 };
        Assert.Contains("warmup_ratio 1.5 must be in [0, 1)", Assert.Throws<ArgumentException>(bad.Validate).Message);
        var kto = PreferenceOptions.For("kto") with { Model = TrainKit.ModelDir, Data = TrainKit.Pairs, OutputDir = "/tmp/x", PrecomputeRefLogProbs = true };
        Assert.Contains("not available for kto", Assert.Throws<ArgumentException>(kto.Validate).Message);
        var yaml = OptionBinder.ToYaml(bad);
        var back = ConfigFile.Apply(PreferenceOptions.For("dpo"), Yaml(yaml));
        Assert.Equal(bad with { }, back);
    }

    [Theory]
    [InlineData("lr_scheduler_type: cosin\n", "cosine, linear, constant")]
    [InlineData("truncation_mode: keep_middle\n", "keep_end, keep_start")]
    [InlineData("on_bad_row: ignore\n", "skip, fail")]
    [InlineData("bf16: sometimes\n", "auto, true, false")]
    public void Enum_options_refuse_a_typo_with_the_valid_values_and_the_line(string yaml, string valid)
    {
        var path = Yaml(yaml);
        var e = Assert.Throws<ArgumentException>(() => ConfigFile.Apply(new SftOptions(), path));
        Assert.Contains($"{path}:1", e.Message);
        Assert.Contains(valid, e.Message);
    }

    [Fact]
    public void Enum_options_bind_their_snake_case_words_and_write_them_back()
    {
        var o = ConfigFile.Apply(new SftOptions(), Yaml("lr_scheduler_type: linear\ntruncation_mode: keep_start\non_bad_row: fail\nbf16: auto\n"));
        Assert.Equal(LrSchedulerType.Linear, o.LrSchedulerType);
        Assert.Equal(Toolkit.Train.Data.TruncationMode.KeepStart, o.TruncationMode);
        Assert.Equal(Toolkit.Train.Data.OnBadRow.Fail, o.OnBadRow);
        var yaml = OptionBinder.ToYaml(o);
        Assert.Contains("truncation_mode: keep_start", yaml);
        Assert.Contains("lr_scheduler_type: linear", yaml);
        Assert.Equal(o, ConfigFile.Apply(new SftOptions(), Yaml(yaml)));
    }

    [Fact]
    public void Preference_enum_options_refuse_a_typo_with_the_valid_values()
    {
        var e = Assert.Throws<ArgumentException>(() => ConfigFile.Apply(PreferenceOptions.For("dpo"), Yaml("logprob_reduction: avg\n")));
        Assert.Contains("sum, mean", e.Message);
        Assert.Equal(Toolkit.Train.Losses.LogProbReduction.Mean,
            ConfigFile.Apply(PreferenceOptions.For("dpo"), Yaml("logprob_reduction: mean\n")).ToLossOptions().Reduction);
        var loss = PreferenceOptions.For("dpo") with { LossType = "sigmoid,sfft" };
        Assert.Contains("use sigmoid, robust, hinge, ipo, simpo, orpo, kto or sft", Assert.Throws<ArgumentException>(() => loss.ToLossOptions()).Message);
    }
}
