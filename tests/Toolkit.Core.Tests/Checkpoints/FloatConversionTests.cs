using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

/// <summary>bf16 narrowing by hand: bf16 keeps the upper 16 bits of a float32, rounding the lower 16 to nearest, ties to even.</summary>
public class FloatConversionTests
{
    [Theory]
    [InlineData(0x3F80_0000u, 0x3F80)] // 1.0 exact
    [InlineData(0x3F80_7FFFu, 0x3F80)] // just below half an ulp: down
    [InlineData(0x3F80_8000u, 0x3F80)] // tie, kept part even (0x3F80): stays
    [InlineData(0x3F81_8000u, 0x3F82)] // tie, kept part odd (0x3F81): up to even
    [InlineData(0x3F80_8001u, 0x3F81)] // just above half: up
    [InlineData(0xBF81_8000u, 0xBF82)] // negative tie: magnitude rounds the same way
    [InlineData(0x3FFF_8000u, 0x4000)] // tie that carries into the exponent: 1.99609375.. → 2.0
    [InlineData(0x7F7F_FFFFu, 0x7F80)] // float max rounds up to +inf (as torch)
    [InlineData(0x7F80_0000u, 0x7F80)] // +inf
    [InlineData(0xFF80_0000u, 0xFF80)] // -inf
    [InlineData(0x8000_0000u, 0x8000)] // -0
    [InlineData(0x0000_8000u, 0x0000)] // smallest subnormals: tie to even zero
    [InlineData(0x0001_8000u, 0x0002)] // subnormal tie to even
    public void Narrowing_rounds_to_nearest_even(uint input, int expected)
    {
        var f = BitConverter.UInt32BitsToSingle(input);
        Assert.Equal((ushort)expected, FloatConversions.ToBFloat16(f));
        var span = new ushort[1];
        FloatConversions.Float32ToBFloat16([f], span);
        Assert.Equal((ushort)expected, span[0]);
    }

    [Theory]
    [InlineData(0x7FC0_0000u)] // quiet NaN
    [InlineData(0x7F80_0001u)] // signalling NaN whose payload is all in the low bits: truncation or rounding would make it inf
    [InlineData(0xFFFF_FFFFu)] // negative NaN with all-ones payload: rounding would carry out of the exponent
    [InlineData(0x7FFF_8000u)]
    public void NaN_stays_NaN(uint input)
    {
        var f = BitConverter.UInt32BitsToSingle(input);
        var b = FloatConversions.ToBFloat16(f);
        Assert.True(float.IsNaN(FloatConversions.FromBFloat16(b)), $"{input:X8} → {b:X4}");
        Assert.Equal(input >> 31, (uint)b >> 15); // sign kept
        // vector path too: pad to several vector widths so the NaN lands inside a vector block
        var many = Enumerable.Repeat(f, 67).ToArray();
        var outs = new ushort[67];
        FloatConversions.Float32ToBFloat16(many, outs);
        Assert.All(outs, o => Assert.Equal(b, o));
    }

    [Fact]
    public void Widening_is_the_upper_half_exactly_and_round_trips()
    {
        Assert.Equal(1.0f, FloatConversions.FromBFloat16(0x3F80));
        Assert.Equal(-2.0f, FloatConversions.FromBFloat16(0xC000));
        Assert.Equal(0x3F81_0000u, BitConverter.SingleToUInt32Bits(FloatConversions.FromBFloat16(0x3F81)));
        // every bf16 pattern widens and narrows back to itself (NaNs: to a NaN), scalar and vector paths agree
        var all = Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();
        var wide = new float[all.Length];
        FloatConversions.BFloat16ToFloat32(all, wide);
        var back = new ushort[all.Length];
        FloatConversions.Float32ToBFloat16(wide, back);
        for (var i = 0; i < all.Length; i++)
        {
            Assert.Equal(FloatConversions.FromBFloat16(all[i]).ToString("R"), wide[i].ToString("R"));
            if (float.IsNaN(wide[i])) Assert.True(float.IsNaN(FloatConversions.FromBFloat16(back[i])));
            else Assert.Equal(all[i], back[i]);
        }
    }

    [Fact]
    public void Float16_rounds_to_nearest_even_and_overflows_to_inf()
    {
        float[] input = [65504f, 65519f, 65520f, 1f + 1f / 2048, 1f + 3f / 2048, float.NaN, -0f];
        var h = new Half[input.Length];
        FloatConversions.Float32ToFloat16(input, h);
        var back = new float[input.Length];
        FloatConversions.Float16ToFloat32(h, back);
        Assert.Equal(65504f, back[0]);
        Assert.Equal(65504f, back[1]);                      // below the midpoint to the next (virtual) step
        Assert.True(float.IsPositiveInfinity(back[2]));     // 65520 is the tie with 65536: rounds to even = overflow
        Assert.Equal(1f, back[3]);                          // tie: even mantissa stays
        Assert.Equal(1f + 2f / 1024, back[4]);              // tie: odd mantissa goes up
        Assert.True(float.IsNaN(back[5]));
        Assert.True(float.IsNegative(back[6]));
    }

    [Fact]
    public void Float16_widening_vector_path_matches_the_scalar_cast_on_every_pattern()
    {
        var all = Enumerable.Range(0, 1 << 16).Select(i => BitConverter.UInt16BitsToHalf((ushort)i)).ToArray();
        var wide = new float[all.Length];
        FloatConversions.Float16ToFloat32(all, wide);
        for (var i = 0; i < all.Length; i++)
        {
            if (Half.IsNaN(all[i])) Assert.True(float.IsNaN(wide[i]), $"{i:X4}");
            else Assert.True(BitConverter.SingleToUInt32Bits((float)all[i]) == BitConverter.SingleToUInt32Bits(wide[i]), $"{i:X4}: {(float)all[i]} vs {wide[i]}");
        }
    }

    [Fact]
    public void Float16_narrowing_vector_path_matches_the_scalar_cast()
    {
        // every half value, every midpoint between neighbours (the ties), just either side of them, and random patterns
        var inputs = new List<float>();
        for (var i = 0; i < 0x7C00; i++)
        {
            var lo = (double)BitConverter.UInt16BitsToHalf((ushort)i);
            var hi = (double)BitConverter.UInt16BitsToHalf((ushort)(i + 1));
            var mid = (float)((lo + hi) / 2);
            inputs.AddRange([(float)lo, mid, MathF.BitDecrement(mid), MathF.BitIncrement(mid), -mid]);
        }
        var rng = new Random(5);
        for (var i = 0; i < 100_000; i++) inputs.Add(BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)));
        inputs.AddRange([float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, 65520f, 65519.996f, -0f]);
        var values = inputs.ToArray();
        var ours = new Half[values.Length];
        FloatConversions.Float32ToFloat16(values, ours);
        for (var i = 0; i < values.Length; i++)
        {
            var expected = (Half)values[i];
            if (Half.IsNaN(expected)) Assert.True(Half.IsNaN(ours[i]), $"{values[i]}");
            else Assert.True(BitConverter.HalfToUInt16Bits(expected) == BitConverter.HalfToUInt16Bits(ours[i]),
                $"{BitConverter.SingleToUInt32Bits(values[i]):X8}: {BitConverter.HalfToUInt16Bits(expected):X4} vs {BitConverter.HalfToUInt16Bits(ours[i]):X4}");
        }
    }

    [Fact]
    public void Short_destination_is_refused()
    {
        Assert.Throws<ArgumentException>(() => FloatConversions.Float32ToBFloat16(new float[4], new ushort[3]));
        Assert.Throws<ArgumentException>(() => FloatConversions.BFloat16ToFloat32(new ushort[4], new float[3]));
    }
}
