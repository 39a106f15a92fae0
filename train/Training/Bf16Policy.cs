using System.Diagnostics;
using System.Globalization;
using Toolkit.Train.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Training;

/// <summary>
/// Decides <c>--bf16 auto</c> for this CPU: bf16 autocast pays only where bf16 GEMM beats fp32 GEMM. Sapphire Rapids
/// (amx_bf16) runs it several × faster; an AVX2-only AMD EPYC runs it 20–150× slower (DESIGN.md, "Two CPU kinds"); Zen 4
/// (avx512_bf16 without AMX) is a third kind, so the CPU flags are only a precondition and a short measurement decides:
/// a 512×512×512 matmul in float32 and in bfloat16, alternating (no RNG drawn, ~0.3–0.6 s), measured once per process and cached.
/// The only tensor work in this file is that measurement.
/// </summary>
public static class Bf16Policy
{
    /// <summary>One measurement: GEMM rates in GFLOP/s (2·n³ per matmul), the CPU's name and bf16 flags.</summary>
    /// <param name="Fp32Gflops">float32 matmul rate, GFLOP/s.</param>
    /// <param name="Bf16Gflops">bfloat16 matmul rate, GFLOP/s.</param>
    /// <param name="Cpu">The CPU's model name from /proc/cpuinfo ("unknown CPU" where unreadable).</param>
    /// <param name="Flags">The bf16 flags /proc/cpuinfo lists (amx_bf16, avx512_bf16); empty where none.</param>
    /// <param name="Size">The matmul size n.</param>
    public sealed record Measurement(double Fp32Gflops, double Bf16Gflops, string Cpu, IReadOnlyList<string> Flags, long Size)
    {
        /// <summary>bf16 over fp32 speed (&gt; 1: bf16 faster).</summary>
        public double Speedup => Bf16Gflops / Fp32Gflops;

        /// <summary>True when the CPU lists a bf16 flag and bf16 GEMM measured at least 10 % faster than fp32 (autocast adds casts).</summary>
        public bool BfFaster => Flags.Count > 0 && Speedup >= MinSpeedup;

        /// <summary>The numbers as one phrase, e.g. "bf16 GEMM 4.6 GFLOP/s vs fp32 124 GFLOP/s at 512³ on AMD EPYC …; CPU flags: none".</summary>
        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"bf16 GEMM {Bf16Gflops:G3} GFLOP/s vs fp32 {Fp32Gflops:G3} GFLOP/s at {Size}³ on {Cpu}; CPU bf16 flags: {(Flags.Count == 0 ? "none" : string.Join(", ", Flags))}");
    }

    /// <summary>The least bf16/fp32 GEMM speed ratio for which auto turns bf16 on.</summary>
    public const double MinSpeedup = 1.1;

    static readonly Lazy<Measurement> Cached = new(() => Measure(512), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>This process's measurement (taken on first use, with the current libtorch thread count).</summary>
    public static Measurement Measured => Cached.Value;

    /// <summary>
    /// Resolves <paramref name="mode"/>: whether to use bf16, and the run-header line saying what was chosen and why.
    /// The line starts with "WARNING" when bf16 was asked for explicitly on a CPU where it measured slower.
    /// <paramref name="measurement"/>: default <see cref="Measured"/> (taken only when needed: not for false).
    /// </summary>
    public static (bool Use, string Line) Decide(Bf16Mode mode, Measurement? measurement = null)
    {
        if (mode == Bf16Mode.False) return (false, "bf16: off (--bf16 false): exact float32");
        var m = measurement ?? Measured;
        if (mode == Bf16Mode.True)
            return m.Speedup >= 1
                ? (true, $"bf16: on (--bf16 true): {m.Describe()}")
                : (true, string.Create(CultureInfo.InvariantCulture,
                    $"WARNING bf16: on (--bf16 true), but bf16 GEMM is {1 / m.Speedup:G3}× slower than fp32 on this CPU ({m.Describe()}); training will be slower — use --bf16 auto or false"));
        var why = m.Flags.Count == 0 ? "no bf16 units in the CPU flags"
            : m.BfFaster ? $"bf16 is {m.Speedup:G3}× faster" : $"bf16 is not ≥ {MinSpeedup}× faster ({m.Speedup:G3}×)";
        return (m.BfFaster, string.Create(CultureInfo.InvariantCulture, $"bf16: {(m.BfFaster ? "on" : "off")} (--bf16 auto: {why}): {m.Describe()}"));
    }

    /// <summary>
    /// Measures fp32 and bf16 n×n×n matmul rates: one warm-up each, then 5 rounds that alternate a ≥ 30 ms fp32 run and a
    /// ≥ 30 ms bf16 run (so load from other processes hits both alike); each rate is its best round.
    /// </summary>
    public static Measurement Measure(long n)
    {
        var (cpu, flags) = CpuInfo();
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var fp32 = new Gemm(n, ScalarType.Float32);
        var bf16 = new Gemm(n, ScalarType.BFloat16);
        double bestFp32 = 0, bestBf16 = 0;
        for (var r = 0; r < 5; r++)
        {
            bestFp32 = Math.Max(bestFp32, fp32.Round());
            bestBf16 = Math.Max(bestBf16, bf16.Round());
        }
        return new Measurement(bestFp32, bestBf16, cpu, flags, n);
    }

    /// <summary>One dtype's operands (inside the caller's dispose scope) and its timed rounds.</summary>
    sealed class Gemm
    {
        readonly long n;
        readonly Tensor a, b;                                                    // (n, n) each
        readonly int inner;

        public Gemm(long n, ScalarType dtype)
        {
            this.n = n;
            a = torch.full([n, n], 0.5, dtype);
            b = torch.full([n, n], 0.25, dtype);
            Once();                                                              // warm-up: threads, packing buffers
            var sw = Stopwatch.StartNew();
            Once();
            inner = Math.Clamp((int)(0.03 / Math.Max(sw.Elapsed.TotalSeconds, 1e-6)), 1, 64);
        }

        void Once()
        {
            using var s = torch.NewDisposeScope();
            a.Matmul(b);
        }

        /// <summary>GFLOP/s of one round of <c>inner</c> matmuls.</summary>
        public double Round()
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < inner; i++) Once();
            return 2.0 * n * n * n * inner / sw.Elapsed.TotalSeconds / 1e9;
        }
    }

    /// <summary>The model name and the bf16 flags (amx_bf16, avx512_bf16) of the first CPU in /proc/cpuinfo.</summary>
    public static (string Cpu, IReadOnlyList<string> Flags) CpuInfo(string path = "/proc/cpuinfo")
    {
        if (!File.Exists(path)) return ("unknown CPU", []);
        string cpu = "unknown CPU";
        var flags = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            if (key == "model name" && cpu == "unknown CPU") cpu = line[(colon + 1)..].Trim();
            else if (key == "flags")
            {
                var have = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
                flags.AddRange(new[] { "amx_bf16", "avx512_bf16" }.Where(have.Contains));
                break;
            }
        }
        return (cpu, flags);
    }
}
