using System.Diagnostics;
using System.Runtime.Intrinsics;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Native;
using Toolkit.Core.Onnx;
using Toolkit.Export;
using Toolkit.Runtime.Generation;
using Toolkit.Train.Model;
using TorchSharp;
using Generator = Toolkit.Runtime.Generation.Generator;

namespace Toolkit.Benchmarks;

/// <summary>
/// `--only decode`: our generation engine (ORT-GenAI 0.18 over the exported folder, its thread setting as exported:
/// intra_op_num_threads 0 = ONNX Runtime's one per physical core) against libtorch eager
/// decoding of the same random-weight model with its KV cache (train/Model Decoder + KvCache, argmax loop), in one
/// run, batch 1, greedy, same thread count: prefill tokens/s and decode tokens/s, on the tiny preset and on a
/// Qwen2.5-0.5B-shaped fp32 model. Decode is also set against the memory-bandwidth bound: bandwidth measured here
/// (2 threads streaming a 1 GiB array) ÷ bytes of weights read per token. The exported folders are cached under
/// build/bench-models/ (the 0.5B one is ~2 GB and takes minutes to create).
/// </summary>
static class DecodeBench
{
    const long Seed = 1234;

    public static void Run(Results results)
    {
        var threads = Math.Max(1, Environment.ProcessorCount);
        torch.set_num_threads(threads);
        var bandwidth = MeasureBandwidth(threads);
        Console.WriteLine($"   memory read bandwidth: {bandwidth / 1e9:F1} GB/s ({threads} threads)");

        foreach (var (preset, prompt, newTokens) in new[] { ("tiny", 128, 128), ("qwen2.5-0.5b", 64, 32) })
        {
            var config = Presets.Get(preset);
            using var weights = DecoderWeights.Random(config, Seed);
            using var decoder = new Decoder(weights);
            var folder = EnsureExported(preset, prompt + newTokens + 64, decoder);
            var ids = PromptIds(config, prompt);

            var (oursPrefill, oursDecode, oursTokens, cpuPerWall) = Ours(folder, ids, newTokens);
            var (torchPrefill, torchDecode, torchTokens) = Torch(decoder, ids, newTokens);
            var same = oursTokens.Zip(torchTokens).TakeWhile(p => p.First == p.Second).Count();
            var settings = new Dictionary<string, object>
            {
                ["model"] = $"{preset} random weights (seed {Seed}), fp32", ["batch"] = 1, ["prompt_tokens"] = prompt,
                ["new_tokens"] = newTokens, ["threads"] = threads, ["search"] = "greedy",
                ["engine"] = "ORT-GenAI 0.18, folder's session options", ["decode_cpu_per_wall"] = Math.Round(cpuPerWall, 2),
                ["baseline"] = "libtorch eager Decoder.Forward + KvCache (torch.cat per step), same weights",
                ["tokens_identical"] = $"{same}/{newTokens}",
            };
            results.Higher($"decode.{preset}.prefill", oursPrefill, torchPrefill, "tok/s", settings);
            results.Higher($"decode.{preset}.decode", oursDecode, torchDecode, "tok/s", settings);

            var bytes = WeightBytesPerToken(config);
            var bound = bandwidth / bytes;
            results.Higher($"decode.{preset}.decode_vs_bandwidth_bound", oursDecode, bound, "tok/s", new(settings)
            {
                ["baseline"] = "bandwidth bound: measured read bandwidth / weight bytes read per token",
                ["bandwidth_GBps"] = Math.Round(bandwidth / 1e9, 2), ["weight_bytes_per_token"] = bytes,
            });
            Console.WriteLine($"   {preset}: greedy tokens identical to libtorch for {same}/{newTokens}; bound {bound:F1} tok/s " +
                              $"({bytes / 1e6:F0} MB of weights per token at {bandwidth / 1e9:F1} GB/s)");
        }
    }

    /// <summary>
    /// The exported fp32 folder of <paramref name="preset"/> with random weights (seed 1234) under build/bench-models/,
    /// exported (minutes for qwen2.5-0.5b, ~2 GB) unless cached; a folder cached by an older exporter (no
    /// intra_op_num_threads) is exported again. <paramref name="decoder"/> is built from the seed when null.
    /// </summary>
    internal static string EnsureExported(string preset, int maxLength, Decoder? decoder = null)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run the benchmarks from the checkout");
        var folder = Path.Combine(root, "build", "bench-models", preset);
        if (File.Exists(Path.Combine(folder, "genai_config.json"))
            && GenAiConfigJson.Read(folder).Decoder.SessionOptions.ContainsKey("intra_op_num_threads")) return folder;
        var sw = Stopwatch.StartNew();
        using var weights = decoder is null ? DecoderWeights.Random(Presets.Get(preset), Seed) : null;
        using var own = weights is null ? null : new Decoder(weights);
        OnnxExporter.Export(decoder ?? own!, folder, new ExportOptions { MaxLength = maxLength });
        Console.WriteLine($"   exported {preset} to {folder} in {sw.Elapsed.TotalSeconds:F0} s");
        return folder;
    }

    /// <summary><paramref name="count"/> prompt token ids (seed 5) below min(vocab, 30000).</summary>
    internal static int[] PromptIds(ModelConfig config, int count) =>
        new Random(5).Let(r => Enumerable.Range(0, count).Select(_ => r.Next(Math.Min(config.VocabSize, 30000))).ToArray());

    /// <summary>
    /// Prefill and decode tokens/s of our engine: median of 3 generations after a warm-up; and the process's CPU time
    /// per wall second while decoding (≈ the threads ORT-GenAI really used).
    /// </summary>
    internal static (double Prefill, double Decode, int[] Tokens, double CpuPerWall) Ours(string folder, int[] prompt, int newTokens)
    {
        using var model = new Model(folder);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = new List<double>();
        var prefill = new List<double>();
        var decode = new List<double>();
        int[] tokens = [];
        for (var rep = 0; rep < 4; rep++)
        {
            var p = new GeneratorParams(model);
            p.SetSearchOption("max_length", prompt.Length + newTokens);
            p.SetSearchOption("min_length", prompt.Length + newTokens);   // random weights: never stop early on EOS
            using var g = new Generator(model, p);
            var sw = Stopwatch.StartNew();
            g.AppendTokens(prompt);
            var tPrefill = sw.Elapsed.TotalSeconds;
            g.GenerateNextToken();                                          // first token from the prefill logits
            self.Refresh();
            var cpu0 = self.TotalProcessorTime;
            sw.Restart();
            while (!g.IsDone()) g.GenerateNextToken();                      // newTokens − 1 decode steps
            var tDecode = sw.Elapsed.TotalSeconds;
            self.Refresh();
            cpu.Add((self.TotalProcessorTime - cpu0).TotalSeconds / tDecode);
            tokens = g.GetGeneratedTokens(0).ToArray();
            if (rep == 0) continue;                                         // warm-up
            prefill.Add(prompt.Length / tPrefill);
            decode.Add((newTokens - 1) / tDecode);
        }
        return (Median(prefill), Median(decode), tokens, Median(cpu));
    }

    /// <summary>The same loop on libtorch eager: Forward over the prompt, then one token at a time with the KvCache; argmax.</summary>
    static (double Prefill, double Decode, int[] Tokens) Torch(Decoder decoder, int[] prompt, int newTokens)
    {
        var prefill = new List<double>();
        var decode = new List<double>();
        var tokens = new List<int>();
        var v = decoder.Config.VocabSize;
        using var noGrad = torch.no_grad();
        for (var rep = 0; rep < 3; rep++)
        {
            tokens.Clear();
            using var cache = new KvCache(decoder.Config.NumHiddenLayers);
            var sw = Stopwatch.StartNew();
            int next;
            using (torch.NewDisposeScope())
            {
                var logits = decoder.Forward(torch.tensor(prompt.Select(t => (long)t).ToArray(), [1, prompt.Length]), cache: cache);
                next = (int)logits.select(1, prompt.Length - 1).argmax(-1).data<long>().ToArray()[0];
            }
            var tPrefill = sw.Elapsed.TotalSeconds;
            tokens.Add(next);
            sw.Restart();
            for (var step = 1; step < newTokens; step++)
            {
                using var scope = torch.NewDisposeScope();
                var logits = decoder.Forward(torch.tensor(new long[] { next }, [1, 1]), cache: cache);   // (1, 1, V)
                next = (int)logits.reshape(v).argmax(-1).data<long>().ToArray()[0];
                tokens.Add(next);
            }
            var tDecode = sw.Elapsed.TotalSeconds;
            if (rep == 0) continue;
            prefill.Add(prompt.Length / tPrefill);
            decode.Add((newTokens - 1) / tDecode);
        }
        return (Median(prefill), Median(decode), tokens.ToArray());
    }

    /// <summary>
    /// Bytes of weights one decode step reads: every linear and norm weight once; the embedding table is read whole only
    /// as the (tied) lm_head — the embedding lookup itself reads one row.
    /// </summary>
    static long WeightBytesPerToken(ModelConfig c)
    {
        long total = 0;
        foreach (var (name, shape) in DecoderWeights.ExpectedShapes(c))
        {
            var n = shape.Aggregate(1L, (a, b) => a * b);
            if (name == "model.embed_tokens.weight" && !c.TieWordEmbeddings) n = shape[1];
            total += n;
        }
        return total * sizeof(float);
    }

    /// <summary>Read bandwidth: <paramref name="threads"/> threads summing disjoint halves of a 1 GiB float array; best of 5 passes.</summary>
    internal static double MeasureBandwidth(int threads)
    {
        var data = GC.AllocateUninitializedArray<float>(256 << 20, pinned: true);
        Array.Fill(data, 1f);
        var best = 0.0;
        var sink = 0f;
        for (var pass = 0; pass < 6; pass++)
        {
            var sums = new float[threads];
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var chunk = data.Length / threads;
                var span = data.AsSpan(t * chunk, chunk);
                var acc0 = Vector256<float>.Zero;
                var acc1 = Vector256<float>.Zero;
                var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector256<float>>(span);
                for (var i = 0; i + 1 < vectors.Length; i += 2)
                {
                    acc0 += vectors[i];
                    acc1 += vectors[i + 1];
                }
                sums[t] = Vector256.Sum(acc0 + acc1);
            });
            var seconds = sw.Elapsed.TotalSeconds;
            sink += sums.Sum();
            if (pass > 0) best = Math.Max(best, (double)data.Length * sizeof(float) / seconds);
        }
        GC.KeepAlive(sink);
        return best;
    }

    static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s[s.Length / 2];
    }

    static T Let<TIn, T>(this TIn x, Func<TIn, T> f) => f(x);
}
