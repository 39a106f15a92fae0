using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Toolkit.Core.Onnx;
using Xunit.Abstractions;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Quantize.Tests;

/// <summary>
/// ONNX Runtime's com.microsoft.MatMulNBits over our packed weights computes A · dequant(W)ᵀ, with dequant our own
/// (so the packing, the zero points and the default zero point are read the way we wrote them). accuracy_level 0: fp32
/// compute, so the only difference is summation order.
/// </summary>
public sealed class MatMulNBitsOrtTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4, true, Granularity.Block, 16)]
    [InlineData(4, false, Granularity.Block, 32)]
    [InlineData(4, true, Granularity.Block, 128)]
    [InlineData(4, false, Granularity.Channel, 0)]
    [InlineData(4, true, Granularity.Tensor, 0)]
    [InlineData(8, true, Granularity.Block, 32)]
    [InlineData(8, false, Granularity.Block, 64)]
    [InlineData(8, false, Granularity.Block, 256)]
    [InlineData(8, true, Granularity.Channel, 0)]
    [InlineData(8, false, Granularity.Tensor, 0)]
    public void Ort_MatMulNBits_equals_MatMul_on_our_dequantized_weights(int bits, bool symmetric, Granularity granularity, int block)
    {
        const int m = 5, n = 48;
        var k = granularity == Granularity.Block ? 256 : 600;   // 600: channel/tensor as 3 blocks of 256, the last padded
        var w = Harness.RandomWeights(n * k, seed: bits + block);
        var q = Rtn.Quantize(w, n, k, bits, granularity, block, symmetric);
        var p = MatMulNBitsWeights.Pack(q);
        var a = Harness.RandomWeights(m * k, seed: 99).Select(x => x * 20).ToArray();

        // 1) the one-node graph
        var g = new OnnxGraph("nbits");
        var inputs = new List<OnnxValue>
        {
            g.Input("A", DataType.Float, m, k),
            g.Initializer("B", DataType.Uint8, p.B, p.N, p.KBlocks, p.BlobSize),
            g.Initializer("scales", p.Scales, p.N, p.KBlocks),
        };
        if (p.ZeroPoints is { } zp) inputs.Add(g.Initializer("zero_points", DataType.Uint8, zp, p.N, zp.Length / p.N));
        var y = g.Node("MatMulNBits", inputs.ToArray(), ["Y"],
            [OnnxGraph.Attr("K", (long)k), OnnxGraph.Attr("N", (long)n), OnnxGraph.Attr("bits", (long)bits), OnnxGraph.Attr("block_size", (long)p.BlockSize)],
            OnnxGraph.MicrosoftDomain)[0];
        g.Output(y, "Y", DataType.Float, m, n);
        using var session = new InferenceSession(g.ToModel().ToByteArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("A", new DenseTensor<float>(a, [m, k]))]);
        var got = ((DenseTensor<float>)results.First().Value).Buffer.ToArray();

        // 2) A · dequant(W)ᵀ in double
        var d = q.Dequantize();
        double worst = 0;
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
            {
                double s = 0, mag = 0;
                for (var c = 0; c < k; c++) { s += (double)a[i * k + c] * d[j * k + c]; mag += Math.Abs((double)a[i * k + c] * d[j * k + c]); }
                worst = Math.Max(worst, Math.Abs(got[i * n + j] - s) / Math.Max(mag, 1e-30));
            }
        output.WriteLine($"{bits}-bit sym={symmetric} {granularity} block {p.BlockSize}: max |ORT − A·deq(W)ᵀ| / Σ|a·w| = {worst:E2}");
        Assert.True(worst <= 1e-4, $"relative error {worst:E2} > 1e-4");
    }
}
