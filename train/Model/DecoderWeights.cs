using Toolkit.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace Toolkit.Train.Model;

/// <summary>
/// The decoder's parameters under Hugging Face's names (<c>model.layers.0.self_attn.q_proj.weight</c>, ...), so a
/// checkpoint folder maps one to one. Owns its tensors: each is a TorchSharp <see cref="Parameter"/> (frozen until a
/// <c>Policy</c> or LoRA marks it trainable) living outside any dispose scope until <see cref="Dispose"/>.
/// </summary>
public sealed class DecoderWeights : IDisposable
{
    readonly Dictionary<string, Tensor> tensors = new(StringComparer.Ordinal);

    public ModelConfig Config { get; }

    DecoderWeights(ModelConfig config) => Config = config;

    /// <summary>Parameter <paramref name="name"/>; a missing one is a bug in the caller or a checkpoint we refused to load.</summary>
    public Tensor this[string name] => tensors[name];

    /// <summary>Parameter <paramref name="name"/>, or null (optional biases).</summary>
    public Tensor? Get(string name) => tensors.GetValueOrDefault(name);

    /// <summary>All parameters in a fixed order (the order of <see cref="ExpectedNames"/>).</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> All => ExpectedNames(Config).Select(n => (n, tensors[n])).ToList();

    /// <summary>The parameter names and shapes a checkpoint of <paramref name="c"/> must hold.</summary>
    public static IEnumerable<(string Name, long[] Shape)> ExpectedShapes(ModelConfig c)
    {
        long h = c.HiddenSize, q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim, f = c.IntermediateSize;
        yield return ("model.embed_tokens.weight", [c.VocabSize, h]);
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}.";
            yield return (p + "input_layernorm.weight", [h]);
            yield return (p + "self_attn.q_proj.weight", [q, h]);
            yield return (p + "self_attn.k_proj.weight", [kv, h]);
            yield return (p + "self_attn.v_proj.weight", [kv, h]);
            if (c.AttentionBias)
            {
                yield return (p + "self_attn.q_proj.bias", [q]);
                yield return (p + "self_attn.k_proj.bias", [kv]);
                yield return (p + "self_attn.v_proj.bias", [kv]);
            }
            yield return (p + "self_attn.o_proj.weight", [h, q]);
            yield return (p + "post_attention_layernorm.weight", [h]);
            yield return (p + "mlp.gate_proj.weight", [f, h]);
            yield return (p + "mlp.up_proj.weight", [f, h]);
            yield return (p + "mlp.down_proj.weight", [h, f]);
        }
        yield return ("model.norm.weight", [h]);
        if (!c.TieWordEmbeddings) yield return ("lm_head.weight", [c.VocabSize, h]);
    }

    static IEnumerable<string> ExpectedNames(ModelConfig c) => ExpectedShapes(c).Select(e => e.Name);

    /// <summary>Random initialization as transformers does it: linear and embedding weights ~ N(0, 0.02), norms 1, biases 0.</summary>
    public static DecoderWeights Random(ModelConfig config, long seed, ScalarType dtype = ScalarType.Float32)
    {
        torch.manual_seed(seed);
        var w = new DecoderWeights(config);
        using var scope = torch.NewDisposeScope();
        foreach (var (name, shape) in ExpectedShapes(config))
        {
            var t = name.EndsWith("norm.weight") ? torch.ones(shape, dtype)
                : name.EndsWith(".bias") ? torch.zeros(shape, dtype)
                : torch.randn(shape).mul(0.02).to(dtype);
            w.tensors[name] = new Parameter(t.DetachFromDisposeScope(), requires_grad: false);
        }
        return w;
    }

    /// <summary>Loads the parameters of an open checkpoint folder as <paramref name="dtype"/>; names and shapes are checked against the config.</summary>
    public static unsafe DecoderWeights Load(CheckpointFolder folder, ScalarType dtype = ScalarType.Float32)
    {
        var w = new DecoderWeights(folder.Config);
        using var scope = torch.NewDisposeScope();
        foreach (var (name, shape) in ExpectedShapes(folder.Config))
        {
            if (!folder.Weights.TryGet(name, out var src))
                throw new CheckpointException(folder.Folder,
                    $"{folder.Folder}: tensor '{name}' is missing from the weights; config.json describes a {folder.Config.ModelType} " +
                    $"with {folder.Config.NumHiddenLayers} layers{(folder.Config.TieWordEmbeddings ? " and tied embeddings" : "")}. " +
                    "HINT: check that config.json belongs to these weights.");
            if (!src.Shape.SequenceEqual(shape))
                throw new CheckpointException(src.FilePath,
                    $"{src.FilePath}: tensor '{name}' has shape [{string.Join(", ", src.Shape)}], config.json implies [{string.Join(", ", shape)}].");
            var raw = torch.empty(shape, ToScalarType(src.DType, src.FilePath, name), torch.CPU);
            if (src.ByteLength > int.MaxValue)
                throw new CheckpointException(src.FilePath, $"{src.FilePath}: tensor '{name}' has {src.ByteLength} bytes; one tensor is limited to 2 GiB here.");
            raw.bytes = new Span<byte>((void*)src.Address, (int)src.ByteLength);
            w.tensors[name] = new Parameter(raw.to(dtype).DetachFromDisposeScope(), requires_grad: false);
        }
        return w;
    }

    /// <summary>
    /// Moves every parameter to <paramref name="device"/> (each becomes a new <see cref="Parameter"/> with the same
    /// requires_grad; the old one is disposed). Do it before an optimizer is created over them. No-op on the same device.
    /// </summary>
    public void MoveTo(Device device)
    {
        foreach (var name in tensors.Keys.ToList())
        {
            var old = tensors[name];
            if (old.device.type == device.type && old.device.index == device.index) continue;
            using (torch.no_grad())
                tensors[name] = new Parameter(old.detach().to(device).DetachFromDisposeScope(), old.requires_grad);
            old.Dispose();
        }
    }

    /// <summary>Writes an HF checkpoint folder (config.json, model.safetensors or shards) with tensors stored as <paramref name="dtype"/>.</summary>
    public IReadOnlyList<string> Save(string folder, GenerationConfig? generation = null, ScalarType dtype = ScalarType.Float32)
    {
        var data = new List<ITensorData>();
        foreach (var (name, t) in All)
        {
            using var scope = torch.NewDisposeScope();
            var cast = t.detach().to(dtype).cpu().contiguous();
            var bytes = cast.bytes.ToArray();
            data.Add(new TensorBytes(name, ToSafetensors(dtype), cast.shape, bytes));
        }
        var config = Config with { TorchDtype = dtype switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" } };
        return CheckpointFolder.Save(folder, config, generation, data);
    }

    static ScalarType ToScalarType(SafetensorsDType d, string file, string name) => d switch
    {
        SafetensorsDType.F32 => ScalarType.Float32,
        SafetensorsDType.BF16 => ScalarType.BFloat16,
        SafetensorsDType.F16 => ScalarType.Float16,
        SafetensorsDType.F64 => ScalarType.Float64,
        _ => throw new CheckpointException(file, $"{file}: tensor '{name}' is {d}; decoder weights must be F32, BF16, F16 or F64."),
    };

    static SafetensorsDType ToSafetensors(ScalarType t) => t switch
    {
        ScalarType.Float32 => SafetensorsDType.F32,
        ScalarType.BFloat16 => SafetensorsDType.BF16,
        ScalarType.Float16 => SafetensorsDType.F16,
        _ => throw new ArgumentException($"checkpoints are written as float32, bfloat16 or float16, not {t}"),
    };

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
        tensors.Clear();
    }
}
