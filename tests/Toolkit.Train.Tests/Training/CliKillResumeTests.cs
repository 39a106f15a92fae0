using System.Diagnostics;
using Toolkit.Core.Native;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// The real `toolkit train` in child processes: a run killed with SIGKILL right after a checkpoint and resumed with
/// --resume latest writes the same metrics.jsonl (every value but tokens/s) as an uninterrupted run.
/// </summary>
public class CliKillResumeTests
{
    /// <summary>toolkit.dll: $TOOLKIT_CLI, else the newest build under the repository or beside this test's artifacts folder.</summary>
    internal static string Cli()
    {
        if (Environment.GetEnvironmentVariable("TOOLKIT_CLI") is { Length: > 0 } env) return env;
        var here = Path.GetDirectoryName(typeof(CliKillResumeTests).Assembly.Location)!;
        var candidates = new[]
        {
            Path.Combine(NativeLibraries.RepoRoot() ?? "", "cli/bin/Release/net10.0/toolkit.dll"),
            Path.GetFullPath(Path.Combine(here, "../../Toolkit.Cli/release/toolkit.dll")),
        }.Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).ToList();
        return candidates.FirstOrDefault() ?? throw new InvalidOperationException(
            "toolkit.dll not found. HINT: build the CLI first (make setup, or dotnet build cli -c Release), or set TOOLKIT_CLI");
    }

    static Process Start(IEnumerable<string> args, List<string> output)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Cli());
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Add(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    static void RunToEnd(IEnumerable<string> args)
    {
        var output = new List<string>();
        using var p = Start(args, output);
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("toolkit train did not finish in 120 s"); }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"toolkit train exited {p.ExitCode}:\n{string.Join("\n", output.TakeLast(20))}");
    }

    [Fact]
    public void Sigkill_after_a_checkpoint_then_resume_continues_the_same_loss_trajectory()
    {
        var yaml = Path.Combine(TrainKit.Root, "cli-run.yaml");
        File.WriteAllText(yaml, "learning_rate: 0.5\nper_device_train_batch_size: 4\nmax_length: 96\nwarmup_ratio: 0\nvalidation_split: 0.1\neval_steps: 10\n");
        string[] Args(string outDir) =>
        [
            "train", "dpo", "--config", yaml, "--model", TrainKit.ModelDir, "--data", TrainKit.Pairs, "--out", outDir,
            "--lr", "1e-3", "--max-steps", "30", "--save-steps", "5", "--bf16", "false", "--threads", "1",
        ];
        var full = TrainKit.NewOut("cli-full");
        RunToEnd(Args(full));
        Assert.Contains("learning_rate: 0.001", File.ReadAllText(Path.Combine(full, "train_options.yaml")));   // the flag beat the YAML

        var killed = TrainKit.NewOut("cli-killed");
        var output = new List<string>();
        using (var p = Start(Args(killed), output))
        {
            var watch = Stopwatch.StartNew();
            while (!Directory.Exists(Path.Combine(killed, "checkpoint-10")) && !p.HasExited && watch.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(5);
            Assert.False(p.HasExited, $"the run ended before it could be killed:\n{string.Join("\n", output.TakeLast(10))}");
            p.Kill();                                          // SIGKILL on Linux: no handler, no final save
            p.WaitForExit();
        }
        var before = TrainKit.Metrics(killed);
        Assert.InRange(before.Count, 10, 29);                  // killed mid-run, after the checkpoint at step 10
        Assert.False(File.Exists(Path.Combine(killed, "model.safetensors")));
        RunToEnd([.. Args(killed), "--resume", "latest"]);

        var a = TrainKit.Metrics(full);
        var b = TrainKit.Metrics(killed);
        Assert.Equal(30, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (var i = 0; i < a.Count; i++)
            foreach (var (k, v) in a[i].Where(kv => kv.Key != "tokens/s"))
                Assert.True(v.Equals(b[i][k]), $"step {i + 1} {k}: uninterrupted {v:R}, killed and resumed {b[i][k]:R}");
    }
}
