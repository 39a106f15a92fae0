using Toolkit.Core.Onnx;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Quantize;

/// <summary>
/// The DequantizeLinear that feeds a MatMul (or Gemm) its quantized weight, in the weight's own layout: (K, N) for a
/// MatMul's B, (N, K) for a Gemm with transB = 1. ONNX DQ: y = (x − zero_point) · scale, default zero point 0.
/// <list type="bullet">
/// <item>Symmetric: signed codes (code − 2^(bits−1)) as int8 / int4, no zero point.</item>
/// <item>Asymmetric: unsigned codes as uint8 / uint4 with a zero point of the same type.</item>
/// <item>Tensor: scalar scale. Channel: 1-D scale over the N axis (opset 13 per-axis). Block: scale of rank 2 with the K
/// axis divided by block_size (opset 21 blocked, attribute block_size).</item>
/// <item>4-bit (opset 21): two codes a byte in row-major order, element 2i in the low nibble (ONNX int4 packing).</item>
/// </list>
/// </summary>
/// <param name="Initializers">Quantized data, scale and (asymmetric) zero point.</param>
/// <param name="Inputs">The DequantizeLinear inputs.</param>
/// <param name="Attributes">axis (and block_size).</param>
sealed record QdqWeights(IReadOnlyList<TensorProto> Initializers, IReadOnlyList<string> Inputs, IReadOnlyList<AttributeProto> Attributes)
{
    /// <summary>DQ tensors for <paramref name="q"/>; <paramref name="rowsAreOutputs"/> when the stored weight is (N, K).</summary>
    public static QdqWeights Build(QuantizedMatrix q, bool rowsAreOutputs, DataType scaleType, string stem, bool opset21)
    {
        int n = q.N, k = q.K, groups = q.Groups;
        long[] dims = rowsAreOutputs ? [n, k] : [k, n];
        int nAxis = rowsAreOutputs ? 0 : 1, kAxis = 1 - nAxis;
        var mid = 1 << (q.Bits - 1);
        // codes in the stored layout
        var codes = new int[(long)n * k];
        for (var r = 0; r < n; r++)
            for (var c = 0; c < k; c++)
            {
                var v = q.Q[(long)r * k + c] - (q.Symmetric ? mid : 0);
                codes[rowsAreOutputs ? (long)r * k + c : (long)c * n + r] = v;
            }
        var dataType = (q.Bits, q.Symmetric) switch
        {
            (8, true) => DataType.Int8, (8, false) => DataType.Uint8, (4, true) => DataType.Int4, _ => DataType.Uint4,
        };
        var inits = new List<TensorProto> { WeightTensor.Make($"{stem}_quantized", dataType, Pack(codes, q.Bits), dims) };
        var attrs = new List<AttributeProto>();
        float[] scales;
        int[] zps;
        long[] sDims;
        switch (q.Granularity)
        {
            case Granularity.Tensor:
                scales = [q.Scales[0]];
                zps = [q.ZeroPoints[0]];
                sDims = [];
                break;
            case Granularity.Channel:
                scales = q.Scales;   // (N, 1) = (N)
                zps = q.ZeroPoints.Select(z => (int)z).ToArray();
                sDims = [n];
                attrs.Add(OnnxGraph.Attr("axis", (long)nAxis));
                break;
            default:
                // (N, groups) → the stored layout with the K axis in blocks
                scales = new float[n * groups];
                zps = new int[n * groups];
                for (var r = 0; r < n; r++)
                    for (var b = 0; b < groups; b++)
                    {
                        var at = rowsAreOutputs ? r * groups + b : b * n + r;
                        scales[at] = q.Scales[r * groups + b];
                        zps[at] = q.ZeroPoints[r * groups + b];
                    }
                sDims = rowsAreOutputs ? [n, groups] : [groups, n];
                attrs.Add(OnnxGraph.Attr("axis", (long)kAxis));
                attrs.Add(OnnxGraph.Attr("block_size", (long)q.GroupSize));
                break;
        }
        if (!opset21 && (q.Bits == 4 || q.Granularity == Granularity.Block)) throw new InvalidOperationException("4-bit or blocked DequantizeLinear needs opset 21");
        inits.Add(WeightTensor.Floats($"{stem}_scale", scaleType, scales, sDims));
        var inputs = new List<string> { $"{stem}_quantized", $"{stem}_scale" };
        if (!q.Symmetric)
        {
            inits.Add(WeightTensor.Make($"{stem}_zero_point", dataType, Pack(zps, q.Bits), sDims));
            inputs.Add($"{stem}_zero_point");
        }
        return new QdqWeights(inits, inputs, attrs);
    }

    /// <summary>Codes as bytes: 8-bit one a byte (two's complement when negative), 4-bit two a byte, element 2i low.</summary>
    static byte[] Pack(int[] codes, int bits)
    {
        if (bits == 8) return codes.Select(c => unchecked((byte)c)).ToArray();
        var b = new byte[(codes.Length + 1) / 2];
        for (var i = 0; i < codes.Length; i++)
            b[i / 2] |= (byte)((codes[i] & 0xF) << (4 * (i & 1)));
        return b;
    }
}
