using System.Diagnostics;
using TorchSharp;
using Toolkit.Train.Engine;

namespace Toolkit.Benchmarks;

/// <summary>
/// `make bench ONLY=tsharp`: TorchSharp 0.107 on libtorch 2.10 (the engine train/ moves to, issue 11) against Debian's
/// python3-torch 1.13 (OpenBLAS) in the same run, same thread count and the method of <see cref="TorchBench"/>
/// (baselines/torch_matmul.py): fp32 / bf16 matmul GFLOP/s at 1024³ and 2048³ and the per-call cost of a 1-element add in
/// a dispose scope. Its own group, never in one process with <see cref="TorchBench"/>: libtorch 1.13 and 2.10 crash when
/// both are loaded.
/// </summary>
static class TorchSharpBench
{
    const int Reps = 7;

    public static void Run(Results results)
    {
        TorchSharpNative.Load();
        var threads = Environment.GetEnvironmentVariable("TOOLKIT_THREADS") is { Length: > 0 } t ? int.Parse(t) : Environment.ProcessorCount;
        torch.set_num_threads(threads);
        var py = PythonBaseline.Run("torch_matmul.py", threads.ToString(), Reps.ToString());
        var matmul = py.GetProperty("matmul");
        foreach (var (dtype, name) in new[] { (torch.ScalarType.Float32, "float32"), (torch.ScalarType.BFloat16, "bfloat16") })
            foreach (var n in new[] { 1024L, 2048L })
                results.Higher($"torchsharp matmul {name} {n}^3", MatmulGflops(n, dtype), matmul.GetProperty($"{name}_{n}").GetDouble(), "GFLOP/s",
                    new() { ["shape"] = $"{n}x{n}x{n}", ["threads"] = threads, ["dtype"] = name, ["ours"] = "TorchSharp 0.107 / libtorch 2.10", ["baseline"] = $"python3-torch {py.GetProperty("torch")}" });
        results.Lower("torchsharp tiny add per call", AddNs(), py.GetProperty("add_ns").GetDouble(), "ns",
            new() { ["shape"] = "1", ["threads"] = threads, ["dtype"] = "float32", ["scope"] = "one DisposeScope per call" });
    }

    static double MatmulGflops(long n, torch.ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var a = torch.randn(n, n).to(dtype);                                      // (n, n)
        var b = torch.randn(n, n).to(dtype);                                      // (n, n)
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
        return rates.Order().ElementAt(Reps / 2);
    }

    static double AddNs()
    {
        using var outer = torch.NewDisposeScope();
        var a = torch.ones(1);
        var b = torch.ones(1);
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
        return times.Order().ElementAt(Reps / 2);
    }
}
