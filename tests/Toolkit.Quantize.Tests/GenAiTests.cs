using Microsoft.ML.OnnxRuntimeGenAI;
using Xunit.Abstractions;

namespace Toolkit.Quantize.Tests;

/// <summary>Quantized folders load and generate in ONNX Runtime GenAI 0.18 unchanged (Model / Generator directly).</summary>
public sealed class GenAiTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData(QuantFormat.MatMulNBits, 4, Granularity.Block)]
    [InlineData(QuantFormat.MatMulNBits, 8, Granularity.Tensor)]
    [InlineData(QuantFormat.Qdq, 4, Granularity.Block)]
    public void Quantized_folder_generates_in_ort_genai(QuantFormat format, int bits, Granularity granularity)
    {
        var src = dir.Sub("fp32");
        using (Harness.Export(Harness.Tiny, src, seed: 8)) { }
        var q = Quantizer.Run(new QuantizeOptions { Model = src, Out = dir.Sub("q"), Format = format, Bits = bits, Granularity = granularity }).Folder;

        int[] prompt = [1, 17, 42, 99, 7];
        var fp = Greedy(src, prompt, 12);
        var got = Greedy(q, prompt, 12);
        output.WriteLine($"{format} {bits}-bit {granularity}: fp32 greedy [{string.Join(", ", fp)}]; quantized [{string.Join(", ", got)}]");
        Assert.Equal(prompt.Length + 12, got.Length);
        Assert.Equal(prompt, got[..prompt.Length]);
    }

    static int[] Greedy(string folder, int[] prompt, int newTokens)
    {
        using var model = new Model(folder);
        using var p = new GeneratorParams(model);
        p.SetSearchOption("max_length", prompt.Length + newTokens);
        p.SetSearchOption("do_sample", false);
        using var g = new Generator(model, p);
        g.AppendTokens(prompt);
        while (!g.IsDone()) g.GenerateNextToken();
        return g.GetSequence(0).ToArray();
    }
}
