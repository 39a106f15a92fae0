using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Toolkit.Train.Distributed;
using Toolkit.Train.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Benchmarks;

/// <summary>
/// Issue 15's benchmark (`make bench ONLY=distributed`): training tokens/s of one step (forward, next-token loss,
/// backward, gradient average, clip, AdamW) over a global batch of B rows × T tokens, for
/// 1 process × 1 thread, 1 process × 2 threads, and 2 processes × 1 thread under `mpirun -np 2` on this machine (each
/// rank takes B/2 rows, gradients averaged in 25 MiB buckets over Open MPI); the communication share of a 2-rank step
/// (time inside the all-reduces / step time); and the all-reduce cost per MB (64 MiB fp32 buffer, 2 ranks), from which
/// the README extrapolates to 8 machines. Presets: tiny, and llama-125m when <c>TOOLKIT_BENCH_125M=1</c> (minutes on 2 cores).
/// </summary>
static class DistributedBench
{
    /// <summary>argv[0] of a rank started by this benchmark under mpirun.</summary>
    public const string RankFlag = "--distributed-rank";

    public static void Run(Results results)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
        Console.WriteLine($"CPU: {cpu}, {Environment.ProcessorCount} cores");
        var presets = new List<(string Preset, int Rows, int Seq, int Steps)> { ("tiny", 8, 128, 4) };
        if (Environment.GetEnvironmentVariable("TOOLKIT_BENCH_125M") == "1") presets.Add(("llama-125m", 4, 128, 2));
        foreach (var (preset, rows, seq, steps) in presets)
        {
            var one1 = Steps(null, preset, rows, seq, steps, threads: 1);
            var one2 = Steps(null, preset, rows, seq, steps, threads: 2);
            var two = Ranks(preset, rows, seq, steps);
            var tokens = (double)rows * seq;
            var settings = new Dictionary<string, object>
            {
                ["cpu"] = cpu, ["preset"] = preset, ["rows"] = rows, ["seq"] = seq, ["timed_steps"] = steps - 1,
                ["step_s_1p1t"] = one1.StepS, ["step_s_1p2t"] = one2.StepS, ["step_s_2p1t"] = two.StepS, ["comm_s_2p1t"] = two.CommS,
                ["comm_share_2p1t"] = two.CommS / two.StepS, ["grad_mb"] = two.GradMb, ["allreduce_ms_per_mb"] = two.AllReduceMsPerMb,
            };
            results.Higher($"train {preset} 2 ranks×1 thread vs 1 proc×1 thread", tokens / two.StepS, tokens / one1.StepS, "tok/s", settings);
            results.Higher($"train {preset} 2 ranks×1 thread vs 1 proc×2 threads", tokens / two.StepS, tokens / one2.StepS, "tok/s", settings);
            Console.WriteLine(FormattableString.Invariant(
                $"{preset}: step 1p1t {one1.StepS:F3} s, 1p2t {one2.StepS:F3} s, 2p1t {two.StepS:F3} s of which all-reduce {two.CommS:F3} s ({100 * two.CommS / two.StepS:F1} %); gradients {two.GradMb:F1} MB; all-reduce {two.AllReduceMsPerMb:F2} ms/MB (2 ranks, 64 MiB)"));
        }
    }

    /// <summary>The 2-rank measurement: this program again under mpirun, rank 0 writes a JSON file.</summary>
    static (double StepS, double CommS, double GradMb, double AllReduceMsPerMb) Ranks(string preset, int rows, int seq, int steps)
    {
        var outFile = Path.Combine(Path.GetTempPath(), $"tk-bench-distributed-{Environment.ProcessId}.json");
        var host = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(MpiLauncher.Find("mpirun") ?? throw new FileNotFoundException("mpirun not on PATH: apt-get install -y openmpi-bin libopenmpi-dev")) { UseShellExecute = false };
        foreach (var a in new[] { "-np", "2", "--bind-to", "none" }) psi.ArgumentList.Add(a);
        if (Environment.UserName == "root") psi.ArgumentList.Add("--allow-run-as-root");
        psi.ArgumentList.Add(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") psi.ArgumentList.Add(typeof(DistributedBench).Assembly.Location);
        foreach (var a in new[] { RankFlag, preset, rows.ToString(CultureInfo.InvariantCulture), seq.ToString(CultureInfo.InvariantCulture), steps.ToString(CultureInfo.InvariantCulture), outFile })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"mpirun -np 2 (distributed bench) exited {p.ExitCode}");
        using var json = JsonDocument.Parse(File.ReadAllText(outFile));
        var r = json.RootElement;
        return (r.GetProperty("step_s").GetDouble(), r.GetProperty("comm_s").GetDouble(), r.GetProperty("grad_mb").GetDouble(), r.GetProperty("allreduce_ms_per_mb").GetDouble());
    }

    /// <summary>A rank's entry point: <c>--distributed-rank PRESET ROWS SEQ STEPS OUTFILE</c>.</summary>
    public static int Rank(string[] args)
    {
        using var dp = DataParallel.FromEnvironment(TimeSpan.FromSeconds(600), checksumEvery: 0) ?? throw new InvalidOperationException("run under mpirun -np 2");
        var i = CultureInfo.InvariantCulture;
        var (step, comm) = Steps(dp, args[1], int.Parse(args[2], i), int.Parse(args[3], i), int.Parse(args[4], i), threads: 1);
        // all-reduce cost per MB: 64 MiB of fp32, 3 times after one warm-up
        var buffer = new float[16 << 20];
        dp.World.AllReduceSum(buffer.AsSpan(), "warm-up");
        var clock = Stopwatch.StartNew();
        for (var k = 0; k < 3; k++) dp.World.AllReduceSum(buffer.AsSpan(), "64 MiB all-reduce");
        var msPerMb = clock.Elapsed.TotalMilliseconds / 3 / 64;
        if (dp.IsWriter)
            Toolkit.Core.Checkpoints.AtomicFile.WriteAllText(args[5], JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["step_s"] = step, ["comm_s"] = comm, ["grad_mb"] = _gradMb, ["allreduce_ms_per_mb"] = msPerMb,
            }));
        return 0;
    }

    static double _gradMb;

    /// <summary>Mean time of steps 2..<paramref name="steps"/> (step 1 warms up) and the all-reduce time in them.</summary>
    static (double StepS, double CommS) Steps(DataParallel? dp, string preset, int rows, int seq, int steps, int threads)
    {
        torch.set_num_threads(threads);
        var config = Presets.Get(preset);
        using var decoder = new Decoder(DecoderWeights.Random(config, 0));
        var named = decoder.Weights.All;
        var parameters = named.Select(p => (Parameter)p.Tensor).ToList();
        foreach (var p in parameters) p.requires_grad = true;
        _gradMb = parameters.Sum(p => p.numel()) * 4.0 / (1 << 20);
        dp?.Attach([.. named.Select(p => p.Name)], [.. parameters]);
        using var opt = torch.optim.AdamW(parameters, lr: 1e-4);
        using var ids = torch.randint(0, config.VocabSize, [rows, seq], generator: new Generator(1));
        var (from, count) = dp?.Range(rows) ?? (0, rows);
        double total = 0, commAtStart = 0;
        for (var s = 0; s < steps; s++)
        {
            if (s == 1) commAtStart = dp?.CommunicationTime.TotalSeconds ?? 0;
            var clock = Stopwatch.StartNew();
            opt.zero_grad();
            using (var scope = torch.NewDisposeScope())
            {
                var x = ids.narrow(0, from, count);
                var logits = decoder.Forward(x);                                                      // (b, T, V)
                var loss = nn.functional.cross_entropy(logits.narrow(1, 0, seq - 1).reshape(-1, config.VocabSize), x.narrow(1, 1, seq - 1).reshape(-1));
                loss.mul(dp?.LossScale(count, rows) ?? 1.0).backward();
            }
            dp?.AverageGradients();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            opt.step();
            if (s > 0) total += clock.Elapsed.TotalSeconds;
        }
        return (total / (steps - 1), ((dp?.CommunicationTime.TotalSeconds ?? 0) - commAtStart) / (steps - 1));
    }
}
