using Toolkit.Train.Model;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests;

/// <summary>
/// Exported logits equal the libtorch decoder's on the same tokens: prefill, then every decode step with the KV cache
/// fed back from present.* to past_key_values.* (ORT with all graph optimizations on).
/// </summary>
public sealed class ParityTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    // prefill 7 tokens, then 6 single-token decode steps, then a 3-token chunk (continued prefill)
    static readonly (int, int)[] Steps = [(0, 7), (7, 8), (8, 9), (9, 10), (10, 11), (11, 12), (12, 13), (13, 16)];

    [Theory]
    [MemberData(nameof(Harness.ShapesAndOps), MemberType = typeof(Harness))]
    public void Fp32_prefill_and_every_decode_step_match_libtorch(string shape, ExportOps ops)
    {
        var config = shape == "qwen2" ? Harness.SmallQwen2 : Harness.TinyLlama;
        using var model = new Decoder(Harness.Weights(config, seed: 11));
        var result = OnnxExporter.Export(model, dir.Path, new ExportOptions { Ops = ops });
        using var session = Harness.Load(System.IO.Path.Combine(dir.Path, "model.onnx"));

        // GroupQueryAttention takes a several-token chunk after a past only at batch 1 (ORT: "batch_size must be 1 when
        // sequence_length > 1 and past context is given")
        var ids = Harness.RandomIds(ops == ExportOps.OrtGqa ? 1 : 2, 16, config.VocabSize, seed: 5);
        var mask = ids.Select(r => r.Select(_ => 1L).ToArray()).ToArray();
        var diffs = Harness.CompareSteps(model, session, ids, mask, Steps);

        output.WriteLine($"{shape} {ops}: ops = {string.Join(", ", result.Ops)}");
        output.WriteLine($"{shape} {ops}: max |diff| per step (prefill first) = {string.Join(", ", diffs.Select(d => d.ToString("E2")))}");
        Assert.Equal(Steps.Length, diffs.Count);
        Assert.All(diffs, d => Assert.True(d <= 1e-4, $"max |diff| {d:E2} > 1e-4"));
    }

    [Theory]
    [InlineData(ExportOps.OrtContrib)]
    [InlineData(ExportOps.Standard)]
    public void Batch_with_left_padding_matches_libtorch(ExportOps ops)
    {
        var config = Harness.SmallQwen2;
        using var model = new Decoder(Harness.Weights(config, seed: 12));
        OnnxExporter.Export(model, dir.Path, new ExportOptions { Ops = ops });
        using var session = Harness.Load(System.IO.Path.Combine(dir.Path, "model.onnx"));

        // three rows whose prompts are 6, 3 and 1 tokens, left-padded to 6, then 4 decode steps
        var ids = Harness.RandomIds(3, 10, config.VocabSize, seed: 6);
        int[] pads = [0, 3, 5];
        var mask = pads.Select(p => Enumerable.Range(0, 10).Select(j => j < p ? 0L : 1L).ToArray()).ToArray();
        for (var r = 0; r < 3; r++) for (var j = 0; j < pads[r]; j++) ids[r][j] = 0;   // pad id
        var diffs = Harness.CompareSteps(model, session, ids, mask, [(0, 6), (6, 7), (7, 8), (8, 9), (9, 10)]);

        output.WriteLine($"left padding {ops}: max |diff| per step = {string.Join(", ", diffs.Select(d => d.ToString("E2")))}");
        Assert.All(diffs, d => Assert.True(d <= 1e-4, $"max |diff| {d:E2} > 1e-4"));
    }

    [Fact]
    public void Fp16_export_is_within_tolerance_of_fp32_libtorch()
    {
        var config = Harness.TinyLlama;
        using var model = new Decoder(Harness.Weights(config, seed: 13));
        var result = OnnxExporter.Export(model, dir.Path, new ExportOptions { Dtype = ExportDtype.Fp16 });
        using var session = Harness.Load(System.IO.Path.Combine(dir.Path, "model.onnx"));

        var ids = Harness.RandomIds(1, 16, config.VocabSize, seed: 7);
        var mask = ids.Select(r => r.Select(_ => 1L).ToArray()).ToArray();
        var diffs = Harness.CompareSteps(model, session, ids, mask, Steps, fp16: true);

        // logits here are O(1); fp16 weights (11-bit mantissa) and fp16 activations give errors of a few 1e-3
        output.WriteLine($"fp16: ops = {string.Join(", ", result.Ops)}");
        output.WriteLine($"fp16 vs fp32 libtorch: max |diff| per step = {string.Join(", ", diffs.Select(d => d.ToString("E2")))}");
        Assert.All(diffs, d => Assert.True(d <= Fp16Tolerance, $"max |diff| {d:E2} > {Fp16Tolerance}"));
    }

    /// <summary>The fp16 tolerance the README states.</summary>
    const double Fp16Tolerance = 2e-2;

    [Theory]
    [InlineData(ExportDtype.Fp32)]
    [InlineData(ExportDtype.Fp16)]
    public void Tied_embeddings_are_stored_once_and_the_logits_are_unchanged(ExportDtype dtype)
    {
        var config = Harness.TinyLlama;                                       // tie_word_embeddings = true
        Assert.True(config.TieWordEmbeddings);
        using var model = new Decoder(Harness.Weights(config, seed: 13));
        OnnxExporter.Export(model, dir.Path, new ExportOptions { Dtype = dtype });
        var proto = Toolkit.Core.Onnx.OnnxModelReader.Load(System.IO.Path.Combine(dir.Path, "model.onnx"));
        var vocabSized = proto.Graph.Initializer.Where(t => t.Dims.Contains(config.VocabSize) && t.Dims.Contains(config.HiddenSize)).Select(t => t.Name).ToList();
        output.WriteLine($"{dtype}: initializers of {config.VocabSize}×{config.HiddenSize}: {string.Join(", ", vocabSized)}");
        Assert.Equal(["model.embed_tokens.weight"], vocabSized);              // before: also lm_head.weight.T (the model twice)

        using var session = Harness.Load(System.IO.Path.Combine(dir.Path, "model.onnx"));
        var ids = Harness.RandomIds(1, 16, config.VocabSize, seed: 6);   // batch 1: the default GroupQueryAttention takes the 3-token chunk only there
        var mask = ids.Select(r => r.Select(_ => 1L).ToArray()).ToArray();
        var diffs = Harness.CompareSteps(model, session, ids, mask, Steps, fp16: dtype == ExportDtype.Fp16);
        output.WriteLine($"{dtype}: logits max |diff| vs libtorch per step (prefill first) = {string.Join(", ", diffs.Select(d => d.ToString("E2")))}");
        var tol = dtype == ExportDtype.Fp16 ? Fp16Tolerance : 1e-4;
        Assert.All(diffs, d => Assert.True(d <= tol, $"max |diff| {d:E2} > {tol}"));
    }
}
