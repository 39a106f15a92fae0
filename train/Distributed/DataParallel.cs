using static TorchSharp.torch;

namespace Toolkit.Train.Distributed;

/// <summary>
/// Data-parallel training over the ranks of an <see cref="MpiWorld"/>, as the trainer uses it (one object, a few calls):
/// <list type="number">
/// <item><see cref="Shard"/>: each global micro-batch (the one a single process would use: same seed, same order) is
///   cut into contiguous, disjoint, balanced slices, one per rank;</item>
/// <item><see cref="LossScale"/>: a rank's micro-batch loss is scaled by W · u_r / U (its units u_r — pairs, examples or
///   tokens — over the step's global units U, times the world size W), so that after <see cref="AverageGradients"/>
///   (the sum over ranks ÷ W) the gradient equals the one-process gradient of the global batch;</item>
/// <item><see cref="AverageGradients"/> after the last backward of a step, before clipping (the clip norm is global);</item>
/// <item><see cref="AfterStep"/>: every <see cref="ChecksumEvery"/> steps the parameters are compared
///   (<see cref="ParameterChecksum"/>) and a divergence is refused;</item>
/// <item><see cref="IsWriter"/>: only rank 0 writes checkpoints, metrics and reports; every rank reads them on resume;</item>
/// <item><see cref="SumMetrics"/> and <see cref="Gather"/>: weighted step metrics and sharded precomputes (reference
///   log-probs) combined over the ranks.</item>
/// </list>
/// </summary>
public sealed class DataParallel : IDisposable
{
    readonly List<string> _names = [];
    readonly List<Tensor> _parameters = [];
    GradientBuckets? _buckets;

    /// <summary>The job.</summary>
    public MpiWorld World { get; }

    /// <summary>This rank.</summary>
    public int Rank => World.Rank;

    /// <summary>Ranks in the job (W).</summary>
    public int Size => World.Size;

    /// <summary>True on rank 0, the only rank that writes files.</summary>
    public bool IsWriter => World.Rank == 0;

    /// <summary>Steps between parameter checksums (0 = never).</summary>
    public int ChecksumEvery { get; }

    /// <summary>Time spent in gradient all-reduces so far.</summary>
    public TimeSpan CommunicationTime => _buckets?.CommunicationTime ?? TimeSpan.Zero;

    /// <summary>Wraps <paramref name="world"/>; <paramref name="timeout"/> bounds every collective.</summary>
    public DataParallel(MpiWorld world, TimeSpan timeout, int checksumEvery)
    {
        World = world;
        World.Timeout = timeout;
        ChecksumEvery = checksumEvery;
    }

    /// <summary>
    /// The data-parallel job this process belongs to when it was started by mpirun with more than one rank (MPI is
    /// initialized here), else null (one process: nothing changes).
    /// </summary>
    public static DataParallel? FromEnvironment(TimeSpan timeout, int checksumEvery)
    {
        if (!MpiWorld.LaunchedByMpirun) return null;
        var world = MpiWorld.Init();
        if (world.Size == 1) { world.Dispose(); return null; }
        return Current = new DataParallel(world, timeout, checksumEvery);
    }

    /// <summary>The job made by <see cref="FromEnvironment"/> in this process, or null (read by the reference precompute).</summary>
    public static DataParallel? Current { get; private set; }

    /// <summary>Intra-op threads per rank: the cores shared among the ranks on this machine (at least 1).</summary>
    public int ThreadsPerRank => Math.Max(1, Environment.ProcessorCount / Math.Max(1, World.LocalSize));

    /// <summary>This rank's contiguous slice of <paramref name="global"/> (rank r of W takes [r·n/W, (r+1)·n/W); may be empty when n &lt; W).</summary>
    public T[] Shard<T>(T[] global)
    {
        var (from, count) = Range(global.Length);
        return global[from..(from + count)];
    }

    /// <summary>This rank's slice [from, from + count) of <paramref name="n"/> items (balanced; see <see cref="Shard{T}"/>).</summary>
    public (int From, int Count) Range(int n)
    {
        var from = (int)((long)Rank * n / Size);
        var to = (int)((long)(Rank + 1) * n / Size);
        return (from, to - from);
    }

    /// <summary>The factor for this rank's micro-batch loss: W · <paramref name="shardUnits"/> / <paramref name="globalUnits"/> (see the class summary).</summary>
    public double LossScale(double shardUnits, double globalUnits) => Size * shardUnits / globalUnits;

    /// <summary>
    /// Registers the trainable parameters (same names and order on every rank), copies rank 0's values to every rank
    /// (so all start bit-identical) and makes the gradient buckets.
    /// </summary>
    public void Attach(IReadOnlyList<string> names, IReadOnlyList<Tensor> parameters, long bucketBytes = GradientBuckets.DefaultBucketBytes)
    {
        _names.AddRange(names);
        _parameters.AddRange(parameters);
        using (no_grad())
            for (var i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                unsafe
                {
                    fixed (byte* data = p.bytes) World.Broadcast((nint)data, p.bytes.Length, 0, $"initial parameters ({names[i]})");
                }
            }
        _buckets = new GradientBuckets(World, parameters, bucketBytes);
    }

    /// <summary>Every parameter's gradient replaced by its mean over the ranks; call after the step's last backward, before clipping.</summary>
    public void AverageGradients() => (_buckets ?? throw new InvalidOperationException("Attach the parameters first")).Average();

    /// <summary>Every <see cref="ChecksumEvery"/> steps (and at <paramref name="last"/>): the parameters must be identical on every rank.</summary>
    /// <exception cref="ParametersDivergedException">they are not.</exception>
    public void AfterStep(int step, bool last)
    {
        if (ChecksumEvery > 0 && (step % ChecksumEvery == 0 || last)) ParameterChecksum.Verify(World, _names, _parameters, step);
    }

    /// <summary>
    /// Element-wise sums over the ranks of <paramref name="values"/> (e.g. Σ weight·metric and Σ weight per metric, in
    /// an order every rank agrees on).
    /// </summary>
    public double[] SumMetrics(double[] values, string what)
    {
        var copy = values.ToArray();
        World.AllReduceSum(copy.AsSpan(), what);
        return copy;
    }

    /// <summary>
    /// The metric names every rank uses, in <paramref name="mine"/>'s order on the lowest rank that has any (a rank whose
    /// data slice was empty has none; all others log the same names): an all-reduce of who has names, then a broadcast.
    /// </summary>
    public IReadOnlyList<string> AgreeOnKeys(IReadOnlyList<string> mine, string what)
    {
        var has = new double[Size];
        if (mine.Count > 0) has[Rank] = 1;
        World.AllReduceSum(has.AsSpan(), what + " (who has metrics)");
        var root = Array.FindIndex(has, h => h > 0);
        if (root < 0) return [];
        var text = root == Rank ? string.Join("\n", mine) : "";
        var length = new[] { (long)System.Text.Encoding.UTF8.GetByteCount(text) };
        World.Broadcast(System.Runtime.InteropServices.MemoryMarshal.AsBytes(length.AsSpan()), root, what + " (metric names length)");
        var bytes = new byte[length[0]];
        if (root == Rank) System.Text.Encoding.UTF8.GetBytes(text, bytes);
        World.Broadcast(bytes, root, what + " (metric names)");
        return System.Text.Encoding.UTF8.GetString(bytes).Split('\n');
    }

    /// <summary>Every rank's <paramref name="mine"/> concatenated in rank order (with <see cref="Range"/> slices: the one-process array).</summary>
    public float[] Gather(ReadOnlySpan<float> mine, string what) => World.AllGather(mine, what);

    /// <summary>Frees the buckets and finalizes MPI.</summary>
    public void Dispose()
    {
        _buckets?.Dispose();
        World.Dispose();
        if (Current == this) Current = null;
    }
}
