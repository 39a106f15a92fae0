using System.Numerics;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// bfloat16 / float16 ↔ float32 conversion over spans, for checkpoints stored in any of the three.
/// bfloat16 is the upper 16 bits of a float32: widening is exact (shift left 16); narrowing rounds to nearest, ties to
/// even, as torch does (overflow rounds to ±inf; NaN stays a quiet NaN with its sign). float16 uses <see cref="Half"/>,
/// whose conversions are IEEE round-to-nearest-even. All spans are host order (little-endian on every supported machine).
/// </summary>
public static class FloatConversions
{
    /// <summary>One float32 → bfloat16 bits, round to nearest even.</summary>
    public static ushort ToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((bits >> 16) | 0x0040); // NaN: keep sign and top payload, force quiet
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>One bfloat16 (bits) → float32, exact.</summary>
    public static float FromBFloat16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Widens <paramref name="source"/> bfloat16 bits into <paramref name="destination"/> (same length or longer).</summary>
    public static void BFloat16ToFloat32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckLengths(source.Length, destination.Length);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var outBits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(destination);
            for (; i <= source.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(source[i..]), out var lo, out var hi);
                (lo << 16).CopyTo(outBits[i..]);
                (hi << 16).CopyTo(outBits[(i + Vector<uint>.Count)..]);
            }
        }
        for (; i < source.Length; i++) destination[i] = FromBFloat16(source[i]);
    }

    /// <summary>Narrows <paramref name="source"/> to bfloat16 bits in <paramref name="destination"/>, round to nearest even.</summary>
    public static void Float32ToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckLengths(source.Length, destination.Length);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var inBits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(source);
            var n = Vector<uint>.Count;
            for (; i <= source.Length - 2 * n; i += 2 * n)
            {
                var a = Round(new Vector<uint>(inBits[i..]));
                var b = Round(new Vector<uint>(inBits[(i + n)..]));
                Vector.Narrow(a, b).CopyTo(destination[i..]);
            }
        }
        for (; i < source.Length; i++) destination[i] = ToBFloat16(source[i]);

        // Same as ToBFloat16, lane-wise; the result is in the low 16 bits of each lane.
        static Vector<uint> Round(Vector<uint> bits)
        {
            var isNaN = Vector.GreaterThan(bits & new Vector<uint>(0x7FFF_FFFF), new Vector<uint>(0x7F80_0000));
            var rounded = (bits + new Vector<uint>(0x7FFF) + ((bits >> 16) & Vector<uint>.One)) >> 16;
            var nan = (bits >> 16) | new Vector<uint>(0x0040);
            return Vector.ConditionalSelect(isNaN, nan, rounded);
        }
    }

    /// <summary>Widens float16 values into float32, exact.</summary>
    public static void Float16ToFloat32(ReadOnlySpan<Half> source, Span<float> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < source.Length; i++) destination[i] = (float)source[i];
    }

    /// <summary>Narrows float32 to float16, round to nearest even (overflow → ±inf, NaN stays NaN).</summary>
    public static void Float32ToFloat16(ReadOnlySpan<float> source, Span<Half> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (var i = 0; i < source.Length; i++) destination[i] = (Half)source[i];
    }

    static void CheckLengths(int source, int destination)
    {
        if (destination < source)
            throw new ArgumentException($"destination holds {destination} elements, source has {source}", nameof(destination));
    }
}
