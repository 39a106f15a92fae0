using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using Toolkit.Train.Distributed;
using Toolkit.Train.Engine;
using static TorchSharp.torch;

namespace Toolkit.Distributed.Tests;

/// <summary>
/// The program <see cref="DistributedTests"/> starts under <c>mpirun -np 2</c>: this test assembly's entry point
/// (<c>dotnet exec Toolkit.Distributed.Tests.dll probe MODE OUTDIR [seconds]</c>; xunit ignores it). Each rank writes
/// <c>OUTDIR/rank-R.json</c>. Modes:
/// <list type="bullet">
/// <item><c>average</c>: a two-layer toy's gradients over a global batch of 8 rows, 4 per rank, averaged in buckets
///   (one parameter never gets a gradient), then a step, a checksum that must pass, a perturbation on rank 1 and a
///   checksum that must fail;</item>
/// <item><c>train</c>: three steps of the toy through <see cref="DataParallel"/> (sharded micro-batches, loss scale,
///   averaged gradients, a clipped global norm, SGD, a checksum each step); writes the final parameters;</item>
/// <item><c>hang</c>: rank 1 sleeps instead of joining a collective (the roll call must name it);</item>
/// <item><c>kill</c>: rank 1 kills itself with SIGKILL before a collective.</item>
/// </list>
/// </summary>
public static class DistributedProbe
{
    /// <summary>The global batch the toy trains on: (x (8, 4), y (8, 2)), seeded, identical in every process.</summary>
    public static (Tensor X, Tensor Y) Batch()
    {
        var g = new Generator(7);
        return (randn([8, 4], generator: g), randn([8, 2], generator: g));
    }

    /// <summary>The toy's parameters, seeded: w1 (3, 4), b1 (3,), w2 (2, 3), unused (5,).</summary>
    public static Parameter[] Parameters()
    {
        var g = new Generator(11);
        return [new Parameter(randn([3, 4], generator: g)), new Parameter(randn([3], generator: g)), new Parameter(randn([2, 3], generator: g)), new Parameter(randn([5], generator: g))];
    }

    /// <summary>Mean squared error of the toy on rows [from, from + count) of the batch; backward leaves the gradients.</summary>
    public static void Backward(Parameter[] p, long from, long count)
    {
        var (x, y) = Batch();
        var xs = x.narrow(0, from, count);
        var h = tanh(xs.Matmul(p[0].t()) + p[1]);       // (n, 3)
        var o = h.Matmul(p[2].t());                                 // (n, 2)
        (o - y.narrow(0, from, count)).pow(2).mean().backward();
    }


    /// <summary>
    /// Three steps of the toy, each two micro-batches of 4 rows of a per-step order of the 8 rows: this rank's shard of
    /// each micro-batch, loss × scale(shard rows, 8), backward; then <paramref name="average"/>, clip the norm to 0.5, SGD
    /// with lr 0.1, <paramref name="afterStep"/>. One process: shard = identity, scale = rows / 8, no average.
    /// </summary>
    public static void ToySteps(Parameter[] p, Func<int[], int[]> shard, Func<double, double, double> scale, Action average, Action<int, bool> afterStep)
    {
        var (x, y) = Batch();
        for (var step = 1; step <= 3; step++)
        {
            foreach (var t in p) t.grad = null;
            var order = Enumerable.Range(0, 8).Select(i => (i * (2 * step + 1) + step) % 8).ToArray();
            for (var k = 0; k < 2; k++)
            {
                var rows = shard(order[(4 * k)..(4 * k + 4)]);
                if (rows.Length == 0) continue;
                using var ix = tensor(rows.Select(r => (long)r).ToArray());
                var h = tanh(x.index_select(0, ix).Matmul(p[0].t()) + p[1]);     // (n, 3)
                var o = h.Matmul(p[2].t());                                     // (n, 2)
                ((o - y.index_select(0, ix)).pow(2).mean() * scale(rows.Length, 8)).backward();
            }
            average();
            nn.utils.clip_grad_norm_(p.Take(3), 0.5);
            using (no_grad()) foreach (var t in p.Take(3)) t.sub_(t.grad!.mul(0.1));
            afterStep(step, step == 3);
        }
    }

    /// <summary>Entry point (see the class summary).</summary>
    public static int Main(string[] args)
    {
        if (args.Length < 3 || args[0] != "probe") { Console.Error.WriteLine("usage: probe average|hang|kill OUTDIR [timeout seconds]"); return 2; }
        TorchSharpNative.Load();
        torch.set_num_threads(1);
        var world = MpiWorld.Init();
        world.Timeout = TimeSpan.FromSeconds(args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 60);
        var result = new Dictionary<string, object?> { ["rank"] = world.Rank, ["size"] = world.Size };
        var code = world.RunOrAbort(() =>
        {
            switch (args[1])
            {
                case "average": Average(world, result); break;
                case "train":
                    var dp = new DataParallel(world, world.Timeout, checksumEvery: 1);
                    var p = Parameters();
                    dp.Attach(["w1", "b1", "w2", "unused"], p);
                    ToySteps(p, dp.Shard, dp.LossScale, dp.AverageGradients, dp.AfterStep);
                    result["params"] = p.Select(t => t.data<float>().ToArray()).ToList();
                    result["comm_seconds"] = dp.CommunicationTime.TotalSeconds;
                    break;
                case "hang":
                    if (world.Rank == 1) Thread.Sleep(TimeSpan.FromMinutes(5));
                    world.Barrier("hang probe");
                    break;
                case "kill":
                    if (world.Rank == 1) System.Diagnostics.Process.GetCurrentProcess().Kill();
                    world.Barrier("kill probe");
                    break;
                default: throw new ArgumentException($"unknown probe mode {args[1]}");
            }
            File.WriteAllText(Path.Combine(args[2], $"rank-{world.Rank}.json"), JsonSerializer.Serialize(result));
            return 0;
        });
        world.Dispose();
        return code;
    }

    static void Average(MpiWorld world, Dictionary<string, object?> result)
    {
        var p = Parameters();
        var shard = 8 / world.Size;
        Backward(p, world.Rank * shard, shard);
        using (var buckets = new GradientBuckets(world, p, bucketBytes: 32))   // 32 bytes: w1 (48 B) alone, b1, w2 alone, unused alone
        {
            result["buckets"] = buckets.Count;
            buckets.Average();
        }
        result["grads"] = p.Select(t => t.grad is { } g ? g.data<float>().ToArray() : null).ToList();
        using (no_grad()) foreach (var t in p) t.sub_(t.grad!.mul(0.1));
        var names = new[] { "w1", "b1", "w2", "unused" };
        ParameterChecksum.Verify(world, names, p, 1);
        result["checksum_after_step"] = "equal";
        if (world.Rank == 1) using (no_grad()) p[2].index_put_(p[2][0, 1] + 1e-6f, 0, 1);
        try { ParameterChecksum.Verify(world, names, p, 2); result["checksum_after_perturbation"] = "equal"; }
        catch (ParametersDivergedException e) { result["checksum_after_perturbation"] = e.Message; result["diverged_ranks"] = e.Ranks; }
    }
}
