using Toolkit.Core.Onnx;
using Toolkit.Runtime.Scoring;
using TorchSharp;
using Xunit.Abstractions;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Quantize.Tests;

/// <summary>
/// `toolkit quantize` on tiny exported folders: what the output graph holds, that excluded nodes keep their weights byte
/// for byte, that the quantized folder still scores close to the original, that the fp32 scorer's perplexity is
/// libtorch's, and that bad input is refused before anything is written.
/// </summary>
public sealed class FolderTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    QuantizeOptions Options(string src, string dst) => new() { Model = src, Out = dst };

    [Theory]
    [InlineData(QuantFormat.MatMulNBits, 4, Granularity.Block, true)]
    [InlineData(QuantFormat.MatMulNBits, 8, Granularity.Channel, false)]
    [InlineData(QuantFormat.Qdq, 8, Granularity.Channel, true)]
    [InlineData(QuantFormat.Qdq, 4, Granularity.Block, false)]
    public void Quantized_folder_keeps_excluded_weights_byte_identical_and_scores_close(QuantFormat format, int bits, Granularity granularity, bool symmetric)
    {
        var src = dir.Sub("fp32");
        using (Harness.Export(Harness.Tiny, src)) { }
        var o = Options(src, dir.Sub("q")) with { Format = format, Bits = bits, Granularity = granularity, Symmetric = symmetric, Exclude = ["*layers.1.mlp.down_proj*"], KeepSensitive = KeepSensitive.Head, AccuracyLevel = 0 };
        var result = Quantizer.Run(o, output.WriteLine);

        // 1) quantization.json says what happened to every MatMul weight
        var manifest = QuantizationManifest.Read(Path.Combine(result.Folder, QuantizationManifest.FileName));
        Assert.Equal(2 * 7 + 1, manifest.Nodes.Count);   // q k v o gate up down per layer, and the head
        Assert.Equal("excluded", manifest.Nodes.Single(n => n.Weight.Contains("layers.1.mlp.down_proj")).Action);
        // the head: its own lm_head weight, or (tied) the embedding matrix the exporter stores once for Gather and head
        Assert.Equal("kept-sensitive", manifest.Nodes.Single(n => n.Weight.Contains("lm_head") || n.Weight == "model.embed_tokens.weight").Action);
        Assert.Equal(13, manifest.Nodes.Count(n => n.Action == "quantized"));
        Assert.All(manifest.Nodes.Where(n => n.Action == "quantized"), n => Assert.True(n.MaxStepRatio <= 0.5 + 1e-5, $"{n.Node}: {n.MaxStepRatio}"));
        Assert.True(manifest.OutputBytes < manifest.SourceBytes);

        // 2) kept weights are byte for byte the source's, under the same names, read by the same node
        var before = OnnxModelReader.Load(Path.Combine(src, "model.onnx"));
        var after = OnnxModelReader.Load(Path.Combine(result.Folder, "model.onnx"));
        foreach (var kept in manifest.Nodes.Where(n => n.Action != "quantized"))
        {
            var a = before.Graph.Initializer.Single(t => t.Name == kept.Weight);
            var b = after.Graph.Initializer.Single(t => t.Name == kept.Weight);
            Assert.Equal(a.RawData.ToByteArray(), b.RawData.ToByteArray());
            Assert.Equal(before.Graph.Node.Single(n => n.Name == kept.Node), after.Graph.Node.Single(n => n.Name == kept.Node));
        }
        var ops = after.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Contains(format == QuantFormat.MatMulNBits ? "MatMulNBits" : "DequantizeLinear", ops);
        foreach (var f in new[] { "genai_config.json", "generation_config.json" }) Assert.True(File.Exists(Path.Combine(result.Folder, f)), f);
        Assert.Empty(Directory.GetFileSystemEntries(result.Folder, "*.tmp*"));   // every file was written through a temporary one, none is left

        // 3) it still predicts like the source
        var ids = Enumerable.Range(0, 24).Select(i => (long)((i * 37 + 5) % Harness.Tiny.VocabSize)).ToArray();
        using var fp = new TeacherForcedScorer(src, threads: 2);
        using var qs = new TeacherForcedScorer(result.Folder, threads: 2);
        var lf = fp.Logits(ids);
        var lq = qs.Logits(ids);
        var v = Harness.Tiny.VocabSize;
        var kl = Enumerable.Range(0, ids.Length).Average(t => DistributionStats.Kl(lf.AsSpan(t * v, v), lq.AsSpan(t * v, v)));
        output.WriteLine($"{format} {bits}-bit {granularity} sym={symmetric}: {manifest.SourceBytes} → {manifest.OutputBytes} bytes; mean KL(fp32‖quantized) = {kl:E2} nats");
        Assert.True(kl < (bits == 8 ? 1e-3 : 2e-2), $"mean KL {kl:E2}");
    }

    [Fact]
    public void Dtype_fp16_stores_the_kept_weights_and_the_embedding_as_float16_behind_a_cast()
    {
        var src = dir.Sub("fp32");
        using (Harness.Export(Harness.Tiny, src)) { }
        var keep = Options(src, dir.Sub("q32")) with { Bits = 8, Granularity = Granularity.Channel, KeepSensitive = KeepSensitive.Head, AccuracyLevel = 0 };
        var q32 = Quantizer.Run(keep);
        var q16 = Quantizer.Run(keep with { Out = dir.Sub("q16"), Dtype = UnquantizedDType.Fp16 });

        // the tied embedding (Gather + head) is now one float16 initializer behind a Cast that restores its old name
        const string embed = "model.embed_tokens.weight";
        Assert.Contains(embed, q16.Manifest.Fp16Weights);
        var g = OnnxModelReader.Load(Path.Combine(q16.Folder, "model.onnx")).Graph;
        Assert.Equal((int)DataType.Float16, g.Initializer.Single(t => t.Name == embed + "_fp16").DataType);
        Assert.DoesNotContain(g.Initializer, t => t.Name == embed);
        Assert.Equal(embed, g.Node.Single(n => n.OpType == "Cast" && n.Input[0] == embed + "_fp16").Output[0]);
        Assert.Empty(q32.Manifest.Fp16Weights);
        var v = Harness.Tiny.VocabSize;
        var e = Harness.Tiny.HiddenSize;
        var saved = q32.Manifest.OutputBytes - q16.Manifest.OutputBytes;
        output.WriteLine($"--dtype fp16: {q32.Manifest.OutputBytes} → {q16.Manifest.OutputBytes} bytes (saved {saved}; the {v}×{e} embedding alone is {2L * v * e} bytes at fp16)");
        Assert.True(saved >= 0.99 * 2L * v * e, $"saved {saved} bytes");   // half of the fp32 table, less the Cast node

        // and it predicts as the fp32-kept folder does, within fp16 rounding of those weights
        var ids = Enumerable.Range(0, 24).Select(i => (long)((i * 37 + 5) % v)).ToArray();
        using var a = new TeacherForcedScorer(q32.Folder, threads: 2);
        using var b = new TeacherForcedScorer(q16.Folder, threads: 2);
        var la = a.Logits(ids);
        var lb = b.Logits(ids);
        var kl = Enumerable.Range(0, ids.Length).Average(t => DistributionStats.Kl(la.AsSpan(t * v, v), lb.AsSpan(t * v, v)));
        output.WriteLine($"mean KL(kept fp32 ‖ kept fp16) = {kl:E2} nats");
        Assert.True(kl < 1e-4, $"mean KL {kl:E2}");
    }

    [Fact]
    public void Fp32_scorer_perplexity_equals_libtorch_on_the_checkpoint()
    {
        var src = dir.Sub("fp32");
        var ids = Enumerable.Range(0, 20).Select(i => (long)((i * 53 + 11) % Harness.Tiny.VocabSize)).ToArray();
        double torchNll = 0;
        using (var model = Harness.Export(Harness.Tiny, src, seed: 4))
        using (var scope = torch.NewDisposeScope())
        {
            var logits = model.Forward(torch.tensor(ids, [1, ids.Length])).data<float>().ToArray();   // (1, T, V)
            var v = Harness.Tiny.VocabSize;
            for (var t = 0; t + 1 < ids.Length; t++)
                torchNll -= logits[t * v + (int)ids[t + 1]] - TeacherForcedScorer.LogSumExp(logits.AsSpan(t * v, v));
        }
        using var scorer = new TeacherForcedScorer(src, threads: 2);
        var ortNll = -scorer.TokenLogProbs(ids).Sum();
        var n = ids.Length - 1;
        double pplTorch = Math.Exp(torchNll / n), pplOrt = Math.Exp(ortNll / n);
        output.WriteLine($"perplexity: libtorch {pplTorch:F6}, ORT scorer {pplOrt:F6}, |diff| {Math.Abs(pplTorch - pplOrt):E2}");
        Assert.True(Math.Abs(pplTorch - pplOrt) / pplTorch < 1e-5, $"libtorch {pplTorch} vs ORT {pplOrt}");
    }

    [Fact]
    public void Bad_input_is_refused_with_a_hint_and_nothing_written()
    {
        var src = dir.Sub("fp32");
        using (Harness.Export(Harness.Odd, src)) { }

        // block size not dividing K = 96
        var e = Assert.Throws<QuantizeException>(() => Quantizer.Run(Options(src, dir.Sub("q")) with { Bits = 4, Granularity = Granularity.Block, BlockSize = 64 }));
        Assert.Contains("does not divide K = 96", e.Message);
        Assert.Contains("HINT", e.Message);
        Assert.False(Directory.Exists(dir.Sub("q")));
        Assert.DoesNotContain(Directory.EnumerateDirectories(dir.Path), d => Path.GetFileName(d).StartsWith('.'));

        // not a decoder export
        Directory.CreateDirectory(dir.Sub("empty"));
        e = Assert.Throws<QuantizeException>(() => Quantizer.Run(Options(dir.Sub("empty"), dir.Sub("q"))));
        Assert.Contains("not a decoder export", e.Message);

        // an existing output folder, unless --overwrite
        var q = Quantizer.Run(Options(src, dir.Sub("q")) with { Granularity = Granularity.Channel }).Folder;
        e = Assert.Throws<QuantizeException>(() => Quantizer.Run(Options(src, q)));
        Assert.Contains("--overwrite", e.Message);
        var overwritten = Quantizer.Run(Options(src, q) with { Overwrite = true, Bits = 4, Granularity = Granularity.Block, BlockSize = 32 });
        Assert.Equal(4, QuantizationManifest.Read(Path.Combine(overwritten.Folder, QuantizationManifest.FileName)).Bits);

        // an already quantized model
        e = Assert.Throws<QuantizeException>(() => Quantizer.Run(Options(q, dir.Sub("q2"))));
        Assert.Contains("already quantized", e.Message);
        File.Delete(Path.Combine(q, QuantizationManifest.FileName));
        e = Assert.Throws<QuantizeException>(() => Quantizer.Run(Options(q, dir.Sub("q2"))));
        Assert.Contains("already quantized (node", e.Message);

        // missing external data
        var ext = dir.Sub("ext");
        using (Harness.Export(Harness.Odd, ext, options: new Toolkit.Export.ExportOptions { ExternalData = ExternalData.Always })) { }
        File.Delete(Path.Combine(ext, "model.onnx.data"));
        e = Assert.Throws<QuantizeException>(() => Quantizer.Run(Options(ext, dir.Sub("q3"))));
        Assert.Contains("model.onnx.data", e.Message);
        Assert.False(Directory.Exists(dir.Sub("q3")));
        output.WriteLine(e.Message);
    }
}
