namespace Toolkit.Core.Onnx;

/// <summary>
/// An ONNX Runtime GenAI <c>genai_config.json</c> for a decoder-only model (onnxruntime-genai src/config.h): what the
/// folder holds and how to run it. Read with <see cref="GenAiConfigJson.Read"/> (strict, as ORT-GenAI is: an unknown key
/// is an error), written with <see cref="GenAiConfigJson.Write"/> (only keys ORT-GenAI accepts).
/// </summary>
public sealed record GenAiConfig
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "genai_config.json";

    /// <summary>model.type: "llama", "qwen2", "mistral", ... (ORT-GenAI's LLM type list).</summary>
    public required string ModelType { get; init; }
    /// <summary>model.bos_token_id.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>model.eos_token_id: one id or several (written as a list when several).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary>model.pad_token_id.</summary>
    public int? PadTokenId { get; init; }
    /// <summary>model.vocab_size.</summary>
    public required int VocabSize { get; init; }
    /// <summary>model.context_length: longest sequence the model supports.</summary>
    public required int ContextLength { get; init; }
    /// <summary>model.tokenizer_dir, relative to the config's folder; null = the folder itself.</summary>
    public string? TokenizerDir { get; init; }
    /// <summary>model.decoder.</summary>
    public required GenAiDecoder Decoder { get; init; }
    /// <summary>search: default decoding settings.</summary>
    public GenAiSearch Search { get; init; } = new();
}

/// <summary>model.decoder of genai_config.json: the ONNX file, its shape numbers and its I/O names.</summary>
public sealed record GenAiDecoder
{
    /// <summary>filename: the ONNX file, relative to the config's folder.</summary>
    public required string Filename { get; init; }
    /// <summary>hidden_size.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>num_attention_heads.</summary>
    public required int NumAttentionHeads { get; init; }
    /// <summary>num_key_value_heads (KV cache heads).</summary>
    public required int NumKeyValueHeads { get; init; }
    /// <summary>num_hidden_layers (KV cache layers).</summary>
    public required int NumHiddenLayers { get; init; }
    /// <summary>head_size.</summary>
    public required int HeadSize { get; init; }
    /// <summary>session_options: log_id, intra_op_num_threads, graph_optimization_level, ...; other string entries are ORT session config entries.</summary>
    public IReadOnlyDictionary<string, object> SessionOptions { get; init; } = new Dictionary<string, object> { ["log_id"] = "onnxruntime-genai", ["provider_options"] = Array.Empty<object>() };
    /// <summary>inputs.input_ids name.</summary>
    public string InputIds { get; init; } = "input_ids";
    /// <summary>inputs.attention_mask name.</summary>
    public string AttentionMask { get; init; } = "attention_mask";
    /// <summary>inputs.position_ids name, or null when the graph has no such input (written only when set).</summary>
    public string? PositionIds { get; init; }
    /// <summary>inputs.past_key_names (a %d pattern over layers).</summary>
    public string PastKeyNames { get; init; } = "past_key_values.%d.key";
    /// <summary>inputs.past_value_names.</summary>
    public string PastValueNames { get; init; } = "past_key_values.%d.value";
    /// <summary>outputs.logits name.</summary>
    public string Logits { get; init; } = "logits";
    /// <summary>outputs.present_key_names.</summary>
    public string PresentKeyNames { get; init; } = "present.%d.key";
    /// <summary>outputs.present_value_names.</summary>
    public string PresentValueNames { get; init; } = "present.%d.value";

    /// <summary>The past-key input name of <paramref name="layer"/>.</summary>
    public string PastKey(int layer) => Format(PastKeyNames, layer);
    /// <summary>The past-value input name of <paramref name="layer"/>.</summary>
    public string PastValue(int layer) => Format(PastValueNames, layer);
    /// <summary>The present-key output name of <paramref name="layer"/>.</summary>
    public string PresentKey(int layer) => Format(PresentKeyNames, layer);
    /// <summary>The present-value output name of <paramref name="layer"/>.</summary>
    public string PresentValue(int layer) => Format(PresentValueNames, layer);

    static string Format(string pattern, int layer) => pattern.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}

/// <summary>search of genai_config.json (defaults as ORT-GenAI's struct Search).</summary>
public sealed record GenAiSearch
{
    /// <summary>do_sample (false = greedy).</summary>
    public bool DoSample { get; init; }
    /// <summary>min_length: prompt + generated tokens before EOS may end generation.</summary>
    public int MinLength { get; init; }
    /// <summary>max_length: prompt + generated tokens (0 = context_length).</summary>
    public int MaxLength { get; init; }
    /// <summary>num_beams (only 1 is supported by this toolkit's engine).</summary>
    public int NumBeams { get; init; } = 1;
    /// <summary>num_return_sequences.</summary>
    public int NumReturnSequences { get; init; } = 1;
    /// <summary>repetition_penalty (1 = off).</summary>
    public double RepetitionPenalty { get; init; } = 1.0;
    /// <summary>top_k.</summary>
    public int TopK { get; init; } = 50;
    /// <summary>top_p (0 or 1 = off).</summary>
    public double TopP { get; init; }
    /// <summary>temperature.</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>early_stopping.</summary>
    public bool EarlyStopping { get; init; } = true;
    /// <summary>no_repeat_ngram_size.</summary>
    public int NoRepeatNgramSize { get; init; }
    /// <summary>diversity_penalty.</summary>
    public double DiversityPenalty { get; init; }
    /// <summary>length_penalty.</summary>
    public double LengthPenalty { get; init; } = 1.0;
    /// <summary>past_present_share_buffer: the KV cache is one max_length buffer bound as both past and present (needs a GroupQueryAttention graph).</summary>
    public bool PastPresentShareBuffer { get; init; }
    /// <summary>random_seed (-1 = nondeterministic).</summary>
    public int RandomSeed { get; init; } = -1;
}
