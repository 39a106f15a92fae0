using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace Toolkit.Quantize.Tests;

/// <summary>Round-to-nearest: the error bound per element, and codes / packing equal to an independent numpy computation.</summary>
public sealed class RtnTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    public static TheoryData<int, Granularity, int, bool> Schemes()
    {
        var d = new TheoryData<int, Granularity, int, bool>();
        foreach (var bits in new[] { 8, 4 })
            foreach (var sym in new[] { true, false })
            {
                d.Add(bits, Granularity.Tensor, 0, sym);
                d.Add(bits, Granularity.Channel, 0, sym);
                d.Add(bits, Granularity.Block, 16, sym);
                d.Add(bits, Granularity.Block, 32, sym);
                d.Add(bits, Granularity.Block, 128, sym);
            }
        return d;
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Dequantized_weights_are_within_half_a_step_of_the_originals(int bits, Granularity granularity, int block, bool symmetric)
    {
        const int n = 24, k = 256;
        var w = Harness.RandomWeights(n * k, seed: bits * 10 + block);
        w[5] = 0;   // a zero and a group of zeros (scale 0) must survive too
        for (var i = 0; i < 16; i++) w[3 * k + i] = 0;
        var q = Rtn.Quantize(w, n, k, bits, granularity, block, symmetric);
        var d = q.Dequantize();
        var worst = 0.0;
        for (var r = 0; r < n; r++)
            for (var c = 0; c < k; c++)
            {
                var s = q.Scales[r * q.Groups + c / q.GroupSize];
                var e = Math.Abs((double)d[r * k + c] - w[r * k + c]);
                Assert.True(e <= s / 2 * (1 + 1e-6) + 1e-12, $"({r}, {c}): |{d[r * k + c]} − {w[r * k + c]}| = {e:E3} > scale/2 = {s / 2:E3}");
                if (s > 0) worst = Math.Max(worst, e / s);
            }
        Assert.Equal(0f, d[5]);
        output.WriteLine($"{bits}-bit {granularity} {block} sym={symmetric}: max |dequant − w| / scale = {worst:F4}");
        Assert.True(worst > 0.3, "rounding never lost anything: the test matrix is degenerate");
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Packed_bytes_scales_and_zero_points_equal_numpy(int bits, Granularity granularity, int block, bool symmetric)
    {
        const int n = 20;
        var k = granularity == Granularity.Block ? 256 : 600;   // 600: channel/tensor as 3 blocks of 256, the last padded
        var w = Harness.RandomWeights(n * k, seed: 7 + bits + block);
        var path = dir.Sub("w.bin");
        File.WriteAllBytes(path, MemoryMarshal.AsBytes(w.AsSpan()).ToArray());
        var said = Harness.Python("quantize_rtn.py", path, $"{n}", $"{k}", $"{bits}", granularity.ToString().ToLowerInvariant(), $"{block}", symmetric ? "1" : "0", dir.Path);

        var packed = MatMulNBitsWeights.Pack(Rtn.Quantize(w, n, k, bits, granularity, block, symmetric));
        var b = File.ReadAllBytes(dir.Sub("b.bin"));
        var scales = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(dir.Sub("scales.bin"))).ToArray();
        var zp = File.ReadAllBytes(dir.Sub("zp.bin"));
        var byteDiffs = b.Zip(packed.B).Count(x => x.First != x.Second);
        var scaleDiff = scales.Zip(packed.Scales).Max(x => Math.Abs(x.First - x.Second));
        output.WriteLine($"{bits}-bit {granularity} {block} sym={symmetric}: numpy {said.Trim()}; B {packed.B.Length} bytes, {byteDiffs} differ; max |scale diff| = {scaleDiff:E1}; zp {zp.Length} bytes");
        Assert.Equal(b, packed.B);
        Assert.Equal(scales, packed.Scales);
        Assert.Equal(zp, packed.ZeroPoints ?? []);
        Assert.Equal(symmetric, packed.ZeroPoints is null);
    }

    [Fact]
    public void Symmetric_int8_follows_the_design_card_recipe()
    {
        // scale = max|w| / 127, codes clamp to [-127, 127] (stored + 128)
        float[] w = [0.5f, -1.27f, 0.01f, 1.0f];
        var q = Rtn.Quantize(w, 1, 4, 8, Granularity.Tensor, 0, symmetric: true);
        Assert.Equal(0.01f, q.Scales[0], 6);
        Assert.Equal(new byte[] { 128 + 50, 128 - 127, 128 + 1, 128 + 100 }, q.Q);
    }
}
