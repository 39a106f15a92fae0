namespace Toolkit.Quantize;

/// <summary>
/// A weight matrix after quantization, in the layout of an HF Linear weight: N output rows of K input features.
/// Group g of row n covers features [g·GroupSize, min(K, (g+1)·GroupSize)); element (n, k) dequantizes to
/// <c>(Q[n·K + k] − ZeroPoints[n·Groups + g]) · Scales[n·Groups + g]</c>. Q and ZeroPoints are unsigned codes in
/// [0, 2^Bits − 1]; a symmetric matrix has every zero point 2^(Bits−1) (128 for 8 bits, 8 for 4 bits: MatMulNBits' default).
/// </summary>
/// <param name="N">Output features (rows).</param>
/// <param name="K">Input features (the reduction dimension).</param>
/// <param name="Bits">4 or 8.</param>
/// <param name="Granularity">How scales are shared.</param>
/// <param name="GroupSize">Features per group along K (K for tensor and channel granularity).</param>
/// <param name="Symmetric">True when every zero point is 2^(Bits−1).</param>
/// <param name="Q">(N, K) unsigned codes.</param>
/// <param name="Scales">(N, Groups) scales; tensor granularity repeats one value in every row.</param>
/// <param name="ZeroPoints">(N, Groups) unsigned zero points.</param>
public sealed record QuantizedMatrix(int N, int K, int Bits, Granularity Granularity, int GroupSize, bool Symmetric, byte[] Q, float[] Scales, byte[] ZeroPoints)
{
    /// <summary>Groups per row: ceil(K / GroupSize).</summary>
    public int Groups => (K + GroupSize - 1) / GroupSize;

    /// <summary>The (N, K) fp32 weights the codes stand for (row-major).</summary>
    public float[] Dequantize()
    {
        var w = new float[(long)N * K];
        for (var n = 0; n < N; n++)
            for (var k = 0; k < K; k++)
            {
                var g = n * Groups + k / GroupSize;
                w[(long)n * K + k] = (Q[(long)n * K + k] - ZeroPoints[g]) * Scales[g];
            }
        return w;
    }
}
