using System.Text.Json;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Onnx;

/// <summary>
/// Reads and writes genai_config.json. The reader is as strict as ORT-GenAI's parser (src/config.cpp), which throws on
/// any key it does not know, so a folder we accept also loads there: an unknown key, a wrong JSON type, a missing
/// required field or a file the config names that is absent (decoder.filename, tokenizer_dir) is a
/// <see cref="OnnxException"/> naming the file and the key path. Keys ORT-GenAI knows but this toolkit does not run
/// (encoder, vision, speech, sliding_window, pipeline, speculative, engine, ...) are refused with a message saying so.
/// Unknown keys inside session_options are allowed when their value is a string (ORT session config entries), as in ORT-GenAI.
/// </summary>
public static class GenAiConfigJson
{
    static readonly string[] ModelKeys =
        ["type", "bos_token_id", "eos_token_id", "pad_token_id", "sep_token_id", "decoder_start_token_id", "vocab_size",
         "context_length", "tokenizer_dir", "bot_token_id", "eot_token_id", "bor_token_id", "eor_token_id", "decoder"];
    static readonly string[] ModelUnsupported = ["encoder", "embedding", "vision", "speech", "prompt_templates", "image_token_id", "video_token_id", "audio_token_id"];
    static readonly string[] DecoderKeys =
        ["filename", "session_options", "run_options", "hidden_size", "num_attention_heads", "num_key_value_heads",
         "num_hidden_layers", "head_size", "inputs", "outputs"];
    static readonly string[] DecoderUnsupported = ["sliding_window", "pipeline"];
    static readonly string[] InputKeys =
        ["input_ids", "embeddings", "attention_mask", "position_ids", "past_key_names", "past_value_names", "past_names",
         "past_sequence_length", "total_sequence_length", "current_sequence_length", "cache_indirection"];
    static readonly string[] OutputKeys = ["logits", "present_key_names", "present_value_names", "present_names", "hidden_states"];
    static readonly string[] SessionOptionKeys =
        ["log_id", "intra_op_num_threads", "inter_op_num_threads", "log_severity_level", "log_verbosity_level",
         "enable_cpu_mem_arena", "enable_mem_pattern", "enable_profiling", "custom_ops_library", "graph_optimization_level",
         "provider_options", "use_env_allocators", "disable_cpu_ep_fallback", "disable_quant_qdq", "enable_quant_qdq_cleanup", "ep_context_enable", "ep_context_embed_mode", "ep_context_file_path"];
    static readonly string[] SearchKeys =
        ["do_sample", "min_length", "max_length", "batch_size", "num_beams", "num_return_sequences", "repetition_penalty",
         "top_k", "top_p", "temperature", "early_stopping", "no_repeat_ngram_size", "diversity_penalty", "length_penalty",
         "past_present_share_buffer", "random_seed", "chunk_size", "blank_penalty"];
    static readonly string[] TopUnsupported = ["speculative", "engine"];

    /// <summary>Reads <paramref name="path"/> (a genai_config.json, or a folder holding one) and checks the files it names.</summary>
    /// <summary>Refuses a key or string that cannot be decoded (an unpaired surrogate escape such as \ud800), naming its path.</summary>
    static void RequireText(JsonElement e, string file, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string name;
                    try { name = p.Name; }
                    catch (InvalidOperationException) { throw new OnnxException(file, $"{file}: a key under '{path}' is not valid Unicode (an unpaired surrogate escape). HINT: fix or remove it"); }
                    RequireText(p.Value, file, path.Length == 0 ? name : $"{path}.{name}");
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) RequireText(item, file, $"{path}[{i++}]");
                break;
            case JsonValueKind.String:
                try { e.GetString(); }
                catch (InvalidOperationException) { throw new OnnxException(file, $"{file}: '{path}' is not valid Unicode (an unpaired surrogate escape such as \\ud800). HINT: fix the string"); }
                break;
        }
    }

    public static GenAiConfig Read(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) full = Path.Combine(full, GenAiConfig.FileName);
        if (!File.Exists(full))
            throw new OnnxException(full, $"'{full}' does not exist. HINT: an ONNX Runtime GenAI model folder holds genai_config.json beside model.onnx; export the model with `toolkit export`");
        var dir = Path.GetDirectoryName(full)!;
        JsonDocument doc;
        try
        {
            var bytes = File.ReadAllBytes(full);
            if (!System.Text.Unicode.Utf8.IsValid(bytes))
                throw new OnnxException(full, $"{full}: not valid UTF-8 text. HINT: save the file as UTF-8 JSON");
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new OnnxException(full, $"{full}: not valid JSON ({e.Message}). HINT: fix the syntax at the position named", e);
        }
        using (doc)
        {
            RequireText(doc.RootElement, full, "");
            var r = new Reader(full);
            var root = r.Object(doc.RootElement, "");
            r.Keys(root, "", ["model", "search"], TopUnsupported);
            var model = r.Object(r.Required(root, "", "model"), "model");
            r.Keys(model, "model", ModelKeys, ModelUnsupported);
            var dec = r.Object(r.Required(model, "model", "decoder"), "model.decoder");
            r.Keys(dec, "model.decoder", DecoderKeys, DecoderUnsupported);
            var inputs = r.OptionalObject(dec, "model.decoder", "inputs");
            if (inputs is { } i) r.Keys(i, "model.decoder.inputs", InputKeys, []);
            var outputs = r.OptionalObject(dec, "model.decoder", "outputs");
            if (outputs is { } o) r.Keys(o, "model.decoder.outputs", OutputKeys, []);
            var sessionOptions = ReadSessionOptions(r, dec);
            if (r.OptionalObject(dec, "model.decoder", "run_options") is { } ro)
                foreach (var p in ro.EnumerateObject())
                    if (p.Value.ValueKind != JsonValueKind.String)
                        throw r.Error($"model.decoder.run_options.{p.Name}", $"is {p.Value.GetRawText()}, not a string", "run options are string key/value pairs");

            var d = new GenAiDecoder
            {
                Filename = r.String(dec, "model.decoder", "filename") ?? throw r.Missing("model.decoder.filename", "name the ONNX file, e.g. \"model.onnx\""),
                HiddenSize = r.Int(dec, "model.decoder", "hidden_size", required: true)!.Value,
                NumAttentionHeads = r.Int(dec, "model.decoder", "num_attention_heads", required: true)!.Value,
                NumKeyValueHeads = r.Int(dec, "model.decoder", "num_key_value_heads", required: true)!.Value,
                NumHiddenLayers = r.Int(dec, "model.decoder", "num_hidden_layers", required: true)!.Value,
                HeadSize = r.Int(dec, "model.decoder", "head_size", required: true)!.Value,
                SessionOptions = sessionOptions,
                InputIds = Name(r, inputs, "input_ids", "input_ids"),
                AttentionMask = Name(r, inputs, "attention_mask", "attention_mask"),
                PositionIds = inputs is { } pi ? r.String(pi, "model.decoder.inputs", "position_ids") : null,
                PastKeyNames = Name(r, inputs, "past_key_names", "past_key_values.%d.key"),
                PastValueNames = Name(r, inputs, "past_value_names", "past_key_values.%d.value"),
                Logits = Name(r, outputs, "logits", "logits", "model.decoder.outputs"),
                PresentKeyNames = Name(r, outputs, "present_key_names", "present.%d.key", "model.decoder.outputs"),
                PresentValueNames = Name(r, outputs, "present_value_names", "present.%d.value", "model.decoder.outputs"),
            };
            var config = new GenAiConfig
            {
                ModelType = r.String(model, "model", "type") ?? throw r.Missing("model.type", "write the architecture, e.g. \"llama\" or \"qwen2\""),
                BosTokenId = r.Int(model, "model", "bos_token_id"),
                EosTokenIds = r.IntOrList(model, "model", "eos_token_id"),
                PadTokenId = r.Int(model, "model", "pad_token_id"),
                VocabSize = r.Int(model, "model", "vocab_size", required: true)!.Value,
                ContextLength = r.Int(model, "model", "context_length", required: true)!.Value,
                TokenizerDir = r.String(model, "model", "tokenizer_dir"),
                Decoder = d,
                Search = ReadSearch(r, root),
            };

            // files the config names
            var onnx = Path.Combine(dir, d.Filename);
            if (!File.Exists(onnx))
                throw r.Error("model.decoder.filename", $"names '{d.Filename}', which does not exist in '{dir}'", "copy the ONNX file into the folder or fix the name");
            if (config.TokenizerDir is { } td && !Directory.Exists(Path.Combine(dir, td)))
                throw r.Error("model.tokenizer_dir", $"names '{td}', which does not exist in '{dir}'", "copy the tokenizer folder or remove the key (default: the config's folder)");
            return config;
        }
    }

    static string Name(Reader r, JsonElement? obj, string key, string fallback, string path = "model.decoder.inputs") =>
        obj is { } o ? r.String(o, path, key) ?? fallback : fallback;

    static Dictionary<string, object> ReadSessionOptions(Reader r, JsonElement dec)
    {
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        if (r.OptionalObject(dec, "model.decoder", "session_options") is not { } so) return result;
        foreach (var p in so.EnumerateObject())
        {
            var path = $"model.decoder.session_options.{p.Name}";
            if (!SessionOptionKeys.Contains(p.Name) && p.Value.ValueKind != JsonValueKind.String)
                throw r.Error(path, $"is not a known session option and its value {p.Value.GetRawText()} is not a string",
                    "known options: " + string.Join(", ", SessionOptionKeys) + "; any other key must be an ORT session config entry with a string value");
            result[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Number => p.Value.GetDouble(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => p.Value.Clone(),
            };
        }
        return result;
    }

    static GenAiSearch ReadSearch(Reader r, JsonElement root)
    {
        if (r.OptionalObject(root, "", "search") is not { } s) return new GenAiSearch();
        r.Keys(s, "search", SearchKeys, []);
        var d = new GenAiSearch();
        return new GenAiSearch
        {
            DoSample = r.Bool(s, "search", "do_sample") ?? d.DoSample,
            MinLength = r.Int(s, "search", "min_length") ?? d.MinLength,
            MaxLength = r.Int(s, "search", "max_length") ?? d.MaxLength,
            NumBeams = r.Int(s, "search", "num_beams") ?? d.NumBeams,
            NumReturnSequences = r.Int(s, "search", "num_return_sequences") ?? d.NumReturnSequences,
            RepetitionPenalty = r.Double(s, "search", "repetition_penalty") ?? d.RepetitionPenalty,
            TopK = r.Int(s, "search", "top_k") ?? d.TopK,
            TopP = r.Double(s, "search", "top_p") ?? d.TopP,
            Temperature = r.Double(s, "search", "temperature") ?? d.Temperature,
            EarlyStopping = r.Bool(s, "search", "early_stopping") ?? d.EarlyStopping,
            NoRepeatNgramSize = r.Int(s, "search", "no_repeat_ngram_size") ?? d.NoRepeatNgramSize,
            DiversityPenalty = r.Double(s, "search", "diversity_penalty") ?? d.DiversityPenalty,
            LengthPenalty = r.Double(s, "search", "length_penalty") ?? d.LengthPenalty,
            PastPresentShareBuffer = r.Bool(s, "search", "past_present_share_buffer") ?? d.PastPresentShareBuffer,
            RandomSeed = r.Int(s, "search", "random_seed") ?? d.RandomSeed,
        };
    }

    /// <summary>Writes <paramref name="config"/> to <paramref name="path"/> atomically, with only keys ORT-GenAI accepts.</summary>
    public static void Write(string path, GenAiConfig config)
    {
        var d = config.Decoder;
        var inputs = new Dictionary<string, object> { ["input_ids"] = d.InputIds, ["attention_mask"] = d.AttentionMask };
        if (d.PositionIds is { } pos) inputs["position_ids"] = pos;
        inputs["past_key_names"] = d.PastKeyNames;
        inputs["past_value_names"] = d.PastValueNames;
        var model = new Dictionary<string, object?>
        {
            ["bos_token_id"] = config.BosTokenId,
            ["context_length"] = config.ContextLength,
            ["decoder"] = new Dictionary<string, object>
            {
                ["session_options"] = d.SessionOptions,
                ["filename"] = d.Filename,
                ["head_size"] = d.HeadSize,
                ["hidden_size"] = d.HiddenSize,
                ["inputs"] = inputs,
                ["outputs"] = new Dictionary<string, object> { ["logits"] = d.Logits, ["present_key_names"] = d.PresentKeyNames, ["present_value_names"] = d.PresentValueNames },
                ["num_attention_heads"] = d.NumAttentionHeads,
                ["num_hidden_layers"] = d.NumHiddenLayers,
                ["num_key_value_heads"] = d.NumKeyValueHeads,
            },
            ["eos_token_id"] = config.EosTokenIds.Count == 1 ? config.EosTokenIds[0] : config.EosTokenIds.Count == 0 ? null : config.EosTokenIds,
            ["pad_token_id"] = config.PadTokenId,
            ["type"] = config.ModelType,
            ["vocab_size"] = config.VocabSize,
        };
        if (config.TokenizerDir is { } td) model["tokenizer_dir"] = td;
        foreach (var k in model.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) model.Remove(k);
        var s = config.Search;
        var search = new Dictionary<string, object>
        {
            ["diversity_penalty"] = s.DiversityPenalty, ["do_sample"] = s.DoSample, ["early_stopping"] = s.EarlyStopping,
            ["length_penalty"] = s.LengthPenalty, ["max_length"] = s.MaxLength, ["min_length"] = s.MinLength,
            ["no_repeat_ngram_size"] = s.NoRepeatNgramSize, ["num_beams"] = s.NumBeams, ["num_return_sequences"] = s.NumReturnSequences,
            ["past_present_share_buffer"] = s.PastPresentShareBuffer, ["repetition_penalty"] = s.RepetitionPenalty,
            ["temperature"] = s.Temperature, ["top_k"] = s.TopK, ["top_p"] = s.TopP,
        };
        if (s.RandomSeed != -1) search["random_seed"] = s.RandomSeed;
        var root = new Dictionary<string, object> { ["model"] = model, ["search"] = search };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(root, new JsonSerializerOptions { WriteIndented = true });
        SafetensorsWriter.WriteAtomically(path, stream => stream.Write(bytes));
    }

    /// <summary>Typed reads with errors naming the file and the key path.</summary>
    sealed class Reader(string file)
    {
        public OnnxException Error(string path, string problem, string hint) => new(file, $"{file}: '{path}' {problem}. HINT: {hint}");
        public OnnxException Missing(string path, string hint) => Error(path, "is missing", hint);

        static string Join(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

        public JsonElement Object(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Object)
                throw Error(path.Length == 0 ? "(root)" : path, $"is {e.ValueKind}, not a JSON object", "see ORT-GenAI's genai_config.json layout");
            return e;
        }

        public JsonElement Required(JsonElement obj, string parent, string key) =>
            obj.TryGetProperty(key, out var v) ? v : throw Missing(Join(parent, key), "every genai_config.json has it; export the model again");

        public JsonElement? OptionalObject(JsonElement obj, string parent, string key) =>
            obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? Object(v, Join(parent, key)) : null;

        /// <summary>Refuses keys outside <paramref name="known"/>, with a separate message for <paramref name="unsupported"/> ones.</summary>
        public void Keys(JsonElement obj, string parent, string[] known, string[] unsupported)
        {
            foreach (var p in obj.EnumerateObject())
            {
                if (known.Contains(p.Name)) continue;
                var path = Join(parent, p.Name);
                if (unsupported.Contains(p.Name))
                    throw Error(path, "is an ORT-GenAI section this toolkit does not run", "use a decoder-only model folder, or run this one with ORT-GenAI itself");
                throw Error(path, "is not a key ORT-GenAI accepts (its parser throws on unknown keys, so the folder would not load there)",
                    $"remove it; keys allowed here: {string.Join(", ", known)}");
            }
        }

        public string? String(JsonElement obj, string parent, string key)
        {
            if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.String) throw Error(Join(parent, key), $"is {v.GetRawText()}, not a string", "write a JSON string");
            return v.GetString();
        }

        public int? Int(JsonElement obj, string parent, string key, bool required = false)
        {
            if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
                return required ? throw Missing(Join(parent, key), "write the model's value (see its config.json)") : null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i)) throw Error(Join(parent, key), $"is {v.GetRawText()}, not an integer", "write a whole number");
            return i;
        }

        public double? Double(JsonElement obj, string parent, string key)
        {
            if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.Number) throw Error(Join(parent, key), $"is {v.GetRawText()}, not a number", "write a number");
            return v.GetDouble();
        }

        public bool? Bool(JsonElement obj, string parent, string key)
        {
            if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Error(Join(parent, key), $"is {v.GetRawText()}, not true or false", "write true or false"),
            };
        }

        public IReadOnlyList<int> IntOrList(JsonElement obj, string parent, string key)
        {
            if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return [];
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var one)) return [one];
            if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)))
                return v.EnumerateArray().Select(e => e.GetInt32()).ToList();
            throw Error(Join(parent, key), $"is {v.GetRawText()}, not an integer or a list of integers", "write the token id(s)");
        }
    }
}
