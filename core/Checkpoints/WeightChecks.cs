using System.Numerics;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Checks on the raw bytes of safetensors weights, engine-free: a floating-point tensor holding NaN or ±Inf cannot be
/// trained, exported or served (an all-NaN norm exports fine and then generates "\u0000" for ever), so a folder holding
/// one is refused when it is loaded, naming the file and the tensors. Costs one read of the weights (memory bandwidth).
/// </summary>
public static class WeightChecks
{
    /// <summary>
    /// Throws a <see cref="CheckpointException"/> naming the file, the first tensors with non-finite values and how many
    /// they hold, when any F64/F32/F16/BF16 tensor of <paramref name="weights"/> has a NaN or an infinity. Integer tensors
    /// are not checked.
    /// </summary>
    public static void RequireFinite(IWeightView weights)
    {
        var bad = new List<(SafetensorsTensor Tensor, long Count)>();
        foreach (var name in weights.Names)
        {
            var t = weights[name];
            var n = CountNonFinite(t);
            if (n > 0) bad.Add((t, n));
        }
        if (bad.Count == 0) return;
        var first = bad[0].Tensor;
        var list = string.Join(", ", bad.Take(5).Select(b => $"'{b.Tensor.Name}' ({b.Count:N0} of {b.Tensor.ElementCount:N0} values)"));
        throw new CheckpointException(first.FilePath,
            $"{first.FilePath}: {bad.Count} weight tensor(s) hold NaN or infinite values: {list}{(bad.Count > 5 ? ", ..." : "")}. " +
            "The checkpoint is broken, not the training settings. HINT: re-download or re-convert the checkpoint, or resume from an earlier one");
    }

    /// <summary>How many elements of <paramref name="t"/> are NaN or ±Inf (0 for integer dtypes).</summary>
    public static long CountNonFinite(SafetensorsTensor t)
    {
        var (size, mask) = t.DType switch
        {
            SafetensorsDType.F32 => (4, 0x7F800000UL),
            SafetensorsDType.F16 => (2, 0x7C00UL),
            SafetensorsDType.BF16 => (2, 0x7F80UL),
            SafetensorsDType.F64 => (8, 0x7FF0000000000000UL),
            _ => (0, 0UL),
        };
        if (size == 0) return 0;
        long count = 0;
        const int chunk = 1 << 28;   // 256 MiB, a multiple of every element size
        for (long offset = 0; offset < t.ByteLength; offset += chunk)
        {
            var bytes = t.Slice(offset, (int)Math.Min(chunk, t.ByteLength - offset));
            count += size switch
            {
                4 => Count(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(bytes), (uint)mask),
                2 => Count(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)mask),
                _ => Count(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes), mask),
            };
        }
        return count;
    }

    /// <summary>Elements whose exponent bits are all set (NaN or infinity in IEEE / bfloat16 layouts).</summary>
    static long Count<T>(ReadOnlySpan<T> bits, T mask) where T : unmanaged, IBinaryInteger<T>
    {
        long n = 0;
        var i = 0;
        if (Vector.IsHardwareAccelerated && bits.Length >= Vector<T>.Count)
        {
            var m = new Vector<T>(mask);
            for (; i <= bits.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = new Vector<T>(bits[i..]);
                if (Vector.EqualsAny(v & m, m))
                    for (var k = 0; k < Vector<T>.Count; k++) if ((bits[i + k] & mask) == mask) n++;
            }
        }
        for (; i < bits.Length; i++) if ((bits[i] & mask) == mask) n++;
        return n;
    }
}
