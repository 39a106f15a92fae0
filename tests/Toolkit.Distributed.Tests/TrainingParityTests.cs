using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Native;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;
using Toolkit.Train.Data.Synthetic;
using Toolkit.Train.Model;
using Xunit.Abstractions;

namespace Toolkit.Distributed.Tests;

/// <summary>
/// The real `toolkit train` with <c>--nproc 2</c> on loopback against <c>--nproc 1</c>, same global batch: the loss
/// trajectory is the same within <see cref="Tolerance"/> (the ranks forward smaller batches, so fp32 sums round
/// differently), for DPO with precomputed reference log-probs and for SFT; a 2-rank run resumed by 1 process continues
/// the same trajectory.
/// </summary>
public sealed class TrainingParityTests(ITestOutputHelper output)
{
    /// <summary>|loss(2 ranks) − loss(1 process)| allowed per step (fp32 on CPU, 1 thread per rank).</summary>
    const double Tolerance = 1e-5;

    static readonly Lazy<string> Files = new(Make);

    /// <summary>Synthetic SFT and pair files, a ChatML BPE tokenizer and a small random checkpoint (2 layers, hidden 64).</summary>
    static string Make()
    {
        var root = Path.Combine(Path.GetTempPath(), $"tk-distributed-tests-{Environment.ProcessId}");
        if (Directory.Exists(root)) Directory.Delete(root, true);
        var task = new SyntheticTask(new SyntheticOptions { SftCount = 64, PairCount = 64, HeldOutCount = 8, Seed = 7 });
        task.WriteFiles(Path.Combine(root, "data"));
        var bpe = BpeTrainer.Train(task.TokenizerCorpus(400), 400, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
        bpe.EosToken = "<|im_end|>";
        bpe.PadToken = "<|endoftext|>";
        var tokDir = Path.Combine(root, "tokenizer");
        bpe.Save(tokDir);
        var configPath = Path.Combine(tokDir, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = ChatTemplate.TinyPresetSource;
        File.WriteAllText(configPath, config.ToJsonString());
        var tok = Tokenizer.FromFolder(tokDir);
        var cfg = Presets.Get("tiny", tok.VocabSize) with
        {
            HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 16,
            EosTokenIds = tok.EosId is int e ? [e] : [],
        };
        var modelDir = Path.Combine(root, "model");
        using (var w = DecoderWeights.Random(cfg, 3)) w.Save(modelDir, new GenerationConfig { EosTokenIds = cfg.EosTokenIds, PadTokenId = tok.PadId });
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" }) File.Copy(Path.Combine(tokDir, f), Path.Combine(modelDir, f));
        return root;
    }

    static string Root => Files.Value;

    static string[] Args(string command, string outDir, int nproc, params string[] more) =>
    [
        "train", command, "--model", Path.Combine(Root, "model"), "--data", Path.Combine(Root, "data", command == "sft" ? "sft.jsonl" : "pairs.jsonl"),
        "--out", outDir, "--seed", "5", "--lr", "1e-3", "--max-steps", "4", "--per-device-train-batch-size", "4", "--gradient-accumulation-steps", "2",
        "--max-length", "96", "--warmup-ratio", "0", "--validation-split", "0.1", "--eval-steps", "2", "--save-steps", "2", "--bf16", "false",
        "--threads", "1", "--nproc", nproc.ToString(CultureInfo.InvariantCulture), "--checksum-steps", "1", "--collective-timeout", "120", .. more,
    ];

    /// <summary>Runs the CLI; returns stdout + stderr (fails the test on a non-zero exit).</summary>
    static string Cli(params string[] args)
    {
        var cli = Path.Combine(NativeLibraries.RepoRoot()!, "cli/bin/Release/net10.0/toolkit.dll");
        Assert.True(File.Exists(cli), $"{cli} not built: dotnet build cli/Toolkit.Cli.csproj -c Release");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(400_000)) { p.Kill(true); Assert.Fail("toolkit train did not finish in 400 s"); }
        p.WaitForExit();
        var log = stdout.Result + stderr.Result;
        Assert.True(p.ExitCode == 0, $"toolkit {string.Join(' ', args)} exited {p.ExitCode}:\n{log}");
        return log;
    }

    static List<(int Step, double Loss, double? EvalLoss)> Losses(string outDir) =>
        File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject())
            .Select(o => ((int)(double)o["step"]!, (double)o["loss"]!, (double?)o["eval_loss"])).ToList();

    double Compare(string what, List<(int Step, double Loss, double? EvalLoss)> one, List<(int Step, double Loss, double? EvalLoss)> two)
    {
        Assert.Equal(one.Select(r => r.Step), two.Select(r => r.Step));
        var max = 0.0;
        foreach (var (a, b) in one.Zip(two))
        {
            max = Math.Max(max, Math.Abs(a.Loss - b.Loss));
            if (a.EvalLoss is { } ea) max = Math.Max(max, Math.Abs(ea - b.EvalLoss!.Value));
            output.WriteLine(FormattableString.Invariant($"{what} step {a.Step}: loss {a.Loss:F6} vs {b.Loss:F6}{(a.EvalLoss is { } e ? $", eval_loss {e:F6} vs {b.EvalLoss:F6}" : "")}"));
        }
        output.WriteLine(FormattableString.Invariant($"{what}: max |diff| = {max:E2} (tolerance {Tolerance:E0})"));
        return max;
    }

    [Fact]
    public void Dpo_with_precomputed_reference_on_two_ranks_follows_the_one_process_trajectory_and_resumes_on_one()
    {
        var runs = Path.Combine(Root, "runs");
        var one = Path.Combine(runs, "dpo-1");
        var two = Path.Combine(runs, "dpo-2");
        Cli(Args("dpo", one, 1, "--precompute-ref-log-probs"));
        var log = Cli(Args("dpo", two, 2, "--precompute-ref-log-probs"));
        Assert.Contains("data parallel: 2 ranks", log);
        var twoLosses = Losses(two);
        Assert.True(Compare("dpo 1 vs 2 ranks", Losses(one), twoLosses) <= Tolerance);
        Assert.True(File.Exists(Path.Combine(two, "model.safetensors")));

        // resume 2 → 1: drop everything after checkpoint-2, continue with one process
        Directory.Delete(Path.Combine(two, "checkpoint-4"), true);
        Cli(Args("dpo", two, 1, "--precompute-ref-log-probs", "--resume", Path.Combine(two, "checkpoint-2")));
        Assert.True(Compare("dpo 2 ranks vs resumed at step 2 on 1", twoLosses, Losses(two)) <= Tolerance);
    }

    [Fact]
    public void Sft_on_two_ranks_follows_the_one_process_trajectory()
    {
        var runs = Path.Combine(Root, "runs");
        Cli(Args("sft", Path.Combine(runs, "sft-1"), 1));
        Cli(Args("sft", Path.Combine(runs, "sft-2"), 2));
        Assert.True(Compare("sft 1 vs 2 ranks", Losses(Path.Combine(runs, "sft-1")), Losses(Path.Combine(runs, "sft-2"))) <= Tolerance);
    }
}
