using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Distributed;

/// <summary>
/// Averages gradients over the ranks of an <see cref="MpiWorld"/>, as PyTorch's DDP does, in buckets:
/// 1) parameters are grouped in their given order into buckets of at most <c>bucketBytes</c> (a larger parameter gets
///    a bucket of its own), each backed by one contiguous fp32 CPU buffer made once;
/// 2) after backward: each gradient is copied into its slice of the buffer (a parameter without a gradient contributes
///    zeros), the buffer is summed over the ranks in place (<see cref="MpiWorld.AllReduceSum(nint, long, string)"/>),
///    divided by the world size and copied back (a missing gradient is created).
/// Call it after the last backward of a step and before clipping, so the clip norm is the norm of the global gradient.
/// Gradients must be fp32 on the CPU (parameters are fp32 under autocast). Not thread-safe.
/// </summary>
public sealed class GradientBuckets : IDisposable
{
    /// <summary>PyTorch DDP's default bucket_cap_mb (25 MiB).</summary>
    public const long DefaultBucketBytes = 25L << 20;

    readonly MpiWorld _world;
    readonly List<(Tensor Buffer, List<(Tensor Param, long Offset, long Count)> Slots)> _buckets = [];

    /// <summary>Buckets over <paramref name="parameters"/> (trainable, fp32, CPU; not owned).</summary>
    /// <exception cref="ArgumentException">a parameter is not fp32 on the CPU.</exception>
    public GradientBuckets(MpiWorld world, IEnumerable<Tensor> parameters, long bucketBytes = DefaultBucketBytes)
    {
        _world = world;
        var slots = new List<(Tensor, long, long)>();
        long filled = 0;
        foreach (var p in parameters)
        {
            if (p.dtype != ScalarType.Float32 || p.device_type != DeviceType.CPU)
                throw new ArgumentException($"gradient averaging needs fp32 CPU parameters; got {p.dtype} on {p.device_type} (shape [{string.Join(", ", p.shape)}])");
            var n = p.numel();
            if (slots.Count > 0 && (filled + n) * sizeof(float) > bucketBytes) Close();
            slots.Add((p, filled, n));
            filled += n;
        }
        if (slots.Count > 0) Close();

        void Close()
        {
            _buckets.Add((zeros(filled, ScalarType.Float32), [.. slots]));
            slots.Clear();
            filled = 0;
        }
    }

    /// <summary>Buckets made (one all-reduce each per step).</summary>
    public int Count => _buckets.Count;

    /// <summary>Values all-reduced per step (= the trainable parameter count).</summary>
    public long Elements => _buckets.Sum(b => b.Buffer.numel());

    /// <summary>Time spent inside the all-reduce calls (roll call included) since construction.</summary>
    public TimeSpan CommunicationTime => _comm.Elapsed;

    readonly Stopwatch _comm = new();

    /// <summary>Replaces every parameter's gradient with its mean over the ranks (see the class summary).</summary>
    public void Average()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var b = 0; b < _buckets.Count; b++)
        {
            var (buffer, slots) = _buckets[b];
            // 1) gradients → buffer
            foreach (var (p, off, n) in slots)
            {
                var slice = buffer.narrow(0, off, n);
                if (p.grad is { } g) slice.copy_(g.reshape(-1));
                else slice.zero_();
            }
            // 2) sum over ranks, in place
            _comm.Start();
            unsafe
            {
                fixed (byte* data = buffer.bytes) _world.AllReduceSum((nint)data, buffer.numel(), $"gradient bucket {b + 1} of {_buckets.Count}");
            }
            _comm.Stop();
            // 3) mean → gradients
            buffer.div_(_world.Size);
            foreach (var (p, off, n) in slots)
            {
                var slice = buffer.narrow(0, off, n).view(p.shape);
                if (p.grad is { } g) g.copy_(slice);
                else p.grad = slice.clone();   // the parameter keeps its own reference when the scope frees the wrapper
            }
        }
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        foreach (var (buffer, _) in _buckets) buffer.Dispose();
        _buckets.Clear();
    }
}
