using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Train.Lora;

/// <summary>
/// PEFT's adapter_config.json for a LoRA adapter: written with the fields PEFT's <c>LoraConfig</c> (0.10 and later)
/// reads, keys sorted and indented by 2 as PEFT's <c>save_pretrained</c> does; read with PEFT's defaults for absent
/// fields (r 8, lora_alpha 8, lora_dropout 0, target_modules q_proj/v_proj for llama/qwen2/mistral). Features this
/// toolkit does not implement (DoRA, trained biases, per-layer rank/alpha patterns, layer subsets, extra saved modules)
/// are refused with the field named, never ignored.
/// </summary>
public static class AdapterConfigJson
{
    /// <summary>The file name inside an adapter folder.</summary>
    public const string FileName = "adapter_config.json";

    /// <summary>PEFT's default targets for llama / qwen2 / mistral when target_modules is absent.</summary>
    static readonly string[] PeftDefaultTargets = ["q_proj", "v_proj"];

    /// <summary>Writes <paramref name="config"/> to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public static void Write(string path, LoraConfig config)
    {
        config.Validate();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            // keys in sorted order, as json.dumps(sort_keys=True)
            json.WriteStartObject();
            json.WriteStartObject("alpha_pattern"); json.WriteEndObject();
            json.WriteNull("auto_mapping");
            if (config.BaseModelNameOrPath is { } b) json.WriteString("base_model_name_or_path", b); else json.WriteNull("base_model_name_or_path");
            json.WriteString("bias", "none");
            json.WriteBoolean("fan_in_fan_out", false);
            json.WriteBoolean("inference_mode", true);
            json.WriteBoolean("init_lora_weights", true);
            json.WriteNull("layer_replication");
            json.WriteNull("layers_pattern");
            json.WriteNull("layers_to_transform");
            json.WriteStartObject("loftq_config"); json.WriteEndObject();
            WriteNumber(json, "lora_alpha", config.Alpha);
            WriteNumber(json, "lora_dropout", config.Dropout, forceFloat: true);
            json.WriteNull("megatron_config");
            json.WriteString("megatron_core", "megatron.core");
            json.WriteNull("modules_to_save");
            json.WriteString("peft_type", "LORA");
            json.WriteNumber("r", config.R);
            json.WriteStartObject("rank_pattern"); json.WriteEndObject();
            json.WriteNull("revision");
            if (config.TargetModulesRegex is { } regex) json.WriteString("target_modules", regex);
            else
            {
                // "all-linear" is written expanded, as PEFT does after injecting (older PEFT versions do not know the wildcard)
                json.WriteStartArray("target_modules");
                foreach (var m in config.TargetModules is [LoraConfig.AllLinear] ? LoraConfig.DecoderLinears : config.TargetModules) json.WriteStringValue(m);
                json.WriteEndArray();
            }
            json.WriteString("task_type", "CAUSAL_LM");
            json.WriteBoolean("use_dora", false);
            json.WriteBoolean("use_rslora", config.UseRsLora);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        SafetensorsWriter.WriteAtomically(path, s => s.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    /// <summary>Reads and validates <paramref name="path"/>; errors name the file and the field.</summary>
    public static LoraConfig Read(string path)
    {
        if (!File.Exists(path))
            throw new CheckpointException(path, $"{path}: no {FileName}. HINT: a PEFT adapter folder holds {FileName} beside {PeftAdapter.WeightsFileName}");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}. HINT: repair or re-save the adapter", e);
        }
        using (doc)
        {
            var o = doc.RootElement;
            CheckpointException Bad(string field, string problem, string hint) => new(path, $"{path}: field '{field}' {problem}. HINT: {hint}");
            if (o.ValueKind != JsonValueKind.Object) throw new CheckpointException(path, $"{path}: expected a JSON object. HINT: re-save the adapter with PEFT or this toolkit");
            JsonElement? Get(string f) => o.TryGetProperty(f, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

            var peftType = Get("peft_type");
            if (peftType is not { ValueKind: JsonValueKind.String } pt || pt.GetString() != "LORA")
                throw Bad("peft_type", $"is {peftType?.GetRawText() ?? "missing"}, not \"LORA\"", "only LoRA adapters are read; other PEFT methods (IA3, prefix tuning, ...) are not supported");
            if (Get("task_type") is { } task && task.GetString() != "CAUSAL_LM")
                throw Bad("task_type", $"is {task.GetRawText()}", "this toolkit adapts causal language models: use an adapter trained with task_type CAUSAL_LM");

            // features we do not implement: refuse rather than compute something else
            if (Get("use_dora") is { ValueKind: JsonValueKind.True }) throw Bad("use_dora", "is true (DoRA)", "DoRA adapters are not supported; merge it with PEFT first (merge_and_unload) and load the merged checkpoint");
            if (Get("lora_bias") is { ValueKind: JsonValueKind.True }) throw Bad("lora_bias", "is true", "adapters with a lora_B bias are not supported");
            if (Get("fan_in_fan_out") is { ValueKind: JsonValueKind.True }) throw Bad("fan_in_fan_out", "is true", "that layout is for GPT-2 Conv1D layers; a Llama-family adapter has fan_in_fan_out false");
            if (Get("bias") is { } bias && bias.GetString() != "none") throw Bad("bias", $"is {bias.GetRawText()}", "only bias \"none\" is supported (trained biases would change the base model)");
            foreach (var f in new[] { "rank_pattern", "alpha_pattern" })
                if (Get(f) is { ValueKind: JsonValueKind.Object } pat && pat.EnumerateObject().Any())
                    throw Bad(f, "sets per-module values", "per-module ranks/alphas are not supported; train with one r and lora_alpha");
            foreach (var f in new[] { "layers_to_transform", "layer_replication", "exclude_modules", "target_parameters" })
                if (Get(f) is { } v && !(v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0))
                    throw Bad(f, $"is {v.GetRawText()}", "adapters on a subset of layers or parameters are not supported; leave it null");
            if (Get("modules_to_save") is { } mts && !(mts.ValueKind == JsonValueKind.Array && mts.GetArrayLength() == 0))
                throw Bad("modules_to_save", $"is {mts.GetRawText()}", "adapters that also save full modules are not supported; merge with PEFT first");

            var r = Get("r") is { } rv ? (rv.TryGetInt32(out var ri) ? ri : throw Bad("r", $"is {rv.GetRawText()}, not an integer", "write the rank as a whole number")) : 8;
            var alpha = Get("lora_alpha") is { } av ? (av.ValueKind == JsonValueKind.Number ? av.GetDouble() : throw Bad("lora_alpha", $"is {av.GetRawText()}, not a number", "write a number such as 16")) : 8;
            var dropout = Get("lora_dropout") is { } dv ? (dv.ValueKind == JsonValueKind.Number ? dv.GetDouble() : throw Bad("lora_dropout", $"is {dv.GetRawText()}, not a number", "write a number in [0, 1)")) : 0;
            var rs = Get("use_rslora") is { ValueKind: JsonValueKind.True };
            var baseModel = Get("base_model_name_or_path") is { ValueKind: JsonValueKind.String } bm ? bm.GetString() : null;

            IReadOnlyList<string> targets = PeftDefaultTargets;
            string? regex = null;
            switch (Get("target_modules"))
            {
                case null: break;
                case { ValueKind: JsonValueKind.String } s when s.GetString() == LoraConfig.AllLinear: targets = [LoraConfig.AllLinear]; break;
                case { ValueKind: JsonValueKind.String } s: regex = s.GetString(); break;
                case { ValueKind: JsonValueKind.Array } a:
                    targets = a.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()!
                        : throw Bad("target_modules", $"holds {e.GetRawText()}", "list module names as strings")).ToList();
                    break;
                case { } other: throw Bad("target_modules", $"is {other.GetRawText()}", "give a list of module names, a regex string or \"all-linear\"");
            }
            var config = new LoraConfig { R = r, Alpha = alpha, Dropout = dropout, TargetModules = targets, TargetModulesRegex = regex, UseRsLora = rs, BaseModelNameOrPath = baseModel };
            try { config.Validate(); }
            catch (ArgumentException e) { throw new CheckpointException(path, $"{path}: {e.Message}", e); }
            return config;
        }
    }

    /// <summary>A number as Python's json writes it: whole values as integers (unless <paramref name="forceFloat"/>), else shortest round-trip.</summary>
    static void WriteNumber(Utf8JsonWriter json, string name, double value, bool forceFloat = false)
    {
        json.WritePropertyName(name);
        if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
            json.WriteRawValue(forceFloat ? ((long)value).ToString(CultureInfo.InvariantCulture) + ".0" : ((long)value).ToString(CultureInfo.InvariantCulture));
        else json.WriteRawValue(value.ToString("R", CultureInfo.InvariantCulture));
    }
}
