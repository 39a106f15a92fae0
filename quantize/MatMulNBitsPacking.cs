namespace Toolkit.Quantize;

/// <summary>
/// The inputs of <c>com.microsoft.MatMulNBits</c> for a <see cref="QuantizedMatrix"/> (ORT docs/ContribOperators.md;
/// reference/ORT.md §3). B rows are output features, so an HF Linear weight (N, K) maps row by row:
/// <list type="bullet">
/// <item>B: uint8 (N, k_blocks, block_size·bits/8); 4-bit element k of row n sits in byte (k mod block_size)/2 of block
/// k/block_size, even k in the low nibble, odd k in the high nibble. Padding past K holds the zero point.</item>
/// <item>scales: (N, k_blocks) in the activation type.</item>
/// <item>zero_points (asymmetric only): uint8 (N, ceil(k_blocks·bits/8)), 4-bit packed two blocks a byte (block 2j low
/// nibble, 2j+1 high), an unused last nibble 0. Symmetric matrices omit it: the op's default zero point 2^(bits−1) is ours.</item>
/// </list>
/// The op only knows blocks of 16..256 (a power of two; ORT 1.31's CPU kernel refuses larger). Channel and tensor
/// granularity become blocks of min(256, next power of two ≥ K) whose scales (and zero points) repeat along each row,
/// tensor granularity with the same scale in every row: exact, at the cost of ceil(K/256) scales a row instead of one.
/// </summary>
public sealed record MatMulNBitsWeights(int N, int K, int Bits, int BlockSize, byte[] B, float[] Scales, byte[]? ZeroPoints)
{
    /// <summary>Blocks per row: ceil(K / BlockSize).</summary>
    public int KBlocks => (K + BlockSize - 1) / BlockSize;

    /// <summary>Bytes per block of one row: BlockSize · Bits / 8.</summary>
    public int BlobSize => BlockSize * Bits / 8;

    /// <summary>Packs <paramref name="m"/> (see the record summary).</summary>
    public static MatMulNBitsWeights Pack(QuantizedMatrix m)
    {
        var blockSize = m.Granularity == Granularity.Block ? m.GroupSize : Math.Clamp((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)m.K), 16, 256);
        if (m.Granularity != Granularity.Block && m.GroupSize != m.K) throw new ArgumentException("channel/tensor matrices have one group per row");
        var kBlocks = (m.K + blockSize - 1) / blockSize;
        var perBlock = m.Groups == kBlocks ? 1 : kBlocks;   // channel/tensor: one group repeated over the row's blocks
        var scales = new float[m.N * kBlocks];
        var zeroPoints = new byte[m.N * kBlocks];
        for (var i = 0; i < scales.Length; i++)
        {
            var g = perBlock == 1 ? i : i / kBlocks;
            scales[i] = m.Scales[g];
            zeroPoints[i] = m.ZeroPoints[g];
        }
        var blob = blockSize * m.Bits / 8;
        var b = new byte[(long)m.N * kBlocks * blob];
        for (var n = 0; n < m.N; n++)
            for (var k = 0; k < kBlocks * blockSize; k++)
            {
                var code = k < m.K ? m.Q[(long)n * m.K + k] : m.ZeroPoints[n * m.Groups + (m.Groups - 1)];
                long at = ((long)n * kBlocks + k / blockSize) * blob;
                if (m.Bits == 8) b[at + k % blockSize] = code;
                else b[at + (k % blockSize) / 2] |= (byte)((k & 1) == 0 ? code : code << 4);
            }
        byte[]? zps = null;
        if (!m.Symmetric)
        {
            var perRow = (kBlocks * m.Bits + 7) / 8;
            zps = new byte[m.N * perRow];
            for (var n = 0; n < m.N; n++)
                for (var g = 0; g < kBlocks; g++)
                {
                    var zp = zeroPoints[n * kBlocks + g];
                    if (m.Bits == 8) zps[n * perRow + g] = zp;
                    else zps[n * perRow + g / 2] |= (byte)((g & 1) == 0 ? zp : zp << 4);
                }
        }
        return new MatMulNBitsWeights(m.N, m.K, m.Bits, blockSize, b, scales, zps);
    }
}
