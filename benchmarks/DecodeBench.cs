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
/// intra_op_num_threads = the machine's physical cores, CpuCores) against libtorch eager
/// decoding of the same random-weight model with its KV cache (train/Model Decoder + KvCache, argmax loop), in one
/// run, batch 1, greedy, same thread count: prefill tokens/s and decode tokens/s, on the tiny preset and on a
/// Qwen2.5-0.5B-shaped fp32 model. Decode is also set against the memory-bandwidth bound: bandwidth measured here
/// (2 threads streaming a 1 GiB array) ÷ bytes of weights read per token. The exported folders are cached under
/// build/bench-models/ (the 0.5B one is ~2 GB and takes minutes to create). Both attention forms of the export are
/// measured, alternated: --ops contrib (standard-op attention, KV concat) and --ops gqa (GroupQueryAttention over a
/// shared max_length KV buffer). Every figure is printed with the process's CPU time per wall second and the load
/// average, so contention from other work on the machine shows.
/// </summary>
static class DecodeBench
{
    const long Seed = 1234;

    public static void Run(Results results)
    {
        var threads = Math.Max(1, Environment.ProcessorCount);
        torch.set_num_threads(threads);
        Console.WriteLine($"   CPU: {CpuModel()}; {threads} logical, {Toolkit.Runtime.Ort.CpuCores.Physical} physical cores (OS); ORT intra-op threads {Toolkit.Runtime.Ort.CpuCores.DefaultIntraOpThreads}");
        var bandwidth = MeasureBandwidth(threads);
        Console.WriteLine($"   memory read bandwidth: {bandwidth / 1e9:F1} GB/s ({threads} threads; load average {LoadAverage()})");

        foreach (var (preset, prompt, newTokens) in new[] { ("tiny", 128, 128), ("qwen2.5-0.5b", 64, 32) })
        {
            var config = Presets.Get(preset);
            using var weights = DecoderWeights.Random(config, Seed);
            using var decoder = new Decoder(weights);
            var folder = EnsureExported(preset, prompt + newTokens + 64, decoder);
            var gqaFolder = EnsureExported(preset, prompt + newTokens + 64, decoder, ExportOps.OrtGqa);
            var ids = PromptIds(config, prompt);

            // the two attention forms of the export, alternated (ops, GQA, ops, GQA) so a load change hits both; best of the two runs each
            var runs = new List<(string Form, OursRun Run)>();
            for (var round = 0; round < 2; round++)
            {
                runs.Add(("ops", Ours(folder, ids, newTokens, $"{preset} ops attention")));
                runs.Add(("gqa", Ours(gqaFolder, ids, newTokens, $"{preset} GQA shared KV")));
            }
            var opsRun = Best(runs.Where(r => r.Form == "ops").Select(r => r.Run));
            var gqaRun = Best(runs.Where(r => r.Form == "gqa").Select(r => r.Run));
            var (torchPrefill, torchDecode, torchTokens) = Torch(decoder, ids, newTokens);
            var same = opsRun.Tokens.Zip(torchTokens).TakeWhile(p => p.First == p.Second).Count();
            var sameGqa = gqaRun.Tokens.Zip(torchTokens).TakeWhile(p => p.First == p.Second).Count();
            // headline: the default export (--ops gqa: GroupQueryAttention, past_present_share_buffer)
            var settings = new Dictionary<string, object>
            {
                ["model"] = $"{preset} random weights (seed {Seed}), fp32", ["batch"] = 1, ["prompt_tokens"] = prompt,
                ["new_tokens"] = newTokens, ["threads"] = threads, ["search"] = "greedy",
                ["engine"] = "ORT-GenAI 0.18, folder's session options, --ops gqa (default): GroupQueryAttention over shared max_length KV buffers",
                ["prefill_cpu_per_wall"] = Math.Round(gqaRun.PrefillCpuPerWall, 2), ["decode_cpu_per_wall"] = Math.Round(gqaRun.DecodeCpuPerWall, 2),
                ["load_average"] = gqaRun.Load,
                ["baseline"] = "libtorch eager Decoder.Forward + KvCache (torch.cat per step), same weights",
                ["tokens_identical"] = $"{sameGqa}/{newTokens}",
            };
            results.Higher($"decode.{preset}.prefill", gqaRun.Prefill, torchPrefill, "tok/s", settings);
            results.Higher($"decode.{preset}.decode", gqaRun.Decode, torchDecode, "tok/s", settings);
            var gqaSettings = new Dictionary<string, object>(settings)
            {
                ["baseline"] = $"--ops contrib (standard-op attention, KV concat) in the same run: {opsRun.Prefill:F1} / {opsRun.Decode:F1} tok/s, " +
                               $"cpu/wall {opsRun.PrefillCpuPerWall:F2} / {opsRun.DecodeCpuPerWall:F2}, load {opsRun.Load}; tokens identical to libtorch {same}/{newTokens}",
            };
            results.Higher($"decode.{preset}.gqa_vs_ops_attention.prefill", gqaRun.Prefill, opsRun.Prefill, "tok/s", gqaSettings);
            results.Higher($"decode.{preset}.gqa_vs_ops_attention.decode", gqaRun.Decode, opsRun.Decode, "tok/s", gqaSettings);
            var oursDecode = gqaRun.Decode;

            var bytes = WeightBytesPerToken(config);
            var bound = bandwidth / bytes;
            results.Higher($"decode.{preset}.decode_vs_bandwidth_bound", oursDecode, bound, "tok/s", new(settings)
            {
                ["baseline"] = "bandwidth bound: measured read bandwidth / weight bytes read per token",
                ["bandwidth_GBps"] = Math.Round(bandwidth / 1e9, 2), ["weight_bytes_per_token"] = bytes,
            });
            Console.WriteLine($"   {preset}: greedy tokens identical to libtorch for {same}/{newTokens} (GQA {sameGqa}/{newTokens}); bound {bound:F1} tok/s " +
                              $"({bytes / 1e6:F0} MB of weights per token at {bandwidth / 1e9:F1} GB/s); load average now {LoadAverage()}");
        }
    }

    /// <summary>
    /// The exported fp32 folder of <paramref name="preset"/> with random weights (seed 1234) under build/bench-models/,
    /// exported (minutes for qwen2.5-0.5b, ~2 GB) unless cached; a folder cached by an older exporter (no
    /// intra_op_num_threads) is exported again. <paramref name="decoder"/> is built from the seed when null.
    /// <paramref name="ops"/> other than the default go to build/bench-models/{preset}-{ops}.
    /// </summary>
    internal static string EnsureExported(string preset, int maxLength, Decoder? decoder = null, ExportOps ops = ExportOps.OrtContrib)
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run the benchmarks from the checkout");
        var folder = Path.Combine(root, "build", "bench-models", ops == ExportOps.OrtContrib ? preset : $"{preset}-{ops.ToString().ToLowerInvariant()}");
        if (File.Exists(Path.Combine(folder, "genai_config.json"))
            && GenAiConfigJson.Read(folder).Decoder.SessionOptions.ContainsKey("intra_op_num_threads")) return folder;
        var sw = Stopwatch.StartNew();
        using var weights = decoder is null ? DecoderWeights.Random(Presets.Get(preset), Seed) : null;
        using var own = weights is null ? null : new Decoder(weights);
        OnnxExporter.Export(decoder ?? own!, folder, new ExportOptions { MaxLength = maxLength, Ops = ops });
        Console.WriteLine($"   exported {preset} to {folder} in {sw.Elapsed.TotalSeconds:F0} s");
        return folder;
    }

    /// <summary><paramref name="count"/> prompt token ids (seed 5) below min(vocab, 30000).</summary>
    internal static int[] PromptIds(ModelConfig config, int count) =>
        new Random(5).Let(r => Enumerable.Range(0, count).Select(_ => r.Next(Math.Min(config.VocabSize, 30000))).ToArray());

    /// <summary>One measurement of our engine on one folder (see <see cref="Ours"/>).</summary>
    internal sealed record OursRun(double Prefill, double Decode, int[] Tokens, double PrefillCpuPerWall, double DecodeCpuPerWall, string Load)
    {
        /// <summary>(prefill, decode, tokens, decode CPU/wall), the form QuantizeBench reads.</summary>
        public void Deconstruct(out double prefill, out double decode, out int[] tokens, out double cpuPerWall) =>
            (prefill, decode, tokens, cpuPerWall) = (Prefill, Decode, Tokens, DecodeCpuPerWall);
    }

    /// <summary>The run with the best decode of <paramref name="runs"/> (the least disturbed by other work on the machine).</summary>
    internal static OursRun Best(IEnumerable<OursRun> runs) => runs.MaxBy(r => r.Decode)!;

    /// <summary>
    /// Prefill and decode tokens/s of our engine: median of 3 generations after a warm-up; the process's CPU time per
    /// wall second while prefilling and while decoding (≈ the threads ORT-GenAI really got: below the thread count
    /// when other work holds the cores); the 1-minute load average at the end. Printed as one line labelled <paramref name="label"/>.
    /// </summary>
    internal static OursRun Ours(string folder, int[] prompt, int newTokens, string label = "")
    {
        using var model = new Model(folder);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var cpuPrefill = new List<double>();
        var cpuDecode = new List<double>();
        var prefill = new List<double>();
        var decode = new List<double>();
        int[] tokens = [];
        for (var rep = 0; rep < 4; rep++)
        {
            var p = new GeneratorParams(model);
            p.SetSearchOption("max_length", prompt.Length + newTokens);
            p.SetSearchOption("min_length", prompt.Length + newTokens);   // random weights: never stop early on EOS
            using var g = new Generator(model, p);
            self.Refresh();
            var cpuStart = self.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            g.AppendTokens(prompt);
            var tPrefill = sw.Elapsed.TotalSeconds;
            self.Refresh();
            var cpuAfterPrefill = self.TotalProcessorTime;
            g.GenerateNextToken();                                          // first token from the prefill logits
            self.Refresh();
            var cpu0 = self.TotalProcessorTime;
            sw.Restart();
            while (!g.IsDone()) g.GenerateNextToken();                      // newTokens − 1 decode steps
            var tDecode = sw.Elapsed.TotalSeconds;
            self.Refresh();
            tokens = g.GetGeneratedTokens(0).ToArray();
            if (rep == 0) continue;                                         // warm-up
            cpuPrefill.Add((cpuAfterPrefill - cpuStart).TotalSeconds / tPrefill);
            cpuDecode.Add((self.TotalProcessorTime - cpu0).TotalSeconds / tDecode);
            prefill.Add(prompt.Length / tPrefill);
            decode.Add((newTokens - 1) / tDecode);
        }
        var run = new OursRun(Median(prefill), Median(decode), tokens, Median(cpuPrefill), Median(cpuDecode), LoadAverage());
        if (label.Length > 0)
            Console.WriteLine($"   {label}: prefill {run.Prefill:F1} tok/s (cpu/wall {run.PrefillCpuPerWall:F2}), decode {run.Decode:F2} tok/s " +
                              $"(cpu/wall {run.DecodeCpuPerWall:F2}); load average {run.Load}");
        return run;
    }

    /// <summary>The 1-, 5- and 15-minute load averages (/proc/loadavg), or "n/a".</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    static string CpuModel() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?";

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
