using System.Runtime.InteropServices;
using Toolkit.Runtime.Ort;
using Xunit.Abstractions;

namespace Toolkit.Runtime.Tests;

/// <summary>Runs alone (no other test allocating in the process while memory is measured).</summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection;

/// <summary>
/// Many runs leave memory where it was: values, names, statuses, bound outputs are all released. Three gauges, read
/// after a warm-up that lets the .NET GC settle its heap size: resident memory (what a user sees), bytes in use in
/// the native malloc heap (where ORT's leaks would show, without the GC's noise), and the managed heap.
/// </summary>
[Collection(nameof(SerialCollection))]
public sealed partial class OrtMemoryTests : IDisposable
{
    readonly TempDir _dir = new();
    readonly ITestOutputHelper _log;

    public OrtMemoryTests(ITestOutputHelper log) => _log = log;

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Twenty_thousand_runs_do_not_grow_memory()
    {
        // batch 256: each run's output is 2 KiB, so leaking the outputs alone would add ~40 MB over 20k runs
        const int Batch = 256, Warmup = 50_000, Runs = 20_000;
        using var session = OrtSession.Load(Models.MatMulAdd().Save(_dir.File("m.onnx")));
        var x = Models.SomeX(Batch);
        var expected = Models.MatMulAddExpected(x);
        using var binding = session.CreateIoBinding();
        binding.BindOutputToCpu("y");
        string[] inNames = ["x"], outNames = ["y"];

        void Step(int i)
        {
            using var xv = OrtValue.FromArray(x, Batch, 3);
            using var y = session.Run(inNames, [xv], outNames)[0];   // ORT-allocated output, released here
            if (i % 4 == 0)
            {
                binding.BindInput("x", xv);                            // the binding keeps xv until rebound
                binding.Run();
                foreach (var v in binding.GetOutputValues()) v.Dispose();
            }
            if (i % 1000 == 0) Assert.Equal(expected, y.ToArray<float>());
        }

        for (var i = 0; i < Warmup; i++) Step(i);
        var before = Gauges.Read();
        for (var i = 0; i < Runs; i++) Step(i);
        var after = Gauges.Read();

        var (rss, native, managed) = (after.Rss - before.Rss, after.Native - before.Native, after.Managed - before.Managed);
        _log.WriteLine($"over {Runs} runs: RSS {before.Rss / 1e6:F1} -> {after.Rss / 1e6:F1} MB ({rss / 1e6:+0.00;-0.00;0.00} MB), " +
                       $"malloc in use {native / 1e3:+0.0;-0.0;0.0} kB, managed heap {managed / 1e3:+0.0;-0.0;0.0} kB");
        Assert.True(native < 1_000_000, $"native heap in use grew by {native / 1e6:F2} MB over {Runs} runs: an ORT object is not released");
        Assert.True(managed < 1_000_000, $"managed heap grew by {managed / 1e6:F2} MB over {Runs} runs: something keeps values alive");
        Assert.True(rss < 4_000_000, $"RSS grew by {rss / 1e6:F2} MB over {Runs} runs (limit 4 MB)");
    }

    readonly record struct Gauges(long Rss, long Native, long Managed)
    {
        public static Gauges Read()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var m = mallinfo2();
            return new Gauges(RssBytes(), (long)(m.uordblks + m.hblkhd), GC.GetTotalMemory(forceFullCollection: true));
        }

        static long RssBytes()
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            throw new InvalidOperationException("no VmRSS in /proc/self/status");
        }
    }

    /// <summary>glibc's struct mallinfo2 (glibc ≥ 2.33): uordblks = bytes in use in the heap, hblkhd = bytes in mmap'd blocks.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    [LibraryImport("libc.so.6")]
    private static partial MallInfo2 mallinfo2();
}
