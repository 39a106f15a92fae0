using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;
using Toolkit.Train.Data.Synthetic;
using Toolkit.Train.Model;
using Toolkit.Train.Training;
using TorchSharp;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// Shared files for the trainer tests, made once per test process: a byte-level BPE tokenizer (ChatML, tiny-preset
/// template) trained on the synthetic task's corpus, a small random checkpoint folder (2 layers, hidden 64) and the
/// synthetic task's SFT / pair files. Runs go to fresh temporary folders.
/// </summary>
static class TrainKit
{
    static readonly Lazy<string> Files = new(Make);

    public static string Root => Files.Value;
    public static string ModelDir => Path.Combine(Root, "model");
    public static string TokenizerDir => Path.Combine(Root, "tokenizer");
    public static string Pairs => Path.Combine(Root, "data", "pairs.jsonl");
    public static string Sft => Path.Combine(Root, "data", "sft.jsonl");

    public static ModelConfig SmallConfig(int vocab) => Presets.Get("tiny", vocab) with
    {
        HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 16,
    };

    static string Make()
    {
        var root = Path.Combine(Path.GetTempPath(), $"tk-trainer-tests-{Environment.ProcessId}");
        if (Directory.Exists(root)) Directory.Delete(root, true);
        var task = new SyntheticTask(new SyntheticOptions { SftCount = 96, PairCount = 96, HeldOutCount = 8, Seed = 7 });
        task.WriteFiles(Path.Combine(root, "data"));

        // tokenizer: as `toolkit train-tokenizer` makes it (ChatML specials, EOS <|im_end|>, pad <|endoftext|>, tiny template)
        var bpe = BpeTrainer.Train(task.TokenizerCorpus(800), 500, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
        bpe.EosToken = "<|im_end|>";
        bpe.PadToken = "<|endoftext|>";
        bpe.Save(TokenizerDirOf(root));
        var configPath = Path.Combine(TokenizerDirOf(root), "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = ChatTemplate.TinyPresetSource;
        File.WriteAllText(configPath, config.ToJsonString());

        // model: random small checkpoint with the tokenizer beside it
        var tok = Tokenizer.FromFolder(TokenizerDirOf(root));
        var modelDir = Path.Combine(root, "model");
        var cfg = SmallConfig(tok.VocabSize) with { EosTokenIds = tok.EosId is int e ? [e] : [] };
        using (var w = DecoderWeights.Random(cfg, 3)) w.Save(modelDir, new GenerationConfig { EosTokenIds = cfg.EosTokenIds, PadTokenId = tok.PadId });
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(TokenizerDirOf(root), f), Path.Combine(modelDir, f));
        return root;
    }

    static string TokenizerDirOf(string root) => Path.Combine(root, "tokenizer");

    static int _runs;

    /// <summary>A fresh, empty output folder.</summary>
    public static string NewOut(string name)
    {
        var dir = Path.Combine(Root, "runs", $"{name}-{Interlocked.Increment(ref _runs)}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        return dir;
    }

    /// <summary>DPO options on the small model and synthetic pairs: fp32, no warmup, few steps; threads left as the process has them (same-process comparisons stay exact).</summary>
    public static PreferenceOptions Dpo(string outDir, string kind = "dpo") => PreferenceOptions.For(kind) with
    {
        Model = ModelDir, Data = Pairs, OutputDir = outDir, LearningRate = 1e-3, MaxSteps = 4, PerDeviceTrainBatchSize = 4,
        PerDeviceEvalBatchSize = 8, Bf16 = Bf16Mode.False, WarmupRatio = 0, ValidationSplit = 0.1, EvalSteps = 0,
        SaveSteps = 0, MaxLength = 96,
    };

    /// <summary>SFT options on the small model and synthetic conversations.</summary>
    public static SftOptions SftRun(string outDir) => new()
    {
        Model = ModelDir, Data = Sft, OutputDir = outDir, LearningRate = 3e-3, MaxSteps = 4, PerDeviceTrainBatchSize = 4,
        PerDeviceEvalBatchSize = 8, Bf16 = Bf16Mode.False, WarmupRatio = 0, ValidationSplit = 0.1, EvalSteps = 0,
        SaveSteps = 0, MaxLength = 96,
    };

    /// <summary>Builds and runs <paramref name="o"/>; returns the metrics records and the trainable tensors' values after training.</summary>
    public static (List<Dictionary<string, double>> Metrics, Dictionary<string, float[]> Weights) Run(TrainOptions o,
        Action<Trainer>? configure = null, List<string>? log = null)
    {
        using var setup = TrainingSetup.Build(o, s => log?.Add(s));
        var trainer = setup.CreateTrainer(s => log?.Add(s));
        configure?.Invoke(trainer);
        trainer.Run();
        var weights = setup.Policy.Trainable.ToDictionary(p => p.Name, p => Floats(p.Tensor));
        return (Metrics(o.OutputDir!), weights);
    }

    public static List<Dictionary<string, double>> Metrics(string outDir) =>
        [.. MetricsLog.Read(Path.Combine(outDir, "metrics.jsonl")).Select(r => r.ToDictionary(kv => kv.Key, kv => kv.Value))];

    public static float[] Floats(torch.Tensor t)
    {
        using var d = t.detach();
        using var f = d.to(torch.ScalarType.Float32);
        return f.data<float>().ToArray();
    }

    public static double MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
