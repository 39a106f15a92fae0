using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Toolkit.Core.Onnx;
using Xunit.Abstractions;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Quantize.Tests;

/// <summary>
/// The tied-embedding form where ONE (V, E) initializer feeds both the embedding Gather and the LM head as a Gemm with
/// transB = 1: the head becomes MatMulNBits over the quantized matrix, the Gather keeps the fp32 one, and the logits are
/// those of the dequantized head.
/// </summary>
public sealed class SharedEmbeddingTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Shared_embedding_gemm_head_is_quantized_and_the_gather_keeps_fp32() => Check(transposeHead: false, QuantFormat.MatMulNBits);

    /// <summary>`toolkit export`'s form: the head is MatMul(h, Transpose(W)) over the Gather's own initializer.</summary>
    [Theory]
    [InlineData(QuantFormat.MatMulNBits)]
    [InlineData(QuantFormat.Qdq)]
    public void Shared_embedding_transposed_matmul_head_is_quantized_and_the_gather_keeps_fp32(QuantFormat format) => Check(transposeHead: true, format);

    void Check(bool transposeHead, QuantFormat format)
    {
        const int v = 64, e = 32, t = 5;
        var w = Harness.RandomWeights(v * e, seed: 21);
        var g = new OnnxGraph("shared");
        var ids = g.Input("input_ids", DataType.Int64, 1, t);
        g.Input("attention_mask", DataType.Int64, 1, t);
        var emb = g.Initializer("model.embed_tokens.weight", w, v, e);
        var h = g.Reshape(g.Gather(emb, ids), -1, e);                                           // (T, E)
        var logits = transposeHead ? g.MatMul(h, g.Transpose(emb, 1, 0))                      // (T, V)
                                   : g.Op("Gemm", [h, emb], OnnxGraph.Attr("transB", 1L));
        g.Output(g.Reshape(logits, 1, t, v), "logits", DataType.Float, 1, t, v);
        var src = dir.Sub("src");
        Directory.CreateDirectory(src);
        OnnxModelWriter.Save(g.ToModel(), Path.Combine(src, "model.onnx"));
        File.WriteAllText(Path.Combine(src, GenAiConfig.FileName), "{}");

        var result = Quantizer.Run(new QuantizeOptions { Model = src, Out = dir.Sub("q"), Bits = 4, Granularity = Granularity.Block, BlockSize = 16, AccuracyLevel = 0, Format = format });
        var node = Assert.Single(result.Manifest.Nodes);
        var before = transposeHead ? "MatMul" : "Gemm";
        Assert.Equal((before, format == QuantFormat.MatMulNBits ? "MatMulNBits" : "DequantizeLinear+" + before, v, e, "quantized"), (node.OpBefore, node.OpAfter, node.N, node.K, node.Action));
        var model = OnnxModelReader.Load(Path.Combine(result.Folder, "model.onnx"));
        Assert.Equal(w.SelectMany(BitConverter.GetBytes).ToArray(), model.Graph.Initializer.Single(x => x.Name == "model.embed_tokens.weight").RawData.ToByteArray());

        long[] tokens = [3, 17, 0, 63, 40];
        using var session = new InferenceSession(Path.Combine(result.Folder, "model.onnx"));
        using var outs = session.Run([
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(tokens, [1, t])),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(new long[t], [1, t]))]);
        var got = ((DenseTensor<float>)outs.First().Value).Buffer.ToArray();
        var d = Rtn.Quantize(w, v, e, 4, Granularity.Block, 16, symmetric: true).Dequantize();
        double worst = 0;
        for (var i = 0; i < t; i++)
            for (var j = 0; j < v; j++)
            {
                double s = 0;
                for (var k = 0; k < e; k++) s += (double)w[tokens[i] * e + k] * d[j * e + k];
                worst = Math.Max(worst, Math.Abs(got[i * v + j] - s));
            }
        output.WriteLine($"shared embedding, {before} head → {format} int4 block 16: max |ORT − fp32 rows · dequant(W)ᵀ| = {worst:E2}");
        Assert.True(worst < 1e-5, $"{worst:E2}");
    }
}
