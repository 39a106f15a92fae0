namespace Toolkit.Quantize;

/// <summary>
/// Round-to-nearest quantization of an (N, K) weight matrix, all arithmetic in fp32 with ties to even (numpy's rint),
/// so tests/oracles/quantize_rtn.py reproduces every code, scale and zero point bit for bit.
/// <list type="bullet">
/// <item>Symmetric (the design card's recipe, <c>scale = max|w| / 127</c>): qmax = 2^(bits−1) − 1 (127 or 7);
/// scale = max|w| / qmax; code = clamp(round(w / scale), −qmax, qmax) + 2^(bits−1). The code 0 (−128 or −8) is unused,
/// so the range is symmetric and no weight is clipped.</item>
/// <item>Asymmetric (as ORT's MLAS quantizer): lo = min(min w, 0), hi = max(max w, 0), scale = (hi − lo) / (2^bits − 1),
/// zp = clamp(round(−lo / scale), 0, 2^bits − 1), code = clamp(round(w / scale) + zp, 0, 2^bits − 1).</item>
/// </list>
/// Either way |dequant(code) − w| ≤ scale / 2 for every element. A group of zeros gets scale 0 and code = zp.
/// </summary>
public static class Rtn
{
    /// <summary>
    /// Quantizes <paramref name="w"/> ((N, K) row-major: HF Linear layout, out × in).
    /// Errors: bits not 4 or 8; block granularity with a block size that is not a power of two in 16..256 or does not divide K.
    /// </summary>
    public static QuantizedMatrix Quantize(ReadOnlySpan<float> w, int n, int k, int bits, Granularity granularity, int blockSize, bool symmetric)
    {
        if (bits is not (4 or 8)) throw new ArgumentException($"bits {bits}: use 4 or 8");
        if (w.Length != (long)n * k) throw new ArgumentException($"{w.Length} weights for ({n}, {k})");
        var group = granularity == Granularity.Block ? blockSize : k;
        if (granularity == Granularity.Block) CheckBlockSize(blockSize, k, "weight");
        var groups = (k + group - 1) / group;
        var q = new byte[(long)n * k];
        var scales = new float[n * groups];
        var zps = new byte[n * groups];

        if (granularity == Granularity.Tensor)
        {
            var (scale, zp) = Params(w, bits, symmetric);
            Array.Fill(scales, scale);
            Array.Fill(zps, zp);
        }
        else
            for (var r = 0; r < n; r++)
                for (var g = 0; g < groups; g++)
                {
                    var start = r * k + g * group;
                    (scales[r * groups + g], zps[r * groups + g]) = Params(w.Slice(start, Math.Min(group, k - g * group)), bits, symmetric);
                }

        for (var r = 0; r < n; r++)
            for (var c = 0; c < k; c++)
            {
                var g = r * groups + c / group;
                q[(long)r * k + c] = Code(w[r * k + c], scales[g], zps[g], bits, symmetric);
            }
        return new QuantizedMatrix(n, k, bits, granularity, group, symmetric, q, scales, zps);
    }

    /// <summary>Throws unless <paramref name="blockSize"/> is a power of two in 16..256 that divides <paramref name="k"/>.</summary>
    public static void CheckBlockSize(int blockSize, int k, string what)
    {
        if (blockSize < 16 || blockSize > 256 || (blockSize & (blockSize - 1)) != 0)
            throw new QuantizeException($"--block-size {blockSize}: use a power of two in 16..256 (MatMulNBits' range; 32 is llama.cpp's Q4_0/Q8_0 and ORT-GenAI's default)");
        if (k % blockSize != 0)
            throw new QuantizeException($"{what}: block size {blockSize} does not divide K = {k}. HINT: pick a power of two that divides {k} (largest: {LargestPow2Divisor(k)}), use --granularity channel, or --exclude this node");
    }

    static int LargestPow2Divisor(int k) => k & -k;

    /// <summary>Scale and zero point of one group (see the class summary).</summary>
    public static (float Scale, byte ZeroPoint) Params(ReadOnlySpan<float> x, int bits, bool symmetric)
    {
        if (symmetric)
        {
            var amax = 0f;
            foreach (var v in x) amax = MathF.Max(amax, MathF.Abs(v));
            var qmax = (1 << (bits - 1)) - 1;
            return (amax / qmax, (byte)(1 << (bits - 1)));
        }
        float lo = 0, hi = 0;
        foreach (var v in x) { lo = MathF.Min(lo, v); hi = MathF.Max(hi, v); }
        var levels = (1 << bits) - 1;
        var scale = (hi - lo) / levels;
        if (scale == 0) return (0, 0);
        var zp = Math.Clamp(MathF.Round(-lo / scale, MidpointRounding.ToEven), 0, levels);
        return (scale, (byte)zp);
    }

    /// <summary>The unsigned code of <paramref name="v"/> in a group with <paramref name="scale"/> and <paramref name="zp"/>.</summary>
    public static byte Code(float v, float scale, byte zp, int bits, bool symmetric)
    {
        if (scale == 0) return zp;
        var r = MathF.Round(v / scale, MidpointRounding.ToEven);
        if (symmetric)
        {
            var qmax = (1 << (bits - 1)) - 1;
            return (byte)(Math.Clamp(r, -qmax, qmax) + zp);
        }
        return (byte)Math.Clamp(r + zp, 0, (1 << bits) - 1);
    }
}
