namespace Toolkit.Core.Checkpoints;

/// <summary>
/// An HF checkpoint folder opened for reading: config.json (required), generation_config.json (optional), the weights
/// (model.safetensors, or model.safetensors.index.json with its shards) and the tokenizer files present. Pickle weights
/// (pytorch_model.bin, *.pt, *.pth, *.ckpt) are never loaded: unpickling runs arbitrary code. Disposing the folder
/// disposes <see cref="Weights"/> (tensors are memory-mapped views valid until then).
/// </summary>
public sealed class CheckpointFolder : IDisposable
{
    /// <summary>Extensions / names of pickle-based weight files, refused.</summary>
    static readonly string[] PickleExtensions = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];

    public string Folder { get; }
    public ModelConfig Config { get; }
    /// <summary>generation_config.json, or null when the folder has none.</summary>
    public GenerationConfig? Generation { get; }
    public IWeightView Weights { get; }
    /// <summary>Full path of tokenizer.json, or null when absent.</summary>
    public string? TokenizerJsonPath { get; }
    /// <summary>Full path of tokenizer_config.json (holds chat_template), or null when absent.</summary>
    public string? TokenizerConfigPath { get; }

    CheckpointFolder(string folder, ModelConfig config, GenerationConfig? generation, IWeightView weights, string? tokenizer, string? tokenizerConfig)
    {
        Folder = folder;
        Config = config;
        Generation = generation;
        Weights = weights;
        TokenizerJsonPath = tokenizer;
        TokenizerConfigPath = tokenizerConfig;
    }

    public static CheckpointFolder Open(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
            throw new CheckpointException(folder, $"checkpoint folder '{folder}' does not exist. HINT: check the path");

        // 1) configs
        var configPath = Path.Combine(folder, ModelConfigJson.FileName);
        if (!File.Exists(configPath))
            throw new CheckpointException(configPath,
                $"checkpoint folder '{folder}' has no {ModelConfigJson.FileName}. HINT: an HF checkpoint folder needs config.json beside its weights; copy it from the model's repository");
        var config = ModelConfigJson.Read(configPath);
        var generationPath = Path.Combine(folder, GenerationConfig.FileName);
        var generation = File.Exists(generationPath) ? GenerationConfig.Read(generationPath) : null;

        // 2) weights: single file first (as transformers), then the sharded index; never pickle
        var weights = OpenWeights(folder);

        string? Optional(string name) => File.Exists(Path.Combine(folder, name)) ? Path.Combine(folder, name) : null;
        return new CheckpointFolder(folder, config, generation, weights, Optional("tokenizer.json"), Optional("tokenizer_config.json"));
    }

    static IWeightView OpenWeights(string folder)
    {
        var single = Path.Combine(folder, ShardedSafetensorsWriter.SingleFileName);
        if (File.Exists(single)) return SafetensorsFile.Open(single);
        var index = Path.Combine(folder, ShardedSafetensors.IndexFileName);
        if (File.Exists(index)) return ShardedSafetensors.Open(index);

        var files = Directory.EnumerateFiles(folder).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        var pickles = files.Where(f => PickleExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase)).ToList();
        if (pickles.Count > 0)
            throw new CheckpointException(Path.Combine(folder, pickles[0]),
                $"checkpoint folder '{folder}' holds only pickle weights ({string.Join(", ", pickles)}), and pickle files are never loaded: " +
                "unpickling can execute arbitrary code. HINT: convert them to safetensors where you trust them, e.g. in Python: " +
                "`from safetensors.torch import save_file; save_file(torch.load('pytorch_model.bin', weights_only=True), 'model.safetensors', metadata={'format': 'pt'})`, " +
                "or download the model's safetensors files");
        var others = files.Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal)).ToList();
        throw new CheckpointException(single,
            $"checkpoint folder '{folder}' has no weights: expected {ShardedSafetensorsWriter.SingleFileName} or {ShardedSafetensors.IndexFileName}" +
            (others.Count > 0 ? $" (found {string.Join(", ", others)}, which are not a model's weights under the HF names)" : "") +
            ". HINT: download the model's safetensors weights into the folder (a PEFT adapter folder is opened as an adapter, not as a model)");
    }

    /// <summary>
    /// Writes a checkpoint into <paramref name="folder"/>: weights (sharded past <paramref name="maxShardBytes"/>, see
    /// <see cref="ShardedSafetensorsWriter"/>), then config.json and, when given, generation_config.json. Tokenizer files
    /// are the caller's to copy. Returns the file names written.
    /// </summary>
    public static IReadOnlyList<string> Save(string folder, ModelConfig config, GenerationConfig? generation, IReadOnlyList<ITensorData> tensors,
        long maxShardBytes = ShardedSafetensorsWriter.DefaultMaxShardBytes)
    {
        // config.json's eos_token_id lists every stop id generation_config.json lists (vendors ship both alike)
        if (generation?.EosTokenIds is { Count: > 0 } stops) config = config with { EosTokenIds = [.. config.EosTokenIds.Concat(stops).Distinct()] };
        config.Validate(Path.Combine(folder, ModelConfigJson.FileName));
        var written = new List<string>(ShardedSafetensorsWriter.Write(folder, tensors, maxShardBytes));
        ModelConfigJson.Write(Path.Combine(folder, ModelConfigJson.FileName), config);
        written.Add(ModelConfigJson.FileName);
        if (generation is not null)
        {
            generation.Write(Path.Combine(folder, GenerationConfig.FileName));
            written.Add(GenerationConfig.FileName);
        }
        return written;
    }

    public void Dispose() => Weights.Dispose();
}
