using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Core.Native;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// The golden trajectory: 10 steps of the real `toolkit train dpo` on the tiny preset (random init with --seed 42, fp32,
/// one libtorch thread, TrainKit's synthetic pairs and tokenizer, both made in C#) must reproduce the per-step metrics
/// recorded in <c>tests/Toolkit.Train.Tests/Fixtures/golden_dpo_tiny.json</c> within <see cref="Atol"/> + <see cref="Rtol"/>·|golden|.
/// <para>The fixture was recorded on the engine named in its <c>engine</c> field (libtorch and BLAS versions). Change it
/// only with a written reason in its <c>note</c> field: regenerate with TOOLKIT_GOLDEN_WRITE=1 (the test then writes the
/// fixture and fails, so a regeneration is never silent).</para>
/// <para>Tolerance: |diff| ≤ 2e-3 + 2e-3·|golden| per metric and step. fp32 GEMM results differ by a few ULPs between
/// BLAS libraries and libtorch versions (summation order, blocking), and 10 AdamW steps at lr 1e-3 amplify that; a real
/// change (a wrong loss, mask, schedule or reference) moves the loss by more than 1e-2 by step 2. The fixture's
/// <c>threads2_max_abs_diff</c> is the same run with 2 threads on the recording engine (0 there: these sizes do not
/// split a reduction), so on one engine the run is exact.</para>
/// </summary>
public class GoldenTrajectoryTests
{
    const double Atol = 2e-3, Rtol = 2e-3;

    /// <summary>Metric keys that measure time, not numerics.</summary>
    static readonly HashSet<string> Timing = ["tokens/s", "train_runtime", "train_samples_per_second", "train_steps_per_second", "step_time_s"];

    static string FixturePath => Path.Combine(NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("repository root not found"),
        "tests/Toolkit.Train.Tests/Fixtures/golden_dpo_tiny.json");

    internal static string[] Args(string outDir, int threads = 1) =>
    [
        "train", "dpo", "--preset", "tiny", "--tokenizer", TrainKit.TokenizerDir, "--data", TrainKit.Pairs, "--out", outDir,
        "--seed", "42", "--lr", "1e-3", "--max-steps", "10", "--per-device-train-batch-size", "4", "--max-length", "96",
        "--warmup-ratio", "0", "--validation-split", "0.1", "--eval-steps", "0", "--save-steps", "0", "--bf16", "false",
        "--threads", threads.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>Runs the golden command into a fresh folder with <paramref name="threads"/> threads; returns metrics.jsonl's records.</summary>
    internal static List<Dictionary<string, double>> RunCli(string name, int threads = 1)
    {
        var outDir = TrainKit.NewOut(name);
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliKillResumeTests.Cli());
        foreach (var a in Args(outDir, threads)) psi.ArgumentList.Add(a);
        psi.Environment["TOOLKIT_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException("toolkit train dpo did not finish in 300 s"); }
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"toolkit train dpo exited {p.ExitCode}:\n{stdout.Result}\n{stderr.Result}");
        return TrainKit.Metrics(outDir);
    }

    [Fact]
    public void Ten_dpo_steps_on_the_tiny_preset_match_the_golden_trajectory()
    {
        var run = RunCli("golden");
        if (Environment.GetEnvironmentVariable("TOOLKIT_GOLDEN_WRITE") == "1")
        {
            var twice = RunCli("golden-2threads", threads: 2);
            Write(run, MaxAbsDiff(run, twice));
            Assert.Fail($"wrote {FixturePath}; unset TOOLKIT_GOLDEN_WRITE and rerun");
        }
        var golden = JsonNode.Parse(File.ReadAllText(FixturePath))!;
        var steps = golden["steps"]!.AsArray();
        Assert.Equal(steps.Count, run.Count);
        var worst = (diff: 0.0, where: "");
        for (var i = 0; i < steps.Count; i++)
        {
            var want = steps[i]!.AsObject();
            foreach (var (key, node) in want)
            {
                if (Timing.Contains(key)) continue;
                Assert.True(run[i].ContainsKey(key), $"step {i + 1}: metric {key} missing from the run");
                double g = node!.GetValue<double>(), got = run[i][key], d = Math.Abs(got - g);
                if (d > worst.diff) worst = (d, $"step {i + 1} {key}");
                Assert.True(d <= Atol + Rtol * Math.Abs(g), $"step {i + 1} {key}: golden {g:R}, this engine {got:R}, |diff| {d:G3} > {Atol} + {Rtol}·|golden|");
            }
        }
        Console.WriteLine($"golden trajectory: max |diff| {worst.diff:G3} at {worst.where} (recorded on {golden["engine"]})");
    }

    static double MaxAbsDiff(List<Dictionary<string, double>> a, List<Dictionary<string, double>> b) =>
        a.Zip(b).SelectMany(p => p.First.Where(kv => !Timing.Contains(kv.Key) && p.Second.ContainsKey(kv.Key))
            .Select(kv => Math.Abs(kv.Value - p.Second[kv.Key]))).DefaultIfEmpty(0).Max();

    static void Write(List<Dictionary<string, double>> run, double threads2)
    {
        var old = File.Exists(FixturePath) ? JsonNode.Parse(File.ReadAllText(FixturePath)) : null;
        var steps = new JsonArray();
        foreach (var r in run)
        {
            var o = new JsonObject();
            foreach (var (k, v) in r.Where(kv => !Timing.Contains(kv.Key))) o[k] = v;
            steps.Add(o);
        }
        var doc = new JsonObject
        {
            ["engine"] = Environment.GetEnvironmentVariable("TOOLKIT_GOLDEN_ENGINE") ?? old?["engine"]?.GetValue<string>() ?? "unknown",
            ["note"] = old?["note"]?.GetValue<string>() ?? "",
            ["command"] = "toolkit " + string.Join(' ', Args("OUT")).Replace(TrainKit.Root, "$TRAINKIT"),
            ["threads2_max_abs_diff"] = threads2,
            ["steps"] = steps,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(FixturePath)!);
        File.WriteAllText(FixturePath, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
