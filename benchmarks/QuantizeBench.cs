using System.Diagnostics;
using Toolkit.Core.Native;
using Toolkit.Core.Onnx;
using System.Text.Json.Nodes;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;
using Toolkit.Export;
using Toolkit.Quantize;
using Toolkit.Quantize.Report;
using Toolkit.Train.Data.Synthetic;
using Toolkit.Train.Model;
using Toolkit.Train.Training;

namespace Toolkit.Benchmarks;

/// <summary>
/// `--only quantize` (issue 12's benchmark), two parts in one run:
/// <list type="number">
/// <item>Decode on the Qwen2.5-0.5B-shaped fp32 folder (<see cref="DecodeBench.EnsureExported"/>) and two quantized copies
/// (int8 per-channel; int4 block 32, MatMulNBits accuracy_level 4 = int8 compute), all cached under build/bench-models/:
/// ORT-GenAI decode tok/s (batch 1, greedy, 64-token prompt, 32 new tokens, median of 3 after a warm-up, as
/// <see cref="DecodeBench"/>) and peak RSS, each variant in its own child process (VmHWM of a fresh process: not fooled by
/// memory an earlier variant freed). Each variant is set against its own bandwidth bound: read bandwidth measured just before it ÷ bytes
/// its graph reads per token (every initializer, except a table read only by Gather, of which one row).</item>
/// <item>Δperplexity per scheme of <c>quantize report --sweep</c> (RTN grid + GPTQ at block 32 / 128) on a short version of
/// the demo's model (<see cref="DemoModel"/>) over the synthetic task's held-out questions and good answers, GPTQ calibrated on
/// its SFT rows: ratio = quantized perplexity / fp32 perplexity (lower is better, the one exception to "higher is better"
/// in this group), with Δppl %, mean KL (nats), top-1 agreement and greedy match in the settings.</item>
/// </list>
/// The goals of issue 12 are printed as met / missed at the end.
/// </summary>
static class QuantizeBench
{
    /// <summary>First argument of the child process that decodes one folder (see <see cref="Child"/>).</summary>
    public const string ChildFlag = "--quantize-decode-child";

    const string Preset = "qwen2.5-0.5b";
    const int PromptTokens = 64, NewTokens = 32;

    public static void Run(Results results)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown";
        var threads = Math.Max(1, Environment.ProcessorCount);
        Console.WriteLine($"   CPU: {cpu} ({threads} logical cores)");
        var goals = new List<string>();
        Decode(results, cpu, threads, goals);
        Perplexity(results, cpu, goals);
        foreach (var g in goals) Console.WriteLine($"   goal {g}");
    }

    // ---------------------------------------------------------------- decode speed and memory on the 0.5B shape

    static void Decode(Results results, string cpu, int threads, List<string> goals)
    {
        var fp32 = DecodeBench.EnsureExported(Preset, PromptTokens + NewTokens + 64);
        var variants = new List<(string Name, string Folder)>
        {
            ("fp32", fp32),
            ("int8-channel", Quantized(fp32, "int8-channel", new QuantizeOptions { Bits = 8, Granularity = Granularity.Channel })),
            ("int4-block32", Quantized(fp32, "int4-block32", new QuantizeOptions { Bits = 4, Granularity = Granularity.Block, BlockSize = 32, AccuracyLevel = 4 })),
        };
        var runs = new Dictionary<string, ChildRun>();
        var bounds = new Dictionary<string, double>();
        foreach (var (name, folder) in variants)
        {
            // measured just before each variant: on a shared machine the bandwidth moves (21 to 57 GB/s between two runs here)
            var bandwidth = DecodeBench.MeasureBandwidth(threads);
            var run = RunChild(folder);
            var bytes = BytesPerToken(folder);
            runs[name] = run;
            var bound = bounds[name] = bandwidth / bytes;
            Console.WriteLine($"   {name}: decode {run.DecodeTokPerSec:F2} tok/s (bound {bound:F2} = {bandwidth / 1e9:F1} GB/s ÷ {bytes / 1e6:F0} MB/token), " +
                              $"prefill {run.PrefillTokPerSec:F1} tok/s, peak RSS {run.PeakRssMb:F0} MB ({run.PeakRssMb - run.StartRssMb:F0} MB above the process before load)");
            results.Higher($"quantize.decode.{name}_vs_bound", run.DecodeTokPerSec, bound, "tok/s", Settings(cpu, threads, name, new()
            {
                ["baseline"] = "bandwidth bound: measured read bandwidth / bytes the graph reads per token",
                ["bandwidth_GBps"] = Math.Round(bandwidth / 1e9, 2), ["bytes_per_token"] = bytes,
                ["decode_cpu_per_wall"] = Math.Round(run.CpuPerWall, 2),
            }));
        }
        foreach (var name in new[] { "int8-channel", "int4-block32" })
        {
            var s = Settings(cpu, threads, name, new() { ["baseline"] = "fp32 folder, same prompt and engine, same run" });
            results.Higher($"quantize.decode.{name}_vs_fp32", runs[name].DecodeTokPerSec, runs["fp32"].DecodeTokPerSec, "tok/s", s);
            results.Lower($"quantize.peak_rss.{name}_vs_fp32", runs[name].PeakRssMb, runs["fp32"].PeakRssMb, "MB", new(s)
            {
                ["measure"] = "VmHWM of a child process that loads the folder and decodes (whole process, .NET runtime included)",
                ["start_rss_mb"] = Math.Round(runs[name].StartRssMb), ["fp32_start_rss_mb"] = Math.Round(runs["fp32"].StartRssMb),
            });
        }
        var int4 = runs["int4-block32"].DecodeTokPerSec;
        var speedup = int4 / runs["fp32"].DecodeTokPerSec;
        var ofBound = int4 / bounds["int4-block32"];
        goals.Add($"int4 decode ≥ 3× fp32: {speedup:F2}× — {(speedup >= 3 ? "met" : "missed")}");
        goals.Add($"int4 decode ≥ 0.6 of its bound: {ofBound:F2} — {(ofBound >= 0.6 ? "met" : "missed")}");
    }

    static Dictionary<string, object> Settings(string cpu, int threads, string variant, Dictionary<string, object> extra)
    {
        var s = new Dictionary<string, object>
        {
            ["model"] = $"{Preset} random weights (seed 1234)", ["variant"] = variant, ["batch"] = 1, ["prompt_tokens"] = PromptTokens,
            ["new_tokens"] = NewTokens, ["search"] = "greedy", ["threads"] = threads, ["cpu"] = cpu,
            ["engine"] = "ORT-GenAI 0.18 (ORT 1.31.1), folder's session options, one child process per variant",
        };
        foreach (var (k, v) in extra) s[k] = v;
        return s;
    }

    /// <summary>The quantized copy of <paramref name="fp32"/> under build/bench-models/, made again when missing or older than the fp32 folder.</summary>
    static string Quantized(string fp32, string name, QuantizeOptions options)
    {
        var folder = $"{fp32}-{name}";
        var manifest = Path.Combine(folder, QuantizationManifest.FileName);
        if (File.Exists(manifest) && File.GetLastWriteTimeUtc(manifest) >= File.GetLastWriteTimeUtc(Path.Combine(fp32, "model.onnx"))) return folder;
        var sw = Stopwatch.StartNew();
        Quantizer.Run(options with { Model = fp32, Out = folder, Overwrite = true });
        Console.WriteLine($"   quantized {Path.GetFileName(fp32)} to {name} in {sw.Elapsed.TotalSeconds:F0} s ({Quantizer.ModelBytes(folder) / 1e6:F0} MB on disk)");
        return folder;
    }

    /// <summary>
    /// Bytes one decode step reads from the graph's initializers: all of each, except one row of a table that only
    /// Gather nodes read (the embedding lookup). A tied fp32 embedding that the head also reads counts whole.
    /// </summary>
    static long BytesPerToken(string folder)
    {
        var model = OnnxModelReader.Load(Path.Combine(folder, "model.onnx"), loadExternalData: false);
        var consumers = new Dictionary<string, List<string>>();
        foreach (var n in model.Graph.Node)
            foreach (var i in n.Input)
                (consumers.TryGetValue(i, out var l) ? l : consumers[i] = []).Add(n.OpType);
        long total = 0;
        foreach (var t in model.Graph.Initializer)
        {
            var count = t.Dims.Aggregate(1L, (a, b) => a * b);
            var bytes = count * OnnxDataTypes.SizeOf((TensorProto.Types.DataType)t.DataType);
            if (consumers.TryGetValue(t.Name, out var ops) && ops.All(o => o == "Gather") && t.Dims.Count == 2) bytes /= t.Dims[0];
            total += bytes;
        }
        return total;
    }

    sealed record ChildRun(double PrefillTokPerSec, double DecodeTokPerSec, double CpuPerWall, double StartRssMb, double PeakRssMb);

    /// <summary>Decodes <paramref name="folder"/> in a fresh process (<see cref="Child"/>).</summary>
    static ChildRun RunChild(string folder) => ChildProcess.Run<ChildRun>(ChildFlag, folder);

    /// <summary>
    /// Child process: <c>{ChildFlag} FOLDER</c>. Decodes FOLDER with <see cref="DecodeBench.Ours"/> and prints, as its last
    /// line, JSON of tok/s and the process's VmRSS before loading and VmHWM (peak) after, MB.
    /// </summary>
    public static int Child(string[] args)
    {
        var folder = args[1];
        var start = Status("VmRSS:");
        var ids = DecodeBench.PromptIds(Presets.Get(Preset), PromptTokens);   // every variant is of this preset: same prompt
        var (prefill, decode, _, cpuPerWall) = DecodeBench.Ours(folder, ids, NewTokens);
        return ChildProcess.Reply(new ChildRun(prefill, decode, cpuPerWall, start, Status("VmHWM:")));
    }

    /// <summary>A /proc/self/status field in MB (10^6 bytes).</summary>
    static double Status(string field) => ChildProcess.StatusKb(field) * 1024 / 1e6;

    // ---------------------------------------------------------------- Δperplexity per scheme on the tiny preset

    static void Perplexity(Results results, string cpu, List<string> goals)
    {
        var (fp32, heldOut, calibration, about) = DemoModel();
        var work = Directory.CreateTempSubdirectory("toolkit-bench-quantize-").FullName;
        try
        {
            var sw = Stopwatch.StartNew();
            var report = QuantReport.Run(new ReportOptions
            {
                Reference = fp32, Text = heldOut, Sweep = true, Calibration = calibration, CalibrationSamples = 64,
                Samples = 200, MaxTokens = 128, Prompts = 8, NewTokens = 16, Out = Path.Combine(work, "report"),
            });
            var refRow = report.Rows[0];
            Console.WriteLine($"   {about}: sweep of {report.Rows.Count - 1} schemes in {sw.Elapsed.TotalSeconds:F0} s; fp32 perplexity {refRow.Perplexity:F3}");
            foreach (var r in report.Rows.Skip(1))
            {
                Console.WriteLine($"   {r.Variant,-20} Δppl {r.DeltaPplPercent,8:+0.000;-0.000}%  mean KL {r.MeanKl:E2} nats  top-1 {r.Top1Agreement:P1}  greedy match {r.GreedyMatch:P0}  ({r.Scheme})");
                results.Higher($"quantize.ppl.{r.Variant}", r.Perplexity, refRow.Perplexity, "ppl", new()
                {
                    ["model"] = about, ["scheme"] = r.Scheme,
                    ["ratio_means"] = "quantized perplexity / fp32 perplexity: LOWER is better (1 = lossless)",
                    ["delta_ppl_percent"] = Math.Round(r.DeltaPplPercent, 4), ["mean_kl_nats"] = r.MeanKl,
                    ["top1_agreement"] = Math.Round(r.Top1Agreement, 4), ["greedy_match"] = r.GreedyMatch,
                    ["held_out"] = "the synthetic task's 200 held-out questions with their good answers, ChatML-rendered, ≤ 128 tokens each",
                    ["calibration"] = "GPTQ only: the first 64 rows of the task's sft.jsonl", ["cpu"] = cpu,
                });
            }
            ReportRow? Row(string v) => report.Rows.FirstOrDefault(r => r.Variant == v);
            string Of(string v) => Row(v) is { } r ? $"Δppl {r.DeltaPplPercent:+0.000;-0.000}%, KL {r.MeanKl:E2}, top-1 {r.Top1Agreement:P1}" : "not run";
            double Delta(string v) => Row(v)?.DeltaPplPercent ?? double.NaN;
            double Kl(string v) => Row(v)?.MeanKl ?? double.NaN;
            goals.Add($"int8 per-channel Δppl ≤ 0.5%: {Of("int8-channel")} — {(Math.Abs(Delta("int8-channel")) <= 0.5 ? "met" : "missed")} (|Δ|)");
            goals.Add($"int4 block-32 Δppl ≤ 3%: {Of("int4-block32")} — {(Math.Abs(Delta("int4-block32")) <= 3 ? "met" : "missed")} (|Δ|)");
            // "beats" = closer to the fp32 model: lower mean KL (a Δppl below zero is noise moving away from the reference, not a gain)
            goals.Add($"calibrated beats RTN at block 128 (lower mean KL): GPTQ {Of("int4-block128-gptq")} vs RTN {Of("int4-block128")} — " +
                      (Kl("int4-block128-gptq") < Kl("int4-block128") ? "met" : "missed"));
            goals.Add($"per-tensor int4 beside block 32: {Of("int4-tensor")} vs {Of("int4-block32")}: KL ×{Kl("int4-tensor") / Kl("int4-block32"):F1}");
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The demo's model, shortened: the tiny preset SFT'd from scratch (as <c>make demo</c> step 3, lr 2e-3, batch 16, seed 1,
    /// but <see cref="SftSteps"/> steps instead of 8 epochs) on the synthetic task's sft.jsonl with a 4096-token BPE
    /// tokenizer learned on its corpus, exported to ONNX. Cached under build/bench-models/quantize-demo/. Returns the fp32
    /// folder, the held-out JSONL (questions + good answers, ChatML-rendered, "text" field), the calibration file and a description.
    /// </summary>
    static (string Folder, string HeldOut, string Calibration, string About) DemoModel()
    {
        var root = NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run the benchmarks from the checkout");
        var dir = Path.Combine(root, "build", "bench-models", "quantize-demo");
        var onnx = Path.Combine(dir, "onnx");
        var data = Path.Combine(dir, "data");
        var heldOut = Path.Combine(data, "heldout-text.jsonl");
        var about = $"tiny preset SFT'd {SftSteps} steps on the demo's synthetic task (vocab 4096)";
        if (File.Exists(Path.Combine(onnx, "genai_config.json")) && File.Exists(heldOut)) return (onnx, heldOut, Path.Combine(data, "sft.jsonl"), about);

        var sw = Stopwatch.StartNew();
        var task = new SyntheticTask();
        task.WriteFiles(data);
        var tok = Path.Combine(dir, "tokenizer");
        var bpe = BpeTrainer.Train(task.TokenizerCorpus(), 4096, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);   // as `toolkit train-tokenizer`
        bpe.EosToken = "<|im_end|>";
        bpe.PadToken = "<|endoftext|>";
        bpe.Save(tok);
        var configPath = Path.Combine(tok, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = ChatTemplate.TinyPresetSource;
        Toolkit.Core.Checkpoints.AtomicFile.WriteAllText(configPath, config.ToJsonString());
        var template = ChatTemplate.FromTokenizerConfig(configPath);
        Toolkit.Core.Checkpoints.AtomicFile.WriteAllLines(heldOut, task.HeldOut().Select(q => new JsonObject
        {
            ["text"] = template.Render([ChatMessage.User(q.Prompt), ChatMessage.Assistant(SyntheticTask.GoodAnswer(q))], addGenerationPrompt: false),
        }.ToJsonString()));

        var sft = Path.Combine(dir, "sft");
        using (var setup = TrainingSetup.Build(new SftOptions
        {
            Preset = "tiny", Tokenizer = tok, Data = Path.Combine(data, "sft.jsonl"), OutputDir = sft, LearningRate = 2e-3,
            MaxSteps = SftSteps, PerDeviceTrainBatchSize = 16, WarmupRatio = 0.05, EvalSteps = SftSteps, SaveSteps = 0, Seed = 1,
        }))
            setup.CreateTrainer().Run();
        var tmp = onnx + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        OnnxExporter.Export(sft, tmp);
        if (Directory.Exists(onnx)) Directory.Delete(onnx, recursive: true);
        Directory.Move(tmp, onnx);
        Console.WriteLine($"   demo model: SFT {SftSteps} steps and export in {sw.Elapsed.TotalSeconds:F0} s → {onnx}");
        return (onnx, heldOut, Path.Combine(data, "sft.jsonl"), about);
    }

    const int SftSteps = 200;
}
