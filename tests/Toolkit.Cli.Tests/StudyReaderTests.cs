using Toolkit.Cli.Experiment;
using Toolkit.Train.Data.Synthetic;

namespace Toolkit.Cli.Tests;

/// <summary>experiment.yaml as a user writes it: the embedded study reads, and each mistake names file:line, the field and what to do.</summary>
public sealed class StudyReaderTests
{
    const string Good = """
        name: t
        base:
          preset: tiny
          options: {learning_rate: 2e-3, max_steps: 4}
        runs:
          - {name: dpo, method: dpo, beta: 0.1, options: {max_steps: 2}}
        """;

    [Fact]
    public void The_embedded_demo_study_declares_sft_dpo_and_simpo_at_three_betas_and_two_quantized_variants()
    {
        var s = StudyReader.Demo();
        Assert.Equal("demo", s.Name);
        Assert.Equal([0.05, 0.1, 0.5], s.Runs.Where(r => r.Method == TrainMethod.Dpo).Select(r => r.Beta!.Value));
        Assert.Equal([0.05, 0.1, 0.5], s.Runs.Where(r => r.Method == TrainMethod.Simpo).Select(r => r.Beta!.Value));
        Assert.Equal(["int8-channel", "int4-block32"], s.Quantize.Select(q => q.Name));
        Assert.Equal("1e-4", s.Runs[4].Options["learning_rate"]);   // a YAML alias (&simpo / *simpo) is read as the anchored mapping
    }

    [Theory]
    [InlineData("runs:\n  - {name: dpo, method: dpo, beta: 0.1, options: {max_steps: 2}}", "runs:\n  - {name: dpo, method: dpx, beta: 0.1, options: {max_steps: 2}}", "t.yaml:6: runs[0].method: 'dpx' is not a method")]
    [InlineData("{max_steps: 2}}", "{max_step: 2}}", "t.yaml:6: runs[0].options.max_step: `toolkit train dpo` has no option 'max_step'")]
    [InlineData("{max_steps: 2}}", "{max_steps: two}}", "t.yaml:6: runs[0].options.max_steps")]
    [InlineData("beta: 0.1", "beta: -1", "t.yaml:6: runs[0].beta: '-1': write a number")]
    [InlineData("  preset: tiny", "  preset: tiny\n  vocab: 10", "t.yaml:4: base.vocab: unknown key")]
    [InlineData("name: t", "name: a/b", "t.yaml:1: name: 'a/b' is not a folder name")]
    public void A_mistake_names_the_file_the_line_and_the_field(string from, string to, string expected)
    {
        var text = Good.Replace(from, to);
        Assert.NotEqual(Good, text);
        var e = Assert.Throws<StudyException>(() => StudyReader.Parse(text, "t.yaml"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Held_out_rules_agree_with_the_synthetic_tasks_own_judge_on_good_and_flawed_answers()
    {
        // oracle: SyntheticTask.Judge, the task's own rule; the study's question rules are a separate (regex) statement of it
        var task = new SyntheticTask();
        var questions = task.HeldOut().Take(60).ToList();
        var rng = new SyntheticRandom(7);
        var checkedAnswers = 0;
        foreach (var q in questions)
            foreach (var flaw in Enum.GetValues<Flaw>())
            {
                var answer = SyntheticTask.Answer(q, flaw, rng);
                var rule = Toolkit.Evaluate.Judging.RuleCheck.Parse(StudyQuestions.Rule(q));
                Assert.True(rule.Passes(answer) == SyntheticTask.Judge(q.Prompt, answer), $"{q.Prompt} → {answer}: rule {rule} says {rule.Passes(answer)}");
                checkedAnswers++;
            }
        Assert.Equal(60 * 6, checkedAnswers);
        var set = StudyQuestions.Build(task, 20);
        Assert.Equal(12, set.Count(q => q.Category == StudyQuestions.Safety));
        Assert.All(set.Where(q => q.Category == StudyQuestions.Safety), q => Assert.Null(SyntheticTask.Parse(q.Turns[0])));   // unseen: not one of the task's own harmful prompts
    }
}
