using Toolkit.Train.Training;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// Data that cannot train the chosen objective is refused before training, through the real setup path, with the counts
/// and what to do; KTO weights outside the range their help states are warned about.
/// </summary>
public sealed class UntrainableDataTests
{
    const string Q = "{\"role\": \"user\", \"content\": \"Which is larger, 9 or 21? Answer with the number only.\"}";

    static string File(params string[] lines)
    {
        var path = Path.Combine(TrainKit.Root, $"untrainable-{Guid.NewGuid():N}.jsonl");
        System.IO.File.WriteAllLines(path, lines);
        return path;
    }

    static string KtoRow(int i, bool label) =>
        $"{{\"prompt\": [{Q.Replace("9 or 21", $"9 or {21 + i}")}], \"completion\": [{{\"role\": \"assistant\", \"content\": \"{21 + i}\"}}], \"label\": {(label ? "true" : "false")}}}";

    [Fact]
    public void Kto_with_one_label_class_is_refused_with_both_counts()
    {
        var data = File([.. Enumerable.Range(0, 8).Select(i => KtoRow(i, true))]);
        var o = TrainKit.Dpo(TrainKit.NewOut("kto-one-class"), "kto") with { Data = data };
        var e = Assert.Throws<ArgumentException>(() => TrainingSetup.Build(o).Dispose());
        Assert.Contains("found 8 desirable (label true) and 0 undesirable (label false)", e.Message);
        Assert.Contains("HINT: add undesirable (label false) examples", e.Message);
    }

    [Fact]
    public void Kto_weight_ratio_outside_the_help_range_is_warned_with_the_fix()
    {
        var data = File([.. Enumerable.Range(0, 9).Select(i => KtoRow(i, true)), .. Enumerable.Range(10, 3).Select(i => KtoRow(i, false))]);
        var o = TrainKit.Dpo(TrainKit.NewOut("kto-ratio"), "kto") with { Data = data, ValidationSplit = 0 };
        var log = new List<string>();
        using (TrainingSetup.Build(o, log.Add)) { }
        var warning = Assert.Single(log, l => l.StartsWith("WARNING kto"));
        Assert.Contains("= 3.00, outside [1, 4/3]", warning);                 // 1·9 / (1·3)
        Assert.Contains("--desirable-weight 0.333 to 0.444", warning);
        Assert.Null(Toolkit.Train.Data.DataChecks.KtoWeightWarning(9, 3, 0.4, 1));
    }

    [Fact]
    public void Pairs_that_all_have_chosen_equal_rejected_are_refused_with_the_count()
    {
        var data = File([.. Enumerable.Range(0, 6).Select(i => $"{{\"prompt\": \"Q{i}?\", \"chosen\": \"A{i}\", \"rejected\": \"A{i}\"}}")]);
        var o = TrainKit.Dpo(TrainKit.NewOut("identical"), "dpo") with { Data = data };
        var e = Assert.Throws<ArgumentException>(() => TrainingSetup.Build(o).Dispose());
        Assert.Contains("nothing left to train `dpo` on", e.Message);
        Assert.Contains("every pair (6 of 6 rows) has chosen == rejected", e.Message);
    }

    [Fact]
    public void Nothing_left_after_truncation_is_refused_with_what_to_change()
    {
        var longPrompt = string.Join(" ", Enumerable.Repeat("word", 200));
        var data = File([.. Enumerable.Range(0, 4).Select(i => $"{{\"prompt\": \"{longPrompt} {i}\", \"completion\": \"ok\"}}")]);
        var o = TrainKit.SftRun(TrainKit.NewOut("too-long")) with { Data = data, MaxLength = 32 };
        var e = Assert.Throws<ArgumentException>(() => TrainingSetup.Build(o).Dispose());
        Assert.Contains("dropped because the prompt fills max_length 4", e.Message);
        Assert.Contains("raise --max-length", e.Message);
    }
}
