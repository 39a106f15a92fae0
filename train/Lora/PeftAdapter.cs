using Toolkit.Core.Checkpoints;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Lora;

/// <summary>
/// A PEFT-layout LoRA adapter folder: adapter_config.json (<see cref="AdapterConfigJson"/>) and adapter_model.safetensors
/// holding, for each adapted module, <c>base_model.model.{module}.lora_A.weight</c> (r, in) and <c>.lora_B.weight</c>
/// (out, r) — the names <c>PeftModel.save_pretrained</c> writes for a causal LM (adapter name stripped), so
/// <c>PeftModel.from_pretrained(base, folder)</c> reads ours and we read theirs.
/// </summary>
public static class PeftAdapter
{
    /// <summary>The weights file inside an adapter folder.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";

    /// <summary>PEFT's prefix for a causal LM: PeftModel.base_model (LoraModel) → .model (the *ForCausalLM).</summary>
    public const string KeyPrefix = "base_model.model.";

    /// <summary>The state-dict key of A for <paramref name="module"/> (e.g. <c>model.layers.0.self_attn.q_proj</c>).</summary>
    public static string KeyA(string module) => $"{KeyPrefix}{module}.lora_A.weight";

    /// <summary>The state-dict key of B for <paramref name="module"/>.</summary>
    public static string KeyB(string module) => $"{KeyPrefix}{module}.lora_B.weight";

    /// <summary>
    /// Writes <paramref name="adapters"/> into <paramref name="folder"/> (created if needed): the weights first, then
    /// adapter_config.json, each to a temporary file renamed into place, so a reader never sees a half-written file and
    /// the config appears only beside complete weights. Tensors keep their dtype. Returns the file names written.
    /// </summary>
    public static IReadOnlyList<string> Save(LoraAdapters adapters, string folder)
    {
        Directory.CreateDirectory(folder);
        var data = new List<ITensorData>();
        foreach (var (name, t) in adapters.NamedParameters)
        {
            using var scope = torch.NewDisposeScope();
            var c = t.detach().cpu().contiguous();
            var bytes = c.bytes.ToArray();
            data.Add(new TensorBytes(name, ToSafetensors(c.dtype), c.shape, bytes));
        }
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFileName), data, new Dictionary<string, string> { ["format"] = "pt" });
        AdapterConfigJson.Write(Path.Combine(folder, AdapterConfigJson.FileName), adapters.Config);
        return [WeightsFileName, AdapterConfigJson.FileName];
    }

    /// <summary>
    /// Reads the adapter in <paramref name="folder"/> and attaches it to <paramref name="model"/> (tensors cast to
    /// <paramref name="dtype"/>). The config's r and target_modules must describe exactly the tensors in the file, with
    /// the shapes the base model implies; any difference is refused naming the file and the key.
    /// </summary>
    public static LoraAdapters Load(Decoder model, string folder, ScalarType dtype = ScalarType.Float32)
    {
        var configPath = Path.Combine(folder, AdapterConfigJson.FileName);
        var weightsPath = Path.Combine(folder, WeightsFileName);
        var config = AdapterConfigJson.Read(configPath);
        IReadOnlyList<LoraTarget> targets;
        try { targets = LoraTargets.Resolve(config, model.Config); }
        catch (ArgumentException e) { throw new CheckpointException(configPath, $"{configPath}: {e.Message}", e); }

        using var file = SafetensorsFile.Open(weightsPath);
        var expected = targets.SelectMany(t => new[] { KeyA(t.Module), KeyB(t.Module) }).ToHashSet(StringComparer.Ordinal);
        var targetText = config.TargetModulesRegex ?? string.Join(", ", config.TargetModules);
        foreach (var name in file.Names)
            if (!expected.Contains(name))
                throw new CheckpointException(weightsPath,
                    $"{weightsPath}: tensor '{name}' is not an adapter that {configPath} declares (target_modules: {targetText}; {targets.Count} modules of this " +
                    $"{model.Config.NumHiddenLayers}-layer {model.Config.ModelType} decoder). HINT: the config does not belong to these weights, " +
                    "or they were trained on another base model");

        var loaded = new List<(LoraTarget, Tensor, Tensor)>();
        try
        {
            foreach (var t in targets)
                loaded.Add((t, Read(file, KeyA(t.Module), [config.R, t.In], config, configPath, dtype),
                               Read(file, KeyB(t.Module), [t.Out, config.R], config, configPath, dtype)));
        }
        catch
        {
            foreach (var (_, a, b) in loaded) { a.Dispose(); b.Dispose(); }
            throw;
        }
        return LoraAdapters.FromTensors(model, config, loaded);
    }

    static Tensor Read(SafetensorsFile file, string key, long[] shape, LoraConfig config, string configPath, ScalarType dtype)
    {
        if (!file.TryGet(key, out var src))
            throw new CheckpointException(file.Path,
                $"{file.Path}: tensor '{key}' is missing, but {configPath} targets its module (target_modules: " +
                $"{config.TargetModulesRegex ?? string.Join(", ", config.TargetModules)}). HINT: the config does not belong to these weights");
        if (!src.Shape.SequenceEqual(shape))
            throw new CheckpointException(file.Path,
                $"{file.Path}: tensor '{key}' has shape [{string.Join(", ", src.Shape)}]; {configPath} says r = {config.R} and the base model implies " +
                $"[{string.Join(", ", shape)}]. HINT: r in the config must match the tensors, and the adapter must be trained on this base model");
        if (src.DType is not (SafetensorsDType.F32 or SafetensorsDType.BF16 or SafetensorsDType.F16))
            throw new CheckpointException(file.Path, $"{file.Path}: tensor '{key}' is {src.DType}; LoRA weights must be F32, BF16 or F16. HINT: re-save the adapter in a float type");
        using var scope = torch.NewDisposeScope();
        return torch.tensor(src.ToFloat32(), shape).to(dtype).DetachFromDisposeScope();
    }

    static SafetensorsDType ToSafetensors(ScalarType t) => t switch
    {
        ScalarType.Float32 => SafetensorsDType.F32,
        ScalarType.BFloat16 => SafetensorsDType.BF16,
        ScalarType.Float16 => SafetensorsDType.F16,
        _ => throw new ArgumentException($"LoRA adapters are saved as float32, bfloat16 or float16, not {t}"),
    };

}
