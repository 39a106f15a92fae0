using Toolkit.Core.Onnx;
using Microsoft.ML.OnnxRuntime;
using Toolkit.Train.Model;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests;

/// <summary>
/// Initializers in model.onnx.data: forced on a small model, the folder loads in ORT and gives the logits of the inline
/// export; the reader loads external data written by another tool (python-onnx) and by us; broken references are
/// refused with messages naming the file.
/// </summary>
public sealed class ExternalDataTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    static float[] Prefill(string model, long[] ids, Toolkit.Core.Checkpoints.ModelConfig c)
    {
        using var session = Harness.Load(model);
        var names = new List<string> { "input_ids", "attention_mask" };
        var values = new List<OrtValue> { Harness.Value(ids, 1, ids.Length), Harness.Value(ids.Select(_ => 1L).ToArray(), 1, ids.Length) };
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            names.Add($"past_key_values.{i}.key"); values.Add(Harness.Value(Array.Empty<float>(), 1, c.NumKeyValueHeads, 0, c.HeadDim));
            names.Add($"past_key_values.{i}.value"); values.Add(Harness.Value(Array.Empty<float>(), 1, c.NumKeyValueHeads, 0, c.HeadDim));
        }
        try
        {
            using var outs = Harness.Run(session, names, values, ["logits"]);
            return outs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    [Fact]
    public void Forced_external_data_loads_in_ort_with_the_inline_logits()
    {
        var c = Harness.SmallQwen2;
        using var model = new Decoder(Harness.Weights(c, seed: 31));
        var inline = OnnxExporter.Export(model, dir.Sub("inline"));
        var external = OnnxExporter.Export(model, dir.Sub("external"), new ExportOptions { ExternalData = ExternalData.Always });

        Assert.DoesNotContain("model.onnx.data", inline.Files);
        Assert.Contains("model.onnx.data", external.Files);
        var onnxBytes = new FileInfo(System.IO.Path.Combine(external.Folder, "model.onnx")).Length;
        var dataBytes = new FileInfo(System.IO.Path.Combine(external.Folder, "model.onnx.data")).Length;
        output.WriteLine($"external: model.onnx {onnxBytes} B, model.onnx.data {dataBytes} B; inline model.onnx {new FileInfo(System.IO.Path.Combine(inline.Folder, "model.onnx")).Length} B");
        Assert.True(onnxBytes < dataBytes / 10, "the weights should have moved to model.onnx.data");

        // every external offset is 4 KB aligned and inside the data file
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(System.IO.Path.Combine(external.Folder, "model.onnx")));
        var ext = proto.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External).ToList();
        Assert.NotEmpty(ext);
        foreach (var t in ext)
        {
            var f = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            Assert.Equal("model.onnx.data", f["location"]);
            Assert.Equal(0, long.Parse(f["offset"]) % 4096);
            Assert.True(long.Parse(f["offset"]) + long.Parse(f["length"]) <= dataBytes);
        }

        var ids = Harness.RandomIds(1, 9, c.VocabSize, seed: 8)[0];
        var a = Prefill(System.IO.Path.Combine(inline.Folder, "model.onnx"), ids, c);
        var b = Prefill(System.IO.Path.Combine(external.Folder, "model.onnx"), ids, c);
        Assert.Equal(0.0, Harness.MaxAbsDiff(a, b));
    }

    [Fact]
    public void Auto_switches_to_external_data_above_the_threshold()
    {
        using var model = new Decoder(Harness.Weights(Harness.SmallQwen2, seed: 32));
        var (proto, _) = BuildModel(model);
        var small = OnnxModelWriter.Save(proto, dir.Sub("a.onnx"), new OnnxSaveOptions { AutoThresholdBytes = long.MaxValue });
        var big = OnnxModelWriter.Save(proto, dir.Sub("b.onnx"), new OnnxSaveOptions { AutoThresholdBytes = 1000 });
        Assert.Equal(["a.onnx"], small);
        Assert.Equal(["b.onnx", "b.onnx.data"], big);
    }

    [Fact]
    public void Reader_round_trip_of_our_external_model_gives_the_same_logits()
    {
        var c = Harness.SmallQwen2;
        using var model = new Decoder(Harness.Weights(c, seed: 33));
        var external = OnnxExporter.Export(model, dir.Sub("external"), new ExportOptions { ExternalData = ExternalData.Always });
        var loaded = OnnxModelReader.Load(System.IO.Path.Combine(external.Folder, "model.onnx"));
        Assert.All(loaded.Graph.Initializer, t => Assert.Equal(TensorProto.Types.DataLocation.Default, t.DataLocation));
        var copy = dir.Sub("copy/model.onnx");
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(copy)!);
        OnnxModelWriter.Save(loaded, copy, new OnnxSaveOptions { ExternalData = ExternalData.Never });

        var ids = Harness.RandomIds(1, 5, c.VocabSize, seed: 9)[0];
        Assert.Equal(0.0, Harness.MaxAbsDiff(Prefill(System.IO.Path.Combine(external.Folder, "model.onnx"), ids, c), Prefill(copy, ids, c)));
    }

    [PythonOnnxFact]
    public void Reader_loads_external_data_written_by_python_onnx()
    {
        // y = x · W + b with W, b in an external file "weights.bin" (onnx.save_model, size_threshold 0)
        var path = dir.Sub("py.onnx");
        var (code, _, stderr) = PythonOnnx.Run(
            "import sys, numpy as np, onnx\n" +
            "from onnx import helper, TensorProto, numpy_helper\n" +
            "W = np.arange(12, dtype=np.float32).reshape(3, 4) / 4; b = np.array([1, -1, 0.5, 2], dtype=np.float32)\n" +
            "g = helper.make_graph([helper.make_node('MatMul', ['x', 'W'], ['xw']), helper.make_node('Add', ['xw', 'b'], ['y'])], 'g',\n" +
            "  [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['n', 3])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, ['n', 4])],\n" +
            "  [numpy_helper.from_array(W, 'W'), numpy_helper.from_array(b, 'b')])\n" +
            "m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]); m.ir_version = 8\n" +
            "onnx.save_model(m, sys.argv[1], save_as_external_data=True, all_tensors_to_one_file=True, location='weights.bin', size_threshold=0)\n",
            path);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(dir.Sub("weights.bin")));

        var loaded = OnnxModelReader.Load(path);
        var w = loaded.Graph.Initializer.Single(t => t.Name == "W");
        var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(OnnxModelReader.RawBytes(w)).ToArray();
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i / 4f).ToArray(), values);

        // saved inline by us, ORT computes y = x · W + b
        var inline = dir.Sub("inline.onnx");
        OnnxModelWriter.Save(loaded, inline, new OnnxSaveOptions { ExternalData = ExternalData.Never });
        using var session = Harness.Load(inline);
        using var x = Harness.Value(new float[] { 1, 2, 3 }, 1, 3);
        using var y = Harness.Run(session, ["x"], [x], ["y"]);
        Assert.Equal(new float[] { 8 + 1, 9.5f - 1, 11 + 0.5f, 12.5f + 2 }, y[0].GetTensorDataAsSpan<float>().ToArray());
    }

    [Fact]
    public void Missing_external_data_file_is_refused_naming_it()
    {
        using var model = new Decoder(Harness.Weights(Harness.SmallQwen2, seed: 34));
        var external = OnnxExporter.Export(model, dir.Path, new ExportOptions { ExternalData = ExternalData.Always });
        File.Delete(System.IO.Path.Combine(external.Folder, "model.onnx.data"));
        var e = Assert.Throws<OnnxException>(() => OnnxModelReader.Load(System.IO.Path.Combine(external.Folder, "model.onnx")));
        output.WriteLine(e.Message);
        Assert.Contains("model.onnx.data", e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("HINT", e.Message);
    }

    [Fact]
    public void Truncated_external_data_is_refused()
    {
        using var model = new Decoder(Harness.Weights(Harness.SmallQwen2, seed: 35));
        var external = OnnxExporter.Export(model, dir.Path, new ExportOptions { ExternalData = ExternalData.Always });
        var data = System.IO.Path.Combine(external.Folder, "model.onnx.data");
        using (var f = File.OpenWrite(data)) f.SetLength(f.Length / 2);
        var e = Assert.Throws<OnnxException>(() => OnnxModelReader.Load(System.IO.Path.Combine(external.Folder, "model.onnx")));
        output.WriteLine(e.Message);
        Assert.Contains("runs past the end", e.Message);
    }

    static (ModelProto, IReadOnlyList<string>) BuildModel(Decoder model)
    {
        var folder = Directory.CreateTempSubdirectory("toolkit-export-build-").FullName;
        try
        {
            OnnxExporter.Export(model, folder);
            return (OnnxModelReader.Load(System.IO.Path.Combine(folder, "model.onnx")), []);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
