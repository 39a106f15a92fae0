using System.Runtime.InteropServices;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// bfloat16: the upper 16 bits of an IEEE float32 (8 exponent bits, 7 mantissa bits), stored as a ushort so tensors of
/// it can be handed to ORT as they are. Conversion from float rounds to nearest even; NaN stays NaN.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 2)]
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    /// <summary>The raw bits.</summary>
    public readonly ushort Bits;

    /// <summary>A value from its raw bits.</summary>
    public BFloat16(ushort bits) => Bits = bits;

    /// <summary>Rounds <paramref name="value"/> to the nearest bfloat16 (ties to even).</summary>
    public static explicit operator BFloat16(float value)
    {
        var u = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return new BFloat16((ushort)((u >> 16) | 0x0040));   // keep it a (quiet) NaN
        var rounding = 0x7FFFu + ((u >> 16) & 1);
        return new BFloat16((ushort)((u + rounding) >> 16));
    }

    /// <summary>Exact widening to float32.</summary>
    public static explicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value.Bits << 16);

    /// <inheritdoc/>
    public bool Equals(BFloat16 other) => Bits == other.Bits;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 b && Equals(b);
    /// <inheritdoc/>
    public override int GetHashCode() => Bits;
    /// <inheritdoc/>
    public override string ToString() => ((float)this).ToString();
    public static bool operator ==(BFloat16 a, BFloat16 b) => a.Equals(b);
    public static bool operator !=(BFloat16 a, BFloat16 b) => !a.Equals(b);
}
