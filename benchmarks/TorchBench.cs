using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;
using Toolkit.Train.Engine;
using Toolkit.Train.Training;

namespace Toolkit.Benchmarks;

/// <summary>
/// TorchSharp 0.107 on libtorch 2.10 (build/torchsharp) against Debian's python3-torch 1.13 (OpenBLAS), in one run, same
/// thread count: fp32 / bf16 matmul GFLOP/s at 1024³ and 2048³ (the libtorch and BLAS versions differ, so the ratio
/// measures the engine as a whole, not the binding alone) and the per-call cost of a tiny op (1-element add inside a
/// dispose scope). Method mirrors baselines/torch_matmul.py: warm-up, then the median of several repetitions.
/// </summary>
static class TorchBench
{
    const int Reps = 7;

    public static void Run(Results results)
    {
        var threads = torch.get_num_threads();
        var py = PythonBaseline.Run("torch_matmul.py", threads.ToString(), Reps.ToString());
        var matmul = py.GetProperty("matmul");
        if (py.GetProperty("threads").GetInt32() != threads)
            throw new InvalidOperationException($"baseline ran with {py.GetProperty("threads")} threads, ours with {threads}");

        foreach (var (dtype, name) in Dtypes())
            foreach (var n in new[] { 1024L, 2048L })
            {
                var ours = MatmulGflops(n, dtype);
                results.Higher($"torch.matmul {name} {n}^3", ours, matmul.GetProperty($"{name}_{n}").GetDouble(), "GFLOP/s",
                    new() { ["shape"] = $"{n}x{n}x{n}", ["threads"] = threads, ["dtype"] = name, ["ours"] = "TorchSharp 0.107 / libtorch 2.10", ["baseline"] = $"python3-torch {py.GetProperty("torch")}" });
            }

        results.Lower("torch tiny add per call", AddNs(), py.GetProperty("add_ns").GetDouble(), "ns",
            new() { ["shape"] = "1", ["threads"] = threads, ["dtype"] = "float32", ["scope"] = "one DisposeScope per call" });
    }

    static double MatmulGflops(long n, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var a = torch.randn([n, n]).to(dtype);                                  // (n, n)
        var b = torch.randn([n, n]).to(dtype);                                  // (n, n)
        void Once()
        {
            using var s = torch.NewDisposeScope();
            a.Matmul(b);
        }
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < 0.5) Once();                               // warm up: threads, caches, clocks
        sw.Restart();
        Once();
        var inner = Math.Max(1, (int)(0.2 / Math.Max(sw.Elapsed.TotalSeconds, 1e-6)));
        var rates = new double[Reps];
        for (var r = 0; r < Reps; r++)
        {
            sw.Restart();
            for (var i = 0; i < inner; i++) Once();
            rates[r] = 2.0 * n * n * n * inner / sw.Elapsed.TotalSeconds / 1e9;
        }
        return Median(rates);
    }

    static double AddNs()
    {
        using var outer = torch.NewDisposeScope();
        var a = torch.ones([1]);
        var b = torch.ones([1]);
        const int N = 20_000;
        void Loop()
        {
            for (var i = 0; i < N; i++)
            {
                using var s = torch.NewDisposeScope();
                _ = a + b;
            }
        }
        Loop();
        var times = new double[Reps];
        var sw = new Stopwatch();
        for (var r = 0; r < Reps; r++)
        {
            sw.Restart();
            Loop();
            times[r] = sw.Elapsed.TotalNanoseconds / N;
        }
        return Median(times);
    }

    static double Median(double[] xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>float32, and bfloat16 only where bf16 GEMM is faster on this CPU (Bf16Policy, as --bf16 auto decides); says so when skipped.</summary>
    static (ScalarType, string)[] Dtypes()
    {
        if (Bf16Policy.Measured.BfFaster) return [(ScalarType.Float32, "float32"), (ScalarType.BFloat16, "bfloat16")];
        Console.WriteLine($"skipping the bfloat16 rows: bf16 is not faster than fp32 here ({Bf16Policy.Decide(Bf16Mode.Auto).Line})");
        return [(ScalarType.Float32, "float32")];
    }
}
