using System.Diagnostics;
using System.Runtime.InteropServices;
using Toolkit.Core.Checkpoints;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;
using Toolkit.Train.Engine;
using Toolkit.Train.Training;

namespace Toolkit.Benchmarks;

/// <summary>
/// Issue 4's training benchmark: DPO step tokens/s and peak RSS against a plain PyTorch-eager DPO step
/// (baselines/dpo_step.py, Debian python3-torch, same libtorch, same threads, same shapes), for the tiny preset (4 pairs ×
/// 256 tokens) and the 125M Llama shape (2 pairs × 256), float32 and bf16 autocast. Each sequence is a 128-token prompt +
/// 128-token completion; tokens/s counts the 2 × pairs × 256 tokens of a step for every variant, so ratios are step-time
/// ratios. Variants: "same algorithm" (policy + frozen reference copy, chosen and rejected in one 2B-row forward, summed
/// log-probs; the baseline's algorithm, with our chunked lm_head over completion positions only) and "precomputed ref +
/// packed" (reference log-probs computed once and the reference model freed; prompt + chosen + rejected in one row).
/// Each variant also runs with gradient checkpointing (<see cref="Decoder.GradientCheckpointing"/>: layer activations and
/// lm_head logits recomputed in backward). The optimizer is the trainer's (<see cref="LowPeak.AdamW"/>, gradients set to
/// none between steps, as the peer's <c>zero_grad(set_to_none=True)</c>). TOOLKIT_BENCH_DPO_PRESETS=llama-125m runs one
/// preset (comma-separated list; default both).
/// Every variant of ours runs in its own process, as the peer does, so no variant inherits another's heap.
/// Peak RSS is VmHWM over the timed steps, process-wide (reset through /proc/self/clear_refs after the warm-up step and a
/// malloc_trim, on both sides; the RSS at that reset is recorded too: runtime, libraries, weights, optimizer state).
/// GFLOP/s: the standard algorithm's model FLOPs (policy 6·N·tokens + reference 2·N·tokens + attention) per second,
/// against the GEMM peak measured here at 2048³ for that precision.
/// </summary>
static class DpoStepBench
{
    const int Seq = 256;
    const double Beta = 0.1;

    public static void Run(Results results)
    {
        var threads = torch.get_num_threads();
        var presets = Environment.GetEnvironmentVariable("TOOLKIT_BENCH_DPO_PRESETS")?.Split(',') ?? ["tiny", "llama-125m"];
        foreach (var (preset, pairs, steps) in new[] { ("tiny", 4, 3), ("llama-125m", 2, 2) }.Where(p => presets.Contains(p.Item1)))
        foreach (var (dtype, name) in Dtypes())
        {
            var config = Presets.Get(preset);
            var tokens = 2.0 * pairs * Seq;
            var py = PythonBaseline.Run("dpo_step.py", threads.ToString(), preset, pairs.ToString(), Seq.ToString(), name, steps.ToString());
            if (py.GetProperty("threads").GetInt32() != threads)
                throw new InvalidOperationException($"baseline ran with {py.GetProperty("threads")} threads, ours with {threads}");
            double pyStep = py.GetProperty("step_s").GetDouble(), pyRss = py.GetProperty("peak_rss_mb").GetDouble();
            var flops = StepFlops(config, pairs);
            var measured = Variants.Select(v => (v, m: RunChild(preset, pairs, name, v.Packed, v.Checkpointing, steps, threads))).ToList();
            var peak = GemmPeak(dtype);   // after the steps, so its buffers are not in their RSS
            foreach (var ((packed, checkpointing), (step, rss, rssAtReset)) in measured)
            {
                var variant = (packed ? "precomputed ref + packed" : "same algorithm") + (checkpointing ? " + gradient checkpointing" : "");
                var settings = new Dictionary<string, object>
                {
                    ["preset"] = preset, ["pairs"] = pairs, ["seq"] = Seq, ["dtype"] = name, ["threads"] = threads, ["steps"] = steps,
                    ["gradient_checkpointing"] = checkpointing,
                    ["ours_step_s"] = step, ["baseline_step_s"] = pyStep,
                    ["ours_rss_at_reset_mb"] = rssAtReset, ["baseline_rss_at_reset_mb"] = py.GetProperty("rss_at_reset_mb").GetDouble(),
                    ["ours_gflops"] = flops / step / 1e9, ["baseline_gflops"] = flops / pyStep / 1e9, ["gemm_peak_gflops"] = peak,
                };
                results.Higher($"dpo step {preset} {name} {variant}", tokens / step, tokens / pyStep, "tok/s", settings);
                results.Lower($"dpo peak RSS {preset} {name} {variant}", rss, pyRss, "MB", settings);
            }
            var (bestRss, best) = measured.Select(m => (m.m.PeakMb, m.v)).Min();
            if (preset == "llama-125m")
                Console.WriteLine($"goal (issue 11): peak RSS ≤ 0.7× the peer at 125M {name}: best {bestRss / pyRss:F2}× " +
                    $"({(best.Packed ? "precomputed ref + packed" : "same algorithm")}{(best.Checkpointing ? " + gradient checkpointing" : "")}) — {(bestRss <= 0.7 * pyRss ? "met" : "NOT met")}");
        }
    }

    public const string ChildFlag = "--dpo-step-child";

    sealed record ChildRun(double StepS, double PeakMb, double RssAtResetMb);

    /// <summary>Measures one variant in a fresh process of this program (<see cref="Child"/>).</summary>
    static ChildRun RunChild(string preset, int pairs, string dtype, bool packed, bool checkpointing, int steps, int threads) =>
        ChildProcess.Run<ChildRun>(ChildFlag, preset, $"{pairs}", dtype, $"{packed}", $"{checkpointing}", $"{steps}", $"{threads}");

    /// <summary>Child process: <c>{ChildFlag} PRESET PAIRS DTYPE PACKED CHECKPOINTING STEPS THREADS</c>; prints one JSON line.</summary>
    public static int Child(string[] a)
    {
        torch.set_num_threads(int.Parse(a[7]));
        var dtype = a[3] == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32;
        return ChildProcess.Reply(Measure(Presets.Get(a[1]), int.Parse(a[2]), dtype, bool.Parse(a[4]), bool.Parse(a[5]), int.Parse(a[6])));
    }

    /// <summary>The variants each preset and dtype runs: the peer's algorithm and ours, each without and with gradient checkpointing.</summary>
    static readonly (bool Packed, bool Checkpointing)[] Variants = [(false, false), (true, false), (false, true), (true, true)];

    static (long[] Prompt, long[] Chosen, long[] Rejected)[] Data(ModelConfig c, int pairs)
    {
        var rng = new Random(1);
        long[] Tokens(int n) => [.. Enumerable.Range(0, n).Select(_ => (long)rng.Next(1, c.VocabSize))];
        return [.. Enumerable.Range(0, pairs).Select(_ => (Tokens(Seq / 2), Tokens(Seq / 2), Tokens(Seq / 2)))];
    }

    /// <summary>
    /// Median seconds per step over <paramref name="steps"/> after one warm-up step, the peak RSS (MB) over them, and the
    /// RSS when the peak was reset (after the warm-up and a malloc_trim, as the baseline does).
    /// </summary>
    static ChildRun Measure(ModelConfig config, int pairs, ScalarType dtype, bool packed, bool checkpointing, int steps)
    {
        var pairList = Data(config, pairs).Select(p => new TokenPair(p.Prompt, p.Chosen, p.Rejected)).ToList();
        var options = new LossOptions { Beta = Beta };
        using var policy = new Decoder(DecoderWeights.Random(config, seed: 0)) { GradientCheckpointing = checkpointing };
        foreach (var (_, t) in policy.Weights.All) t.requires_grad = true;
        var reference = new Decoder(DecoderWeights.Random(config, seed: 0));
        using var data = torch.NewDisposeScope();
        var batch = packed ? PairLayouts.SharedPrompt(pairList) : PairLayouts.Concatenated(pairList);
        Tensor? refC = null, refR = null;
        if (packed)
        {
            // precomputed reference: one no-grad pass, then the reference model is freed (training holds one model)
            using (torch.no_grad())
            using (Autocast.Enable(dtype == ScalarType.BFloat16))
                (refC, refR) = Split(CompletionLogps.Compute(reference, batch));
            reference.Dispose();
        }
        using var optimizer = new LowPeak.AdamW([new AdamW.ParamGroup(policy.Weights.All.Select(p => (Parameter)p.Tensor))], lr: 1e-6);   // the trainer's AdamW

        void Step()
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            Tensor loss;
            using (Autocast.Enable(dtype == ScalarType.BFloat16))
            {
                Tensor rc = refC!, rr = refR!;
                if (!packed)
                    using (torch.no_grad()) (rc, rr) = Split(CompletionLogps.Compute(reference, batch));
                var (c, r) = CompletionLogps.Compute(policy, batch).SplitPairs();
                loss = PreferenceLoss.Compute(options, c, r, rc, rr).Loss;
            }
            loss.backward();
            optimizer.step();
        }

        try
        {
            Step();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            malloc_trim(0);
            File.WriteAllText("/proc/self/clear_refs", "5");
            var rssAtReset = Status("VmRSS:");
            var times = new double[steps];
            var sw = new Stopwatch();
            for (var i = 0; i < steps; i++)
            {
                sw.Restart();
                Step();
                times[i] = sw.Elapsed.TotalSeconds;
            }
            Array.Sort(times);
            return new ChildRun(times[steps / 2], Status("VmHWM:"), rssAtReset);
        }
        finally
        {
            reference.Dispose();
        }
    }

    static (Tensor Chosen, Tensor Rejected) Split(SequenceLogps s)
    {
        var (c, r) = s.SplitPairs();
        return (c.Sum, r.Sum);
    }

    /// <summary>A kB field of /proc/self/status (VmRSS, VmHWM) in MB (MiB, as the peer reports).</summary>
    static double Status(string key) => ChildProcess.StatusKb(key) / 1024.0;

    /// <summary>glibc: returns freed heap memory to the OS, so the peak that follows is the step's, not an earlier config's.</summary>
    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    static extern int malloc_trim(nuint pad);

    /// <summary>Model FLOPs of one standard DPO step: policy forward + backward (3×) and reference forward (1×) over 2B rows.</summary>
    static double StepFlops(ModelConfig c, int pairs)
    {
        double e = c.HiddenSize, q = c.NumAttentionHeads * c.HeadDim, kv = c.NumKeyValueHeads * c.HeadDim, f = c.IntermediateSize;
        var perLayer = e * q * 2 + e * kv * 2 + 3 * e * f;                 // q, o, k, v, gate, up, down
        var matmulParams = perLayer * c.NumHiddenLayers + (double)c.VocabSize * e;
        var tokens = 2.0 * pairs * Seq;
        var forward = 2 * matmulParams * tokens + 4.0 * Seq * q * c.NumHiddenLayers * tokens;  // + QKᵀ and PV
        return 4 * forward;
    }

    /// <summary>Median GFLOP/s of a 2048³ matmul in <paramref name="dtype"/> (3 repetitions after a warm-up).</summary>
    static double GemmPeak(ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        const long n = 2048;
        var a = torch.randn([n, n]).to(dtype);
        var b = torch.randn([n, n]).to(dtype);
        a.Matmul(b).Dispose();
        var rates = new double[3];
        for (var i = 0; i < rates.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            a.Matmul(b).Dispose();
            rates[i] = 2.0 * n * n * n / sw.Elapsed.TotalSeconds / 1e9;
        }
        Array.Sort(rates);
        return rates[1];
    }

    /// <summary>float32, and bfloat16 only where bf16 GEMM is faster on this CPU (Bf16Policy, as --bf16 auto decides); says so when skipped.</summary>
    static (ScalarType, string)[] Dtypes()
    {
        if (Bf16Policy.Measured.BfFaster) return [(ScalarType.Float32, "float32"), (ScalarType.BFloat16, "bfloat16")];
        Console.WriteLine($"skipping the bfloat16 rows: bf16 is not faster than fp32 here ({Bf16Policy.Decide(Bf16Mode.Auto).Line})");
        return [(ScalarType.Float32, "float32")];
    }
}
