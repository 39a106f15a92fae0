using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Toolkit.Train.Distributed;

/// <summary>
/// Checks that every rank holds bit-identical parameters: each rank sums every parameter's raw 32-bit words into a
/// 64-bit integer (exact and independent of summation order, so thread counts and CPUs do not matter), rank 0's sums
/// are broadcast, and each rank compares; the ranks whose sums differ are then all-reduced so every rank fails together
/// with the same <see cref="ParametersDivergedException"/>, naming the ranks and this rank's first differing parameter.
/// </summary>
public static class ParameterChecksum
{
    /// <summary>One exact checksum per parameter (contiguous CPU tensors of any dtype with an even byte count).</summary>
    public static long[] Local(IReadOnlyList<Tensor> parameters)
    {
        var sums = new long[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            using var c = parameters[i].contiguous();
            var bytes = c.bytes;
            long s = 0;
            var words = MemoryMarshal.Cast<byte, int>(bytes[..(bytes.Length & ~3)]);
            for (var k = 0; k < words.Length; k++) s += words[k];
            for (var k = bytes.Length & ~3; k < bytes.Length; k++) s += bytes[k];
            sums[i] = s;
        }
        return sums;
    }

    /// <summary>Compares this rank's parameters with rank 0's; throws on every rank when any rank differs.</summary>
    /// <param name="world">The job.</param>
    /// <param name="names">Parameter names in the order of <paramref name="parameters"/> (for the message).</param>
    /// <param name="parameters">The parameters, in the same order on every rank.</param>
    /// <param name="step">The optimizer step just taken (for the message).</param>
    /// <exception cref="ParametersDivergedException">some rank's parameters differ from rank 0's.</exception>
    public static void Verify(MpiWorld world, IReadOnlyList<string> names, IReadOnlyList<Tensor> parameters, int step)
    {
        var local = Local(parameters);
        var root = local.ToArray();
        world.Broadcast(MemoryMarshal.AsBytes(root.AsSpan()), 0, $"parameter checksum at step {step}");
        var first = FirstDifference(local, root);
        var differ = new double[world.Size];
        if (first >= 0) differ[world.Rank] = 1;
        world.AllReduceSum(differ.AsSpan(), $"parameter checksum verdict at step {step}");
        var bad = Enumerable.Range(0, world.Size).Where(r => differ[r] > 0).ToList();
        if (bad.Count == 0) return;
        throw new ParametersDivergedException(
            $"parameters diverged after step {step}: rank(s) {string.Join(", ", bad)} differ from rank 0" +
            (first >= 0 ? $" (on rank {world.Rank} first at {names[first]})" : "") +
            ". HINT: every rank must run the same code on the same options; a nondeterministic kernel or a missed gradient average causes this. Resume from the last checkpoint.", bad);
    }

    static int FirstDifference(long[] a, long[] b)
    {
        for (var i = 0; i < a.Length; i++) if (a[i] != b[i]) return i;
        return -1;
    }
}
