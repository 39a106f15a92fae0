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

    /// <summary>Widens float16 values into float32, exact (NaN stays NaN, payload shifted up as the scalar cast does).</summary>
    public static void Float16ToFloat32(ReadOnlySpan<Half> source, Span<float> destination)
    {
        CheckLengths(source.Length, destination.Length);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var inBits = System.Runtime.InteropServices.MemoryMarshal.Cast<Half, ushort>(source);
            var outBits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(destination);
            for (; i <= source.Length - Vector<ushort>.Count; i += Vector<ushort>.Count)
            {
                Vector.Widen(new Vector<ushort>(inBits[i..]), out var lo, out var hi);
                Widen(lo).CopyTo(outBits[i..]);
                Widen(hi).CopyTo(outBits[(i + Vector<uint>.Count)..]);
            }
        }
        for (; i < source.Length; i++) destination[i] = (float)source[i];

        // Exponent rebias by integer add; subnormals by the magic-number subtraction (exact in float32).
        static Vector<uint> Widen(Vector<uint> h)
        {
            var sign = (h & new Vector<uint>(0x8000)) << 16;
            var o = (h & new Vector<uint>(0x7FFF)) << 13;
            var exp = o & new Vector<uint>(0x0F80_0000);
            o += new Vector<uint>((127 - 15) << 23);
            o = Vector.ConditionalSelect(Vector.Equals(exp, new Vector<uint>(0x0F80_0000)), o + new Vector<uint>((128 - 16) << 23), o); // inf / NaN
            var sub = Vector.AsVectorUInt32(Vector.AsVectorSingle(o + new Vector<uint>(1 << 23)) - Vector.AsVectorSingle(new Vector<uint>(113 << 23)));
            o = Vector.ConditionalSelect(Vector.Equals(exp, Vector<uint>.Zero), sub, o); // zero / subnormal
            return o | sign;
        }
    }

    /// <summary>Narrows float32 to float16, round to nearest even (overflow → ±inf, NaN → quiet NaN with its sign).</summary>
    public static void Float32ToFloat16(ReadOnlySpan<float> source, Span<Half> destination)
    {
        CheckLengths(source.Length, destination.Length);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var inBits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, uint>(source);
            var outBits = System.Runtime.InteropServices.MemoryMarshal.Cast<Half, ushort>(destination);
            var n = Vector<uint>.Count;
            for (; i <= source.Length - 2 * n; i += 2 * n)
                Vector.Narrow(Narrow(new Vector<uint>(inBits[i..])), Narrow(new Vector<uint>(inBits[(i + n)..]))).CopyTo(outBits[i..]);
        }
        for (; i < source.Length; i++) destination[i] = (Half)source[i];

        // F. Giesen's float_to_half_fast3_rtne, lane-wise: three cases selected at the end.
        static Vector<uint> Narrow(Vector<uint> f)
        {
            var sign = f & new Vector<uint>(0x8000_0000);
            f ^= sign;
            // 1) too large for half: inf, or quiet NaN
            var big = Vector.ConditionalSelect(Vector.GreaterThan(f, new Vector<uint>(0x7F80_0000)), new Vector<uint>(0x7E00), new Vector<uint>(0x7C00));
            // 2) half subnormal or zero: the float add rounds to nearest even at the right bit
            var magic = new Vector<uint>(((127 - 15) + (23 - 10) + 1) << 23);
            var small = Vector.AsVectorUInt32(Vector.AsVectorSingle(f) + Vector.AsVectorSingle(magic)) - magic;
            // 3) normal: rebias, add half an ulp minus one plus the kept lsb (ties to even), shift
            var odd = (f >> 13) & Vector<uint>.One;
            var normal = (f + new Vector<uint>(unchecked((uint)((15 - 127) << 23)) + 0xFFF) + odd) >> 13;
            var o = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(f, new Vector<uint>((127 + 16) << 23)), big,
                Vector.ConditionalSelect(Vector.LessThan(f, new Vector<uint>(113 << 23)), small, normal));
            return o | (sign >> 16);
        }
    }

    static void CheckLengths(int source, int destination)
    {
        if (destination < source)
            throw new ArgumentException($"destination holds {destination} elements, source has {source}", nameof(destination));
    }
}
