using Microsoft.ML.OnnxRuntime;
using Toolkit.Core.Checkpoints;
using Toolkit.Runtime.Ort;
using Toolkit.Train.Model;
using TorchSharp;

// Torch tensors are counted process-wide and ORT sessions use both cores: run tests one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Toolkit.Export.Tests;

/// <summary>Small model shapes the tests export, and ways to run them on both engines.</summary>
internal static class Harness
{
    /// <summary>The tiny preset's shape (4 layers, 4 query heads over 2 KV heads: GQA) with a small vocabulary, llama, tied head.</summary>
    /// <summary>Both test shapes ("tiny-llama", "qwen2") × every <see cref="ExportOps"/> form: the variants each parity test covers.</summary>
    public static TheoryData<string, ExportOps> ShapesAndOps
    {
        get
        {
            var data = new TheoryData<string, ExportOps>();
            foreach (var ops in Enum.GetValues<ExportOps>())
                foreach (var shape in new[] { "tiny-llama", "qwen2" }) data.Add(shape, ops);
            return data;
        }
    }

    public static ModelConfig TinyLlama => Presets.Get("tiny", vocabSize: 512) with { MaxPositionEmbeddings = 256 };

    /// <summary>A qwen2-style model: q/k/v biases, untied head, rope theta 1e6, 6 query heads over 2 KV heads.</summary>
    public static ModelConfig SmallQwen2 => Presets.Get("tiny", vocabSize: 300) with
    {
        ModelType = "qwen2", HiddenSize = 96, IntermediateSize = 224, NumHiddenLayers = 2, NumAttentionHeads = 6,
        NumKeyValueHeads = 2, HeadDim = 16, AttentionBias = true, TieWordEmbeddings = false, RopeTheta = 1000000,
        MaxPositionEmbeddings = 128,
    };

    /// <summary>Random weights with nonzero biases and norm weights (so a dropped bias or norm weight shows up in the logits).</summary>
    public static DecoderWeights Weights(ModelConfig c, long seed)
    {
        var w = DecoderWeights.Random(c, seed);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        foreach (var (name, t) in w.All)
        {
            if (name.EndsWith(".bias")) t.copy_(torch.randn(t.shape).mul(0.5));
            if (name.EndsWith("norm.weight")) t.copy_(torch.rand(t.shape).add(0.5));
        }
        return w;
    }

    public static long[][] RandomIds(int b, int t, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, t).Select(_ => (long)rng.Next(vocab)).ToArray()).ToArray();
    }

    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        var worst = 0.0;
        for (var i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs((double)a[i] - b[i]));
        return worst;
    }

    public static InferenceSession Load(string model, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL) =>
        Sessions.Open(model, new SessionSettings { GraphOptimization = level, IntraOpThreads = 2 });

    /// <summary>A tensor over <paramref name="data"/> (borrowed, pinned while the value lives) of shape <paramref name="shape"/>.</summary>
    public static OrtValue Value<T>(T[] data, params long[] shape) where T : unmanaged => OrtValue.CreateTensorValueFromMemory(data, shape);

    /// <summary>Runs <paramref name="session"/> on named inputs; the caller disposes the outputs.</summary>
    public static IDisposableReadOnlyCollection<OrtValue> Run(InferenceSession session, IReadOnlyList<string> inNames, IReadOnlyList<OrtValue> inValues, IReadOnlyList<string> outNames)
    {
        using var run = new RunOptions();
        return session.Run(run, inNames.ToArray(), inValues.ToArray(), outNames.ToArray());
    }

    /// <summary>
    /// Runs <paramref name="steps"/> (column ranges of <paramref name="ids"/>) through the libtorch decoder with its KV
    /// cache and through the ONNX session with present.* fed back as past_key_values.*; returns each step's max |diff|
    /// of logits and the (first-step) logits of both sides.
    /// </summary>
    public static List<double> CompareSteps(Decoder model, InferenceSession session, long[][] ids, long[][] mask, IReadOnlyList<(int Start, int End)> steps, bool fp16 = false)
    {
        var c = model.Config;
        int b = ids.Length;
        var diffs = new List<double>();
        using var cache = new KvCache(c.NumHiddenLayers);
        IReadOnlyList<OrtValue> past = Enumerable.Range(0, 2 * c.NumHiddenLayers)
            .Select(_ => fp16 ? Value(Array.Empty<Float16>(), b, c.NumKeyValueHeads, 0, c.HeadDim) : Value(Array.Empty<float>(), b, c.NumKeyValueHeads, 0, c.HeadDim)).ToArray();
        IDisposable? previous = null;
        var outNames = new List<string> { "logits" };
        for (var i = 0; i < c.NumHiddenLayers; i++) { outNames.Add($"present.{i}.key"); outNames.Add($"present.{i}.value"); }
        var inNames = new List<string> { "input_ids", "attention_mask" };
        for (var i = 0; i < c.NumHiddenLayers; i++) { inNames.Add($"past_key_values.{i}.key"); inNames.Add($"past_key_values.{i}.value"); }
        try
        {
            foreach (var (start, end) in steps)
            {
                using var scope = torch.NewDisposeScope();
                var stepIds = ids.SelectMany(r => r[start..end]).ToArray();
                var stepMask = mask.SelectMany(r => r[..end]).ToArray();
                // 1) libtorch
                var expected = model.Forward(torch.tensor(stepIds, [b, end - start]), torch.tensor(stepMask, [b, end]), cache: cache).data<float>().ToArray();
                // 2) ONNX Runtime
                using var idsValue = Value(stepIds, b, end - start);
                using var maskValue = Value(stepMask, b, end);
                var outs = Run(session, inNames, [idsValue, maskValue, .. past], outNames);
                var got = fp16 ? outs[0].GetTensorDataAsSpan<Float16>().ToArray().Select(h => h.ToFloat()).ToArray() : outs[0].GetTensorDataAsSpan<float>().ToArray();
                diffs.Add(MaxAbsDiff(got, expected));
                (previous ?? new Disposables(past)).Dispose();
                previous = outs;
                past = outs.Skip(1).ToArray();
            }
            return diffs;
        }
        finally
        {
            (previous ?? new Disposables(past)).Dispose();
        }
    }
}

/// <summary>Disposes several values at once.</summary>
internal sealed class Disposables(IEnumerable<IDisposable> items) : IDisposable
{
    public void Dispose()
    {
        foreach (var d in items) d.Dispose();
    }
}

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("toolkit-export-tests-").FullName;

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
