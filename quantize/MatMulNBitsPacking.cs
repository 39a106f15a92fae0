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
/// The op only knows blocks (a power of two ≥ 16). Channel and tensor granularity are one block per row of
/// block_size = the next power of two ≥ K (K padded), tensor granularity with the same scale in every row.
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
        var blockSize = m.Granularity == Granularity.Block ? m.GroupSize : Math.Max(16, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)m.K));
        if (m.Granularity != Granularity.Block && m.GroupSize != m.K) throw new ArgumentException("channel/tensor matrices have one group per row");
        var kBlocks = (m.K + blockSize - 1) / blockSize;
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
            // m.Groups == kBlocks here (block: same size; channel/tensor: 1)
            var perRow = (kBlocks * m.Bits + 7) / 8;
            zps = new byte[m.N * perRow];
            for (var n = 0; n < m.N; n++)
                for (var g = 0; g < kBlocks; g++)
                {
                    var zp = m.ZeroPoints[n * kBlocks + g];
                    if (m.Bits == 8) zps[n * perRow + g] = zp;
                    else zps[n * perRow + g / 2] |= (byte)((g & 1) == 0 ? zp : zp << 4);
                }
        }
        return new MatMulNBitsWeights(m.N, m.K, m.Bits, blockSize, b, m.Scales, zps);
    }
}
