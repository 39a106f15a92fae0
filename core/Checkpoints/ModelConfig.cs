using System.Text.Json;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// A decoder's architecture as HF config.json states it, for model_type llama, qwen2 and mistral (all: pre-norm RMSNorm
/// decoder, rotary attention with grouped KV heads, SwiGLU MLP). Read with <see cref="ModelConfigJson.Read"/>, written
/// with <see cref="ModelConfigJson.Write"/>. JSON names are given in each property's doc.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>model_type values the toolkit supports.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "qwen2", "mistral"];

    /// <summary>model_type: "llama", "qwen2" or "mistral".</summary>
    public required string ModelType { get; init; }
    /// <summary>hidden_size: width of the residual stream.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>intermediate_size: width of the MLP's gate/up projections.</summary>
    public required int IntermediateSize { get; init; }
    /// <summary>num_hidden_layers.</summary>
    public required int NumHiddenLayers { get; init; }
    /// <summary>num_attention_heads (query heads).</summary>
    public required int NumAttentionHeads { get; init; }
    /// <summary>num_key_value_heads; when absent from the file: num_attention_heads (llama, qwen2) or 8 (mistral, as transformers' MistralConfig). Divides num_attention_heads.</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary>head_dim; when absent or null in the file: hidden_size / num_attention_heads.</summary>
    public required int HeadDim { get; init; }
    /// <summary>vocab_size: rows of the embedding and of lm_head.</summary>
    public required int VocabSize { get; init; }
    /// <summary>max_position_embeddings: the longest context the model was configured for.</summary>
    public required int MaxPositionEmbeddings { get; init; }
    /// <summary>rms_norm_eps (default 1e-6).</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary>rope_theta: rotary base (default 10000).</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>rope_scaling: null (none, or {"rope_type": "default"}) or Llama 3.1's "llama3" kind; other kinds are refused on read.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>tie_word_embeddings: lm_head shares the embedding matrix (default false).</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>attention_bias: biases on the attention projections. llama: q/k/v/o when true (default false); qwen2: always q/k/v (implied, not in the file); mistral: never.</summary>
    public bool AttentionBias { get; init; }
    /// <summary>mlp_bias (llama only; default false): biases on gate/up/down.</summary>
    public bool MlpBias { get; init; }
    /// <summary>hidden_act: only "silu" is supported.</summary>
    public string HiddenAct { get; init; } = "silu";
    /// <summary>bos_token_id, or null.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>eos_token_id: one id or several (Llama 3 lists three); empty when absent.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>torch_dtype (or "dtype" in newer files): the dtype the weights were saved in, e.g. "bfloat16"; null when absent.</summary>
    public string? TorchDtype { get; init; }
    /// <summary>sliding_window as written (mistral: default 4096, null = full attention; qwen2: used only when <see cref="UseSlidingWindow"/>).</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>use_sliding_window (qwen2 only; default false).</summary>
    public bool UseSlidingWindow { get; init; }
    /// <summary>transformers_version the file was written by; null for a config made in code (the writer then writes <see cref="ModelConfigJson.DefaultTransformersVersion"/>).</summary>
    public string? TransformersVersion { get; init; }
    /// <summary>Every other field of the file (initializer_range, use_cache, max_window_layers, ...), kept verbatim and written back.</summary>
    public IReadOnlyDictionary<string, JsonElement> ExtraFields { get; init; } = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);

    /// <summary>Reads and validates config.json at <paramref name="path"/> (see <see cref="ModelConfigJson.Read"/>).</summary>
    public static ModelConfig Read(string path) => ModelConfigJson.Read(path);

    /// <summary>Validates and writes config.json to <paramref name="path"/> atomically (see <see cref="ModelConfigJson.Write"/>).</summary>
    public void Write(string path) => ModelConfigJson.Write(path, this);

    /// <summary>The window attention is limited to, or null for full attention (qwen2 ignores sliding_window unless use_sliding_window).</summary>
    public int? EffectiveSlidingWindow => ModelType == "qwen2" && !UseSlidingWindow ? null : SlidingWindow;

    /// <summary>HF architecture class name: LlamaForCausalLM, Qwen2ForCausalLM or MistralForCausalLM.</summary>
    public string Architecture => ModelType switch
    {
        "llama" => "LlamaForCausalLM",
        "qwen2" => "Qwen2ForCausalLM",
        "mistral" => "MistralForCausalLM",
        _ => throw UnknownType(ModelType, "config"),
    };

    /// <summary>Checks every field; <paramref name="file"/> names the config in messages.</summary>
    public void Validate(string file)
    {
        CheckpointException Bad(string field, string problem, string hint) => new(file, $"{file}: field '{field}' {problem}. HINT: {hint}");
        if (!SupportedModelTypes.Contains(ModelType)) throw UnknownType(ModelType, file);
        foreach (var (field, value) in new[]
                 {
                     ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize), ("num_hidden_layers", NumHiddenLayers),
                     ("num_attention_heads", NumAttentionHeads), ("num_key_value_heads", NumKeyValueHeads), ("head_dim", HeadDim),
                     ("vocab_size", VocabSize), ("max_position_embeddings", MaxPositionEmbeddings),
                 })
            if (value <= 0) throw Bad(field, $"is {value}; it must be positive", "write a positive integer");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw Bad("num_key_value_heads", $"is {NumKeyValueHeads}, which does not divide num_attention_heads = {NumAttentionHeads}",
                "grouped-query attention needs each KV head to serve a whole number of query heads");
        if (!(RmsNormEps > 0) || !double.IsFinite(RmsNormEps)) throw Bad("rms_norm_eps", $"is {RmsNormEps}; it must be a positive number", "1e-6 or 1e-5 are usual");
        if (!(RopeTheta > 0) || !double.IsFinite(RopeTheta)) throw Bad("rope_theta", $"is {RopeTheta}; it must be a positive number", "10000 is the usual default");
        if (HeadDim % 2 != 0) throw Bad("head_dim", $"is {HeadDim}; rotary embeddings need an even head dimension", "check head_dim / hidden_size / num_attention_heads");
        if (HiddenAct != "silu")
            throw Bad("hidden_act", $"is '{HiddenAct}'; only 'silu' (SwiGLU) is supported", "this toolkit implements the SwiGLU MLP of llama/qwen2/mistral only");
        if (ModelType == "qwen2" && !AttentionBias)
            throw Bad("attention_bias", "is false, but qwen2 always has q/k/v biases", "leave AttentionBias true for qwen2");
        if (ModelType == "mistral" && (AttentionBias || MlpBias))
            throw Bad(AttentionBias ? "attention_bias" : "mlp_bias", "is true, but mistral has no biases", "use model_type llama for a biased variant");
        if (RopeScaling is { } r)
        {
            if (!(r.Factor > 0)) throw Bad("rope_scaling.factor", $"is {r.Factor}; it must be positive", "Llama 3.x uses 8 or 32");
            if (!(r.LowFreqFactor > 0) || !(r.HighFreqFactor > r.LowFreqFactor))
                throw Bad("rope_scaling.high_freq_factor", $"is {r.HighFreqFactor} with low_freq_factor {r.LowFreqFactor}; need 0 < low < high",
                    "Llama 3.x uses low_freq_factor 1, high_freq_factor 4");
            if (r.OriginalMaxPositionEmbeddings <= 0)
                throw Bad("rope_scaling.original_max_position_embeddings", $"is {r.OriginalMaxPositionEmbeddings}; it must be positive", "Llama 3.x uses 8192");
        }
        if (SlidingWindow is <= 0) throw Bad("sliding_window", $"is {SlidingWindow}; it must be positive or null", "write null for full attention");
    }

    internal static CheckpointException UnknownType(string modelType, string file) =>
        new(file, $"{file}: field 'model_type' is '{modelType}', which is not supported (supported: {string.Join(", ", SupportedModelTypes)}). " +
                  "HINT: this toolkit builds llama, qwen2 and mistral decoders only; pick a checkpoint of one of those families");
}
