using Toolkit.Core.Checkpoints;
using Toolkit.Train.Lora;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace Toolkit.Train.Training;

/// <summary>
/// The model being trained: a <see cref="Decoder"/> (float32 master weights), optionally with LoRA adapters, the
/// tensors the optimizer updates, and how to write it out — an HF checkpoint folder for a full fine-tune (what
/// <see cref="CheckpointFolder"/> and <see cref="DecoderWeights.Load"/> read back), a PEFT adapter folder with LoRA (or
/// the merged checkpoint with merge_lora). Tokenizer files are copied beside the weights so every output is usable alone.
/// </summary>
public sealed class Policy : IDisposable
{
    /// <summary>The decoder.</summary>
    public Decoder Model { get; }

    /// <summary>The LoRA adapters, or null for a full fine-tune.</summary>
    public LoraAdapters? Adapters { get; }

    /// <summary>generation_config.json to write with the weights (from the starting checkpoint, or from the tokenizer).</summary>
    public GenerationConfig? Generation { get; init; }

    /// <summary>Folder whose tokenizer.json / tokenizer_config.json are copied into every output.</summary>
    public string? TokenizerFolder { get; init; }

    /// <summary>Trainable tensors under their saved names (HF names, or PEFT names with LoRA), in a fixed order.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Trainable { get; }

    /// <summary>Wraps <paramref name="model"/>; without adapters every weight becomes trainable (requires_grad).</summary>
    public Policy(Decoder model, LoraAdapters? adapters = null)
    {
        Model = model;
        Adapters = adapters;
        Trainable = adapters?.NamedParameters ?? model.Weights.All;
        foreach (var (_, t) in Trainable) t.requires_grad = true;
    }

    /// <summary>
    /// Writes the model for use: HF checkpoint (full fine-tune), PEFT adapter, or with <paramref name="merge"/> the
    /// merged checkpoint plus the adapter in folder/adapter. Merging changes the weights: do it last.
    /// </summary>
    public void Save(string folder, bool merge = false)
    {
        Directory.CreateDirectory(folder);
        if (Adapters is null) Model.Weights.Save(folder, Generation);
        else if (!merge) PeftAdapter.Save(Adapters, folder);
        else
        {
            PeftAdapter.Save(Adapters, Path.Combine(folder, "adapter"));
            LoraMerge.SaveMerged(Adapters, folder, Generation);
        }
        CopyTokenizer(folder);
    }

    /// <summary>Copies the tokenizer files into <paramref name="folder"/>.</summary>
    public void CopyTokenizer(string folder)
    {
        if (TokenizerFolder is null) return;
        foreach (var name in Toolkit.Core.Folders.ModelFolder.TokenizerFileNames)
        {
            var src = Path.Combine(TokenizerFolder, name);
            if (File.Exists(src)) AtomicFile.Copy(src, Path.Combine(folder, name));
        }
    }

    /// <summary>The trainable tensors as TorchSharp parameters (what the optimizer updates), in <see cref="Trainable"/>'s order.</summary>
    public IReadOnlyList<Parameter> Parameters => [.. Trainable.Select(p => p.Tensor as Parameter
        ?? throw new InvalidOperationException($"trainable tensor '{p.Name}' is not a TorchSharp Parameter"))];

    /// <summary>Writes the trainable tensors bit-exactly for resuming: a safetensors file of name → tensor (dtype kept).</summary>
    public void SaveState(string path)
    {
        var data = new List<ITensorData>();
        foreach (var (name, t) in Trainable)
        {
            using var scope = torch.NewDisposeScope();
            var c = t.detach().cpu().contiguous();
            data.Add(new TensorBytes(name, ToSafetensors(c.dtype), c.shape, c.bytes.ToArray()));
        }
        SafetensorsWriter.Write(path, data);
    }

    /// <summary>Copies the tensors of a <see cref="SaveState"/> file into the trainable tensors; names and shapes must match.</summary>
    public void LoadState(string path)
    {
        using var file = SafetensorsFile.Open(path);
        using var _ = torch.no_grad();
        foreach (var (name, t) in Trainable)
        {
            if (!file.TryGet(name, out var s))
                throw new InvalidDataException($"{path}: tensor '{name}' is missing. HINT: resume with the same model and lora options as the run that wrote it");
            if (!s.Shape.SequenceEqual(t.shape))
                throw new InvalidDataException($"{path}: tensor '{name}' has shape [{string.Join(", ", s.Shape)}], the model has [{string.Join(", ", t.shape)}]");
            if (s.DType != ToSafetensors(t.dtype))
                throw new InvalidDataException($"{path}: tensor '{name}' is {s.DType}, the model's is {t.dtype}. HINT: resume with the same dtype options");
            using var scope = torch.NewDisposeScope();
            var cpu = torch.empty(t.shape, t.dtype);
            cpu.bytes = s.Span.ToArray();
            t.copy_(cpu);
        }
    }

    static SafetensorsDType ToSafetensors(ScalarType t) => t switch
    {
        ScalarType.Float32 => SafetensorsDType.F32,
        ScalarType.BFloat16 => SafetensorsDType.BF16,
        ScalarType.Float16 => SafetensorsDType.F16,
        _ => throw new ArgumentException($"trainable tensors are float32, bfloat16 or float16, not {t}"),
    };

    /// <summary>True when every trainable value is finite (what is safe to save after a NaN).</summary>
    public bool AllFinite()
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        return Trainable.All(p => double.IsFinite(p.Tensor.detach().abs().max().to(ScalarType.Float64).item<double>()));
    }

    /// <summary>Frees adapters and decoder.</summary>
    public void Dispose()
    {
        Adapters?.Dispose();
        Model.Dispose();
    }
}
