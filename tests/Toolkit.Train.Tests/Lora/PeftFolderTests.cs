using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Train.Lora;
using Toolkit.Train.Model;
using TorchSharp;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Lora.LoraTestKit;
using static Toolkit.Train.Tests.Oracle;

namespace Toolkit.Train.Tests.Lora;

/// <summary>The PEFT adapter folder (names, config fields, round trip, refusals) and merging into a full checkpoint.</summary>
public sealed class PeftFolderTests(ITestOutputHelper output) : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("tk-lora-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    string Sub(string name) => Path.Combine(dir, name);

    /// <summary>A base checkpoint in dir/base, a decoder on it, and trained adapters (B ≠ 0) saved in dir/adapter.</summary>
    (Decoder Model, LoraAdapters Adapters) Trained(string family, LoraConfig config)
    {
        using (var w = DecoderWeights.Random(Small(family), seed: 21)) w.Save(Sub("base"));
        var model = Reload(Sub("base"));
        var adapters = LoraAdapters.Attach(model, config, seed: 22);
        using (var ids = Batch()) TrainSteps(adapters, ids, steps: 4);
        adapters.Training = false;
        PeftAdapter.Save(adapters, Sub("adapter"));
        return (model, adapters);
    }

    [Fact]
    public void The_folder_uses_peft_key_names_shapes_and_config_fields()
    {
        var (model, adapters) = Trained("llama", new LoraConfig { R = 4, Alpha = 8, BaseModelNameOrPath = "Qwen/tiny" });
        using var _m = model;
        using var _a = adapters;
        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(Sub("adapter")).Select(f => Path.GetFileName(f)!).Order().ToArray());

        // PEFT's names for a causal LM: PeftModel.base_model (LoraModel).model (LlamaForCausalLM).model.layers.{i}...,
        // adapter name stripped by get_peft_model_state_dict; A (r, in), B (out, r); hidden 64, q 4×16, kv 2×16, mlp 160
        var expected = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var i in new[] { 0, 1 })
            foreach (var (module, inDim, outDim) in new[]
                     {
                         ("self_attn.q_proj", 64L, 64L), ("self_attn.k_proj", 64L, 32L), ("self_attn.v_proj", 64L, 32L), ("self_attn.o_proj", 64L, 64L),
                         ("mlp.gate_proj", 64L, 160L), ("mlp.up_proj", 64L, 160L), ("mlp.down_proj", 160L, 64L),
                     })
            {
                expected[$"base_model.model.model.layers.{i}.{module}.lora_A.weight"] = [4, inDim];
                expected[$"base_model.model.model.layers.{i}.{module}.lora_B.weight"] = [outDim, 4];
            }
        using (var file = SafetensorsFile.Open(Path.Combine(Sub("adapter"), "adapter_model.safetensors")))
        {
            Assert.Equal(expected.Keys, file.Names);
            foreach (var (name, shape) in expected)
            {
                Assert.Equal(shape, file[name].Shape);
                Assert.Equal(SafetensorsDType.F32, file[name].DType);
            }
            Assert.Equal("pt", file.Metadata["format"]);
        }

        // the fields PEFT's LoraConfig / PeftConfig read (json.dumps(sort_keys=True, indent=2) layout)
        var text = File.ReadAllText(Path.Combine(Sub("adapter"), "adapter_config.json"));
        var json = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("LORA", (string?)json["peft_type"]);
        Assert.Equal("CAUSAL_LM", (string?)json["task_type"]);
        Assert.Equal(4, (int?)json["r"]);
        Assert.Equal(8, (int?)json["lora_alpha"]);
        Assert.Equal(0.05, (double?)json["lora_dropout"]);
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], json["target_modules"]!.AsArray().Select(n => (string)n!).ToArray());
        Assert.Equal("Qwen/tiny", (string?)json["base_model_name_or_path"]);
        Assert.Equal("none", (string?)json["bias"]);
        Assert.False((bool)json["fan_in_fan_out"]!);
        Assert.True((bool)json["inference_mode"]!);
        Assert.False((bool)json["use_rslora"]!);
        Assert.False((bool)json["use_dora"]!);
        Assert.True((bool)json["init_lora_weights"]!);
        Assert.Null(json["modules_to_save"]);
        Assert.Null(json["layers_to_transform"]);
        Assert.Empty(json["rank_pattern"]!.AsObject());
        Assert.Empty(json["alpha_pattern"]!.AsObject());
        var keys = json.Select(kv => kv.Key).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Contains("\n  \"r\": 4,", text);
    }

    [Fact]
    public void Save_then_load_is_bit_exact_and_gives_the_same_logits()
    {
        var config = new LoraConfig { R = 6, Alpha = 12.5, Dropout = 0.1, TargetModules = ["q_proj", "v_proj", "down_proj"], UseRsLora = true };
        var (model, adapters) = Trained("qwen2", config);
        using var _m = model;
        using var _a = adapters;
        using var ids = Batch();
        var trained = Logits(model, ids);

        using var other = Reload(Sub("base"));
        using var loaded = PeftAdapter.Load(other, Sub("adapter"));
        Assert.Same(loaded, other.Adapters);
        Assert.Equal(config with { TargetModules = loaded.Config.TargetModules }, loaded.Config);
        Assert.Equal(config.TargetModules, loaded.Config.TargetModules);
        Assert.Equal(adapters.NamedParameters.Select(p => p.Name), loaded.NamedParameters.Select(p => p.Name));
        foreach (var ((name, a), (_, b)) in adapters.NamedParameters.Zip(loaded.NamedParameters))
            Assert.True(a.Equals(b), $"{name} differs after save and load");
        Assert.Contains(adapters.NamedParameters, p => p.Name.EndsWith("lora_B.weight") && p.Tensor.abs().max().ToDouble() > 0);
        loaded.Training = false;
        Assert.Equal(0.0, MaxAbsDiff(trained, Logits(other, ids)));
    }

    [Theory]
    [InlineData("llama")]   // tied embeddings, default targets
    [InlineData("qwen2")]   // biases, untied head, lm_head adapted too
    public void The_merged_checkpoint_gives_the_unmerged_adapter_logits(string family)
    {
        var targets = family == "qwen2" ? [.. LoraConfig.DecoderLinears, "lm_head"] : LoraConfig.DecoderLinears;
        var (model, adapters) = Trained(family, new LoraConfig { TargetModules = targets });
        using var _m = model;
        using var _a = adapters;
        using var ids = Batch();
        var unmerged = Logits(model, ids);
        float[] baseLogits;
        using (adapters.Disable()) baseLogits = Logits(model, ids);

        var written = LoraMerge.SaveMerged(adapters, Sub("merged"));
        Assert.Contains("model.safetensors", written);
        Assert.Null(model.Adapters);
        var inMemory = Logits(model, ids);
        using var reread = Reload(Sub("merged"));
        var fromDisk = Logits(reread, ids);
        output.WriteLine($"{family}: adapter effect {MaxAbsDiff(unmerged, baseLogits):E2}; merged in memory {MaxAbsDiff(inMemory, unmerged):E2}; " +
            $"merged checkpoint {MaxAbsDiff(fromDisk, unmerged):E2}");
        Assert.True(MaxAbsDiff(unmerged, baseLogits) > 1e-3, "the trained adapters do not change the logits, so the test would prove nothing");
        Assert.True(MaxAbsDiff(inMemory, unmerged) <= 1e-5);
        Assert.True(MaxAbsDiff(fromDisk, unmerged) <= 1e-5);
        Assert.Throws<InvalidOperationException>(() => LoraMerge.MergeAndUnload(adapters));
    }

    [Theory]
    [InlineData("llama", false)]   // default targets, alpha/r
    [InlineData("qwen2", true)]    // every projection and lm_head, rsLoRA alpha/√r
    public void An_independent_python_reading_of_the_peft_folder_gives_our_adapter_logits(string family, bool rsLora)
    {
        var targets = family == "qwen2" ? [.. LoraConfig.DecoderLinears, "lm_head"] : LoraConfig.DecoderLinears;
        var (model, adapters) = Trained(family, new LoraConfig { R = 4, Alpha = 6, TargetModules = targets, UseRsLora = rsLora });
        using var _m = model;
        using var _a = adapters;
        using var ids = Batch();
        var ours = Logits(model, ids);
        var rows = ids.data<long>().ToArray().Chunk(12).ToArray();                          // (4, 12) as nested lists
        var idsPath = Sub("ids.json");
        File.WriteAllText(idsPath, JsonSerializer.Serialize(rows));
        var outPath = Sub("logits.f32");
        Python("tests/Toolkit.Train.Tests/Lora/peft_lora_forward.py", Sub("base"), Sub("adapter"), idsPath, outPath);
        var python = Floats(File.ReadAllBytes(outPath));
        float[] baseLogits;
        using (adapters.Disable()) baseLogits = Logits(model, ids);
        var diff = MaxAbsDiff(ours, python);
        output.WriteLine($"{family} rsLoRA={rsLora}: adapter effect {MaxAbsDiff(ours, baseLogits):E2}; ours vs python PEFT reading: max |diff| {diff:E2}");
        Assert.True(MaxAbsDiff(ours, baseLogits) > 1e-3, "the trained adapters do not change the logits, so the test would prove nothing");
        Assert.True(diff <= 1e-4, $"max |diff| {diff}");
    }

    [Fact]
    public void A_config_that_does_not_match_the_tensors_is_refused_naming_file_and_key()
    {
        var (model, adapters) = Trained("llama", new LoraConfig { R = 4, TargetModules = ["q_proj", "v_proj"] });
        model.Dispose();
        adapters.Dispose();
        var configPath = Path.Combine(Sub("adapter"), "adapter_config.json");
        var weights = Path.Combine(Sub("adapter"), "adapter_model.safetensors");
        var original = File.ReadAllText(configPath);

        string Refusal(Action<JsonObject> edit)
        {
            var json = JsonNode.Parse(original)!.AsObject();
            edit(json);
            File.WriteAllText(configPath, json.ToJsonString());
            using var fresh = Reload(Sub("base"));
            var e = Assert.Throws<CheckpointException>(() => PeftAdapter.Load(fresh, Sub("adapter")));
            Assert.Null(fresh.Adapters);
            output.WriteLine(e.Message);
            return e.Message;
        }

        var rank = Refusal(j => j["r"] = 8);
        Assert.Contains(weights, rank);
        Assert.Contains("'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight' has shape [4, 64]", rank);
        Assert.Contains("r = 8", rank);

        var fewer = Refusal(j => j["target_modules"] = new JsonArray("q_proj"));
        Assert.Contains(weights, fewer);
        Assert.Contains("'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight' is not an adapter", fewer);

        var more = Refusal(j => j["target_modules"] = new JsonArray("q_proj", "v_proj", "up_proj"));
        Assert.Contains(weights, more);
        Assert.Contains("'base_model.model.model.layers.0.mlp.up_proj.lora_A.weight' is missing", more);

        Assert.Contains("field 'use_dora'", Refusal(j => j["use_dora"] = true));
        Assert.Contains("field 'peft_type'", Refusal(j => j["peft_type"] = "IA3"));
        Assert.Contains("field 'rank_pattern'", Refusal(j => j["rank_pattern"] = new JsonObject { ["q_proj"] = 2 }));
        Assert.Contains(configPath, Refusal(j => j["lora_dropout"] = 1.5));

        // and the untouched config loads
        File.WriteAllText(configPath, original);
        using var ok = Reload(Sub("base"));
        using var loaded = PeftAdapter.Load(ok, Sub("adapter"));
        Assert.Equal(8, loaded.Parameters.Count);
    }

    [Fact]
    public void A_peft_written_config_with_defaults_and_a_string_target_is_read_as_peft_would()
    {
        var path = Sub("adapter_config.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new { peft_type = "LORA", task_type = "CAUSAL_LM", target_modules = "all-linear", lora_bias = false }));
        var c = AdapterConfigJson.Read(path);
        Assert.Equal(8, c.R);                  // PEFT LoraConfig defaults: r 8, lora_alpha 8, lora_dropout 0
        Assert.Equal(8, c.Alpha);
        Assert.Equal(0, c.Dropout);
        Assert.Equal(["all-linear"], c.TargetModules);
        File.WriteAllText(path, JsonSerializer.Serialize(new { peft_type = "LORA", r = 2, lora_alpha = 4, target_modules = @".*\.(q|v)_proj" }));
        Assert.Equal(@".*\.(q|v)_proj", AdapterConfigJson.Read(path).TargetModulesRegex);
        File.WriteAllText(path, "{\"peft_type\": \"LORA\", \"r\": 2,");
        var e = Assert.Throws<CheckpointException>(() => AdapterConfigJson.Read(path));
        Assert.Contains(path, e.Message);
    }
}
