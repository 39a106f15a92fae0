using System.Diagnostics;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Native;
using Toolkit.Export;
using Microsoft.ML.OnnxRuntime;
using Toolkit.Runtime.Ort;
using Toolkit.Train.Model;

namespace Toolkit.Benchmarks;

/// <summary>
/// `--only export`: the op choice of the exported graph on ORT's CPU EP. The same random-weight decoder is exported with
/// <see cref="ExportOps.OrtContrib"/> (ours: com.microsoft SkipSimplifiedLayerNormalization + RotaryEmbedding) and
/// <see cref="ExportOps.Standard"/> (baseline: opset-17 ops only, which ORT's optimizer partly fuses itself), both loaded
/// with all graph optimizations and 2 intra-op threads; prefill of 128 tokens and decode steps at batch 1 (KV fed back).
/// </summary>
static class ExportBench
{
    const int Prompt = 128, DecodeSteps = 32, Repeats = 5;

    public static void Run(Results results)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run the benchmarks from the checkout");
        foreach (var preset in new[] { "tiny", "llama-125m" })
        {
            var config = Presets.Get(preset);
            var times = new Dictionary<ExportOps, (double Prefill, double Decode)>();
            using (var weights = DecoderWeights.Random(config, seed: 1))
                foreach (var ops in new[] { ExportOps.OrtContrib, ExportOps.Standard })
                {
                    var dir = Path.Combine(root, "build", "bench-export", $"{preset}-{ops}");
                    OnnxExporter.Export(weights, dir, new ExportOptions { Ops = ops });
                    times[ops] = Measure(Path.Combine(dir, "model.onnx"), config);
                }
            var settings = new Dictionary<string, object> { ["preset"] = preset, ["prompt"] = Prompt, ["threads"] = 2, ["baseline"] = "standard opset-17 graph" };
            results.Lower($"export {preset} prefill {Prompt} contrib/std", times[ExportOps.OrtContrib].Prefill, times[ExportOps.Standard].Prefill, "ms", settings);
            results.Lower($"export {preset} decode step contrib/std", times[ExportOps.OrtContrib].Decode, times[ExportOps.Standard].Decode, "ms", settings);
        }
    }

    /// <summary>Median prefill ms and median per-step decode ms (after the prefill, KV fed back).</summary>
    static (double Prefill, double Decode) Measure(string model, ModelConfig c)
    {
        using var session = Sessions.Open(model, new SessionSettings { IntraOpThreads = 2 });
        using var run = new RunOptions();
        var inNames = new List<string> { "input_ids", "attention_mask" };
        var outNames = new List<string> { "logits" };
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            inNames.AddRange([$"past_key_values.{i}.key", $"past_key_values.{i}.value"]);
            outNames.AddRange([$"present.{i}.key", $"present.{i}.value"]);
        }
        var rng = new Random(1);
        var prefill = new List<double>();
        var decode = new List<double>();
        for (var r = 0; r < Repeats; r++)
        {
            IReadOnlyList<OrtValue> past = Enumerable.Range(0, 2 * c.NumHiddenLayers)
                .Select(_ => OrtValue.CreateTensorValueFromMemory(Array.Empty<float>(), [1, c.NumKeyValueHeads, 0, c.HeadDim])).ToArray();
            IDisposable? previous = null;
            var length = 0;
            try
            {
                for (var step = 0; step <= DecodeSteps; step++)
                {
                    var t = step == 0 ? Prompt : 1;
                    length += t;
                    var ids = Enumerable.Range(0, t).Select(_ => (long)rng.Next(c.VocabSize)).ToArray();
                    using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [1, t]);
                    using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, length).ToArray(), [1, length]);
                    var sw = Stopwatch.StartNew();
                    var outs = session.Run(run, inNames, [idsValue, mask, .. past], outNames);
                    var ms = sw.Elapsed.TotalMilliseconds;
                    if (step == 0) prefill.Add(ms); else decode.Add(ms);
                    if (previous is null) foreach (var p in past) p.Dispose();
                    previous?.Dispose();
                    previous = outs;
                    past = outs.Skip(1).ToArray();
                }
            }
            finally
            {
                if (previous is null) foreach (var p in past) p.Dispose();
                previous?.Dispose();
            }
        }
        return (Median(prefill.Skip(1)), Median(decode.Skip(DecodeSteps)));   // first repeat is warm-up
    }

    static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToArray();
        return s[s.Length / 2];
    }
}
