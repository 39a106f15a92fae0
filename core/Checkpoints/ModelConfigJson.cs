using System.Text.Json;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Reads and writes HF config.json for <see cref="ModelConfig"/>. Reading applies transformers' defaults, refuses what
/// the toolkit cannot build (unknown model_type, rope_scaling kinds other than default/llama3, activations other than
/// silu) with messages naming the file and field, and keeps every other field verbatim. Writing produces what
/// transformers needs to load the model (architectures, model_type, every field above, transformers_version), keys
/// sorted and indented as <c>save_pretrained</c> does, atomically.
/// </summary>
public static class ModelConfigJson
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "config.json";

    /// <summary>transformers_version written for configs made in code (first release with every field used here).</summary>
    public const string DefaultTransformersVersion = "4.45.0";

    const string Hint = "config.json is the model's HF config; copy it from the model's original repository";

    public static ModelConfig Read(string path)
    {
        using var doc = JsonFields.ParseFile(path, Hint);
        return FromJson(doc.RootElement, path);
    }

    /// <summary>Builds the config from a parsed config.json object; <paramref name="file"/> names it in messages.</summary>
    public static ModelConfig FromJson(JsonElement root, string file)
    {
        var f = new JsonFields(root, file);
        var modelType = f.String("model_type") ?? throw f.Error("model_type", "is missing",
            $"add \"model_type\": one of {string.Join(", ", ModelConfig.SupportedModelTypes)}");
        if (!ModelConfig.SupportedModelTypes.Contains(modelType)) throw ModelConfig.UnknownType(modelType, file);

        // 1) dimensions
        var hidden = f.RequiredInt("hidden_size", 1);
        var heads = f.RequiredInt("num_attention_heads", 1);
        var kvHeads = f.Int("num_key_value_heads", 1) ?? (modelType == "mistral" && !root.TryGetProperty("num_key_value_heads", out _) ? 8 : heads);
        var headDim = f.Int("head_dim", 1);
        if (headDim is null && hidden % heads != 0)
            throw f.Error("head_dim", $"is absent and hidden_size {hidden} is not a multiple of num_attention_heads {heads}", "write head_dim explicitly");

        // 2) rope, activation, biases, ids
        var rope = ReadRopeScaling(f);
        var act = f.String("hidden_act") ?? "silu";
        if (act != "silu")
            throw f.Error("hidden_act", $"is '{act}'; only 'silu' is supported", "this toolkit implements the SwiGLU (silu) MLP of llama/qwen2/mistral only");
        var attentionBias = f.Bool("attention_bias") ?? false;
        if (modelType == "qwen2") attentionBias = true; // Qwen2 always has q/k/v biases (no field in its config)
        var bos = f.Int("bos_token_id");
        var eos = f.IntOrList("eos_token_id") ?? [];
        var torchDtype = f.String("torch_dtype");
        var dtype = f.String("dtype") is { } newName ? torchDtype ?? newName : torchDtype; // transformers >= 4.56 writes "dtype"
        int? window = modelType == "llama" ? null // llama has no sliding window: the field, if any, stays an extra
            : root.TryGetProperty("sliding_window", out _) ? f.Int("sliding_window", 1)
            : modelType == "mistral" ? 4096 : null; // MistralConfig's default
        f.Get("architectures");

        var config = new ModelConfig
        {
            ModelType = modelType,
            HiddenSize = hidden,
            IntermediateSize = f.RequiredInt("intermediate_size", 1),
            NumHiddenLayers = f.RequiredInt("num_hidden_layers", 1),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim ?? hidden / heads,
            VocabSize = f.RequiredInt("vocab_size", 1),
            MaxPositionEmbeddings = f.RequiredInt("max_position_embeddings", 1),
            RmsNormEps = f.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta = f.Double("rope_theta") ?? 10000,
            RopeScaling = rope,
            TieWordEmbeddings = f.Bool("tie_word_embeddings") ?? false,
            AttentionBias = attentionBias,
            MlpBias = f.Bool("mlp_bias") ?? false,
            HiddenAct = act,
            BosTokenId = bos,
            EosTokenIds = eos,
            TorchDtype = dtype,
            SlidingWindow = window,
            UseSlidingWindow = f.Bool("use_sliding_window") ?? false,
            TransformersVersion = f.String("transformers_version"),
        };
        config = config with { ExtraFields = f.Rest() };
        config.Validate(file);
        return config;
    }

    static RopeScaling? ReadRopeScaling(JsonFields f)
    {
        if (f.Get("rope_scaling") is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Object) throw f.Error("rope_scaling", $"is {v.GetRawText()}, not null or an object", "write null for no scaling");
        var r = new JsonFields(v, f.File);
        var kind = r.String("rope_type") ?? r.String("type")
                   ?? throw f.Error("rope_scaling", "has neither 'rope_type' nor 'type'", "name the kind, e.g. \"rope_type\": \"llama3\"");
        if (kind == "default") return null;
        if (kind != RopeScaling.Llama3)
            throw f.Error("rope_scaling", $"has kind '{kind}', which is not supported (supported: {string.Join(", ", RopeScaling.SupportedKinds)})",
                "this toolkit implements plain rotary embeddings and Llama 3.1's llama3 scaling only; linear, dynamic, yarn, longrope and others are unsupported");
        double Need(string field) => r.Double(field) ?? throw f.Error($"rope_scaling.{field}", "is missing", "llama3 rope scaling needs factor, low_freq_factor, high_freq_factor and original_max_position_embeddings");
        return new RopeScaling(Need("factor"), Need("low_freq_factor"), Need("high_freq_factor"),
            r.Int("original_max_position_embeddings", 1) ?? throw f.Error("rope_scaling.original_max_position_embeddings", "is missing", "Llama 3.x uses 8192"));
    }

    /// <summary>Validates <paramref name="config"/> and writes it to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, ModelConfig config)
    {
        config.Validate(path);
        SafetensorsWriter.WriteAtomically(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            WriteJson(json, config);
            json.Flush();
            stream.WriteByte((byte)'\n');
        });
    }

    /// <summary>Writes the config object, keys sorted like transformers' <c>to_json_string</c>.</summary>
    public static void WriteJson(Utf8JsonWriter json, ModelConfig c)
    {
        var fields = new SortedDictionary<string, Action>(StringComparer.Ordinal)
        {
            ["architectures"] = () => { json.WriteStartArray("architectures"); json.WriteStringValue(c.Architecture); json.WriteEndArray(); },
            ["model_type"] = () => json.WriteString("model_type", c.ModelType),
            ["hidden_size"] = () => json.WriteNumber("hidden_size", c.HiddenSize),
            ["intermediate_size"] = () => json.WriteNumber("intermediate_size", c.IntermediateSize),
            ["num_hidden_layers"] = () => json.WriteNumber("num_hidden_layers", c.NumHiddenLayers),
            ["num_attention_heads"] = () => json.WriteNumber("num_attention_heads", c.NumAttentionHeads),
            ["num_key_value_heads"] = () => json.WriteNumber("num_key_value_heads", c.NumKeyValueHeads),
            ["head_dim"] = () => json.WriteNumber("head_dim", c.HeadDim),
            ["vocab_size"] = () => json.WriteNumber("vocab_size", c.VocabSize),
            ["max_position_embeddings"] = () => json.WriteNumber("max_position_embeddings", c.MaxPositionEmbeddings),
            ["rms_norm_eps"] = () => JsonFields.WritePythonFloat(json, "rms_norm_eps", c.RmsNormEps),
            ["rope_theta"] = () => JsonFields.WritePythonFloat(json, "rope_theta", c.RopeTheta),
            ["rope_scaling"] = () => WriteRopeScaling(json, c.RopeScaling),
            ["tie_word_embeddings"] = () => json.WriteBoolean("tie_word_embeddings", c.TieWordEmbeddings),
            ["hidden_act"] = () => json.WriteString("hidden_act", c.HiddenAct),
            ["transformers_version"] = () => json.WriteString("transformers_version", c.TransformersVersion ?? DefaultTransformersVersion),
        };
        if (c.ModelType == "llama")
        {
            fields["attention_bias"] = () => json.WriteBoolean("attention_bias", c.AttentionBias);
            fields["mlp_bias"] = () => json.WriteBoolean("mlp_bias", c.MlpBias);
        }
        if (c.ModelType == "qwen2") fields["use_sliding_window"] = () => json.WriteBoolean("use_sliding_window", c.UseSlidingWindow);
        if (c.ModelType != "llama" && (c.SlidingWindow is not null || c.ModelType == "mistral"))
            fields["sliding_window"] = () => { if (c.SlidingWindow is { } w) json.WriteNumber("sliding_window", w); else json.WriteNull("sliding_window"); };
        if (c.BosTokenId is { } bos) fields["bos_token_id"] = () => json.WriteNumber("bos_token_id", bos);
        if (c.EosTokenIds.Count > 0) fields["eos_token_id"] = () => JsonFields.WriteIntOrList(json, "eos_token_id", c.EosTokenIds);
        if (c.TorchDtype is { } dt) fields["torch_dtype"] = () => json.WriteString("torch_dtype", dt);
        foreach (var (k, v) in c.ExtraFields)
            fields.TryAdd(k, () => { json.WritePropertyName(k); v.WriteTo(json); });

        json.WriteStartObject();
        foreach (var write in fields.Values) write();
        json.WriteEndObject();
    }

    static void WriteRopeScaling(Utf8JsonWriter json, RopeScaling? r)
    {
        if (r is null) { json.WriteNull("rope_scaling"); return; }
        json.WriteStartObject("rope_scaling");
        JsonFields.WritePythonFloat(json, "factor", r.Factor);
        JsonFields.WritePythonFloat(json, "high_freq_factor", r.HighFreqFactor);
        JsonFields.WritePythonFloat(json, "low_freq_factor", r.LowFreqFactor);
        json.WriteNumber("original_max_position_embeddings", r.OriginalMaxPositionEmbeddings);
        json.WriteString("rope_type", RopeScaling.Llama3);
        json.WriteEndObject();
    }
}
