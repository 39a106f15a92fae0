using Toolkit.Core.Onnx;
using Toolkit.Runtime.Generation;
using Toolkit.Train.Model;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Generation;

/// <summary>
/// Every kind of folder `toolkit export` writes loads in ORT-GenAI 0.18 unchanged and greedy-generates the tokens of
/// the libtorch decoder: tiny GQA llama (tied head) and qwen2 with q/k/v biases, with com.microsoft ops, with
/// GroupQueryAttention over ORT-GenAI's shared KV buffer, and with standard ops only. The folder carries the toolkit's thread count (CpuCores: the exporting machine's physical cores),
/// not ONNX Runtime's CPUID-based 0 nor ORT-GenAI's half-the-hardware-threads default (PlainGenAiThreadTests).
/// </summary>
public sealed class ExportVariantsTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Theory]
    [MemberData(nameof(Harness.ShapesAndOps), MemberType = typeof(Harness))]
    public void Exported_folder_generates_in_ORT_GenAI_as_libtorch_does(string shape, ExportOps ops)
    {
        var config = shape == "qwen2" ? Harness.SmallQwen2 : Harness.TinyLlama;
        using var torchModel = new Decoder(Harness.Weights(config, seed: 12));
        OnnxExporter.Export(torchModel, dir.Path, new ExportOptions { Ops = ops });
        Assert.Equal(Toolkit.Runtime.Ort.CpuCores.DefaultIntraOpThreads, Convert.ToInt32(GenAiConfigJson.Read(dir.Path).Decoder.SessionOptions["intra_op_num_threads"], System.Globalization.CultureInfo.InvariantCulture));

        using var model = new Model(dir.Path);   // the folder as written: no thread override
        Assert.Equal(config.ModelType, model.GetModelType());
        foreach (var prompt in Harness.RandomIds(3, 9, config.VocabSize, seed: 8).Select(r => r.Select(t => (int)t).ToArray()))
        {
            var expected = GreedyParityTests.TorchGreedy(torchModel, prompt, 10, model.EosTokenIds);
            var p = new GeneratorParams(model);
            p.Apply(new DecodingSettings { DoSample = false, MaxLength = prompt.Length + 10 });
            using var g = new Generator(model, p);
            g.AppendTokens(prompt);
            while (!g.IsDone()) g.GenerateNextToken();
            Assert.Equal(expected, g.GetSequence(0).ToArray());
        }
        output.WriteLine($"{shape} {ops}: 3 prompts × 10 greedy tokens identical to libtorch in ORT-GenAI 0.18");
    }
}
