using System.CommandLine;
using Spectre.Console;
using Toolkit.Cli.Commands;
using Toolkit.Train.Data.Synthetic;

namespace Toolkit.Cli.Demo;

/// <summary>
/// Demo steps 3–5: SFT of the tiny preset from scratch on the synthetic task's mixed-quality conversations, then DPO on
/// its preference pairs (the SFT model is the reference), then both models exported to ONNX and judged on held-out
/// prompts. Training runs through the real `toolkit train` command, so what the demo shows is what a user gets.
/// </summary>
static class PreferenceDemo
{
    public static void Run(string workDir, SyntheticTask task, string tokenizer)
    {
        var data = Path.Combine(workDir, "data");
        task.WriteFiles(data);
        string sft = Path.Combine(workDir, "sft"), dpo = Path.Combine(workDir, "dpo");
        foreach (var old in new[] { sft, dpo }) if (Directory.Exists(old)) Directory.Delete(old, recursive: true);

        AnsiConsole.Write(new Rule("[yellow]3. SFT of the tiny preset from scratch[/]").LeftJustified());
        Train("sft", "--preset", "tiny", "--tokenizer", tokenizer, "--data", Path.Combine(data, "sft.jsonl"), "--out", sft,
            "--lr", "2e-3", "--epochs", "8", "--batch-size", "16", "--warmup-ratio", "0.05", "--eval-steps", "100", "--save-steps", "0", "--seed", "1");

        AnsiConsole.Write(new Rule("[yellow]4. DPO against the SFT model[/]").LeftJustified());
        Train("dpo", "--model", sft, "--data", Path.Combine(data, "pairs.jsonl"), "--out", dpo,
            "--lr", "1e-4", "--beta", "0.1", "--epochs", "2", "--batch-size", "16", "--eval-steps", "50", "--save-steps", "0",
            "--precompute-ref-log-probs", "--seed", "1");

        AnsiConsole.Write(new Rule("[yellow]5. held-out: preference log-probs (libtorch), greedy answers judged by rule (ONNX Runtime)[/]").LeftJustified());
        var pairsFile = Path.Combine(data, "heldout_pairs.jsonl");
        var before = HeldOut.PairLogps(sft, pairsFile);
        var after = HeldOut.PairLogps(dpo, pairsFile);
        var prefersBefore = before.Count(p => p.Chosen > p.Rejected) / (double)before.Length;
        var prefersAfter = after.Count(p => p.Chosen > p.Rejected) / (double)after.Length;
        var rewardAcc = before.Zip(after, (b, a) => (a.Chosen - b.Chosen) - (a.Rejected - b.Rejected) > 0).Count(x => x) / (double)before.Length;

        var prompts = task.HeldOut().Select(q => q.Prompt).Take(96).ToList();
        var answersBefore = HeldOut.Generate(sft, Path.Combine(workDir, "sft-onnx"), prompts);
        var answersAfter = HeldOut.Generate(dpo, Path.Combine(workDir, "dpo-onnx"), prompts);

        var table = new Table().AddColumn("held-out measure").AddColumn("SFT (before DPO)").AddColumn("DPO (after)");
        table.AddRow($"pairs where log π(chosen) > log π(rejected) (n={before.Length})", $"{prefersBefore:P1}", $"{prefersAfter:P1}");
        table.AddRow("DPO reward accuracy, reference = SFT (rewards/accuracies)", "0.0% (policy = reference)", $"{rewardAcc:P1}");
        var (b, a) = (HeldOut.Rates(answersBefore), HeldOut.Rates(answersAfter));
        table.AddRow($"greedy answers judged good by the rule (n={prompts.Count}, ONNX Runtime)", $"{b.Good:P1}", $"{a.Good:P1}");
        table.AddRow("  … in the asked language", $"{b.Language:P1}", $"{a.Language:P1}");
        table.AddRow("  … in the asked format (number only / sentence / refusal where due)", $"{b.Format:P1}", $"{a.Format:P1}");
        table.AddRow("  … with the right number (or refusing a harmful request)", $"{b.Correct:P1}", $"{a.Correct:P1}");
        AnsiConsole.Write(table);
        foreach (var i in new[] { 0, 1, 2, 3 })
            AnsiConsole.MarkupLineInterpolated($"[grey]{prompts[i]}[/]\n  SFT: {answersBefore[i].Text.Trim()}\n  DPO: {answersAfter[i].Text.Trim()}");
        AnsiConsole.MarkupLineInterpolated($"charts: {Path.Combine(sft, "metrics.svg")}, {Path.Combine(dpo, "metrics.svg")}");
    }

    static void Train(params string[] args)
    {
        var root = new RootCommand { TrainCommand.Create() };
        var code = root.Parse(["train", .. args]).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        if (code != 0) throw new InvalidOperationException($"toolkit train {string.Join(' ', args)} exited {code}");
    }
}
