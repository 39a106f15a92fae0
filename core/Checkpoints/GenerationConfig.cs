using System.Text.Json;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Default decoding settings from HF generation_config.json. Every field is optional (null = not set, the generator's
/// own default applies); other fields of the file are kept verbatim and written back.
/// </summary>
public sealed record GenerationConfig
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "generation_config.json";

    /// <summary>bos_token_id.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>eos_token_id: generation stops at any of these (HF writes an int or a list).</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }
    /// <summary>pad_token_id.</summary>
    public int? PadTokenId { get; init; }
    /// <summary>do_sample: false = greedy.</summary>
    public bool? DoSample { get; init; }
    /// <summary>temperature (≥ 0).</summary>
    public double? Temperature { get; init; }
    /// <summary>top_k (≥ 0; 0 = off).</summary>
    public int? TopK { get; init; }
    /// <summary>top_p (0 &lt; top_p ≤ 1).</summary>
    public double? TopP { get; init; }
    /// <summary>repetition_penalty (&gt; 0; 1 = off).</summary>
    public double? RepetitionPenalty { get; init; }
    /// <summary>max_new_tokens (&gt; 0).</summary>
    public int? MaxNewTokens { get; init; }
    /// <summary>max_length: prompt + generated tokens (&gt; 0).</summary>
    public int? MaxLength { get; init; }
    /// <summary>transformers_version the file was written by.</summary>
    public string? TransformersVersion { get; init; }
    /// <summary>Every other field of the file, verbatim.</summary>
    public IReadOnlyDictionary<string, JsonElement> ExtraFields { get; init; } = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);

    public static GenerationConfig Read(string path)
    {
        using var doc = JsonFields.ParseFile(path, "generation_config.json holds default decoding settings; copy it from the model's repository or delete it");
        var f = new JsonFields(doc.RootElement, path);
        var config = new GenerationConfig
        {
            BosTokenId = f.Int("bos_token_id"),
            EosTokenIds = f.IntOrList("eos_token_id"),
            PadTokenId = f.Int("pad_token_id"),
            DoSample = f.Bool("do_sample"),
            Temperature = f.Double("temperature"),
            TopK = f.Int("top_k"),
            TopP = f.Double("top_p"),
            RepetitionPenalty = f.Double("repetition_penalty"),
            MaxNewTokens = f.Int("max_new_tokens"),
            MaxLength = f.Int("max_length"),
            TransformersVersion = f.String("transformers_version"),
        };
        config = config with { ExtraFields = f.Rest() };
        config.Validate(path);
        return config;
    }

    /// <summary>Checks the ranges; <paramref name="file"/> names the file in messages.</summary>
    public void Validate(string file)
    {
        CheckpointException Bad(string field, string problem, string hint) => new(file, $"{file}: field '{field}' {problem}. HINT: {hint}");
        if (Temperature is { } t && !(t >= 0 && double.IsFinite(t))) throw Bad("temperature", $"is {t}; it must be ≥ 0", "0 < temperature ≤ 2 is usual; use do_sample false for greedy");
        if (TopK is < 0) throw Bad("top_k", $"is {TopK}; it must be ≥ 0", "0 turns top-k off");
        if (TopP is { } p && !(p > 0 && p <= 1)) throw Bad("top_p", $"is {p}; it must be in (0, 1]", "1.0 turns top-p off");
        if (RepetitionPenalty is { } r && !(r > 0 && double.IsFinite(r))) throw Bad("repetition_penalty", $"is {r}; it must be > 0", "1.0 turns it off");
        if (MaxNewTokens is <= 0) throw Bad("max_new_tokens", $"is {MaxNewTokens}; it must be positive", "write a positive token count");
        if (MaxLength is <= 0) throw Bad("max_length", $"is {MaxLength}; it must be positive", "write a positive token count");
        foreach (var (field, id) in new[] { ("bos_token_id", BosTokenId), ("pad_token_id", PadTokenId) })
            if (id is < 0) throw Bad(field, $"is {id}; token ids are non-negative", "write the tokenizer's id");
        if (EosTokenIds is { } eos && eos.Any(e => e < 0)) throw Bad("eos_token_id", "holds a negative id", "write the tokenizer's ids");
    }

    /// <summary>Validates and writes the set fields (sorted keys, as transformers does) to <paramref name="path"/> atomically.</summary>
    public void Write(string path)
    {
        Validate(path);
        SafetensorsWriter.WriteAtomically(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            var fields = new SortedDictionary<string, Action>(StringComparer.Ordinal)
            {
                ["transformers_version"] = () => json.WriteString("transformers_version", TransformersVersion ?? ModelConfigJson.DefaultTransformersVersion),
            };
            if (BosTokenId is { } bos) fields["bos_token_id"] = () => json.WriteNumber("bos_token_id", bos);
            if (EosTokenIds is { Count: > 0 } eos) fields["eos_token_id"] = () => JsonFields.WriteIntOrList(json, "eos_token_id", eos);
            if (PadTokenId is { } pad) fields["pad_token_id"] = () => json.WriteNumber("pad_token_id", pad);
            if (DoSample is { } ds) fields["do_sample"] = () => json.WriteBoolean("do_sample", ds);
            if (Temperature is { } t) fields["temperature"] = () => JsonFields.WritePythonFloat(json, "temperature", t);
            if (TopK is { } k) fields["top_k"] = () => json.WriteNumber("top_k", k);
            if (TopP is { } p) fields["top_p"] = () => JsonFields.WritePythonFloat(json, "top_p", p);
            if (RepetitionPenalty is { } r) fields["repetition_penalty"] = () => JsonFields.WritePythonFloat(json, "repetition_penalty", r);
            if (MaxNewTokens is { } mnt) fields["max_new_tokens"] = () => json.WriteNumber("max_new_tokens", mnt);
            if (MaxLength is { } ml) fields["max_length"] = () => json.WriteNumber("max_length", ml);
            foreach (var (key, value) in ExtraFields) fields.TryAdd(key, () => { json.WritePropertyName(key); value.WriteTo(json); });
            json.WriteStartObject();
            foreach (var write in fields.Values) write();
            json.WriteEndObject();
            json.Flush();
            stream.WriteByte((byte)'\n');
        });
    }
}
