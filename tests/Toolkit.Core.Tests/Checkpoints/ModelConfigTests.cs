using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

public class ModelConfigTests
{
    static ModelConfig ReadText(TempFolder dir, string json)
    {
        var path = dir.File("config.json");
        File.WriteAllText(path, json);
        return ModelConfigJson.Read(path);
    }

    /// <summary>The fixture with one field replaced (null value = field removed).</summary>
    static string Edit(string json, string field, JsonNode? value, bool remove = false)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        if (remove) node.Remove(field);
        else node[field] = value;
        return node.ToJsonString();
    }

    static CheckpointException Refused(TempFolder dir, string json, params string[] phrases)
    {
        var e = Assert.Throws<CheckpointException>(() => ReadText(dir, json));
        Assert.Contains(dir.File("config.json"), e.Message);
        Assert.Contains("HINT:", e.Message);
        foreach (var p in phrases) Assert.Contains(p, e.Message);
        return e;
    }

    [Fact]
    public void Llama_3_2_1B_reads_with_its_llama3_rope_scaling()
    {
        using var dir = new TempFolder();
        var c = ReadText(dir, ConfigFixtures.Llama32_1B);
        Assert.Equal(("llama", 2048, 8192, 16, 32, 8, 64, 128256, 131072), (c.ModelType, c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers,
            c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.VocabSize, c.MaxPositionEmbeddings));
        Assert.Equal(1e-5, c.RmsNormEps);
        Assert.Equal(500000.0, c.RopeTheta);
        Assert.Equal(new RopeScaling(32, 1, 4, 8192), c.RopeScaling);
        Assert.True(c.TieWordEmbeddings);
        Assert.False(c.AttentionBias);
        Assert.Equal(128000, c.BosTokenId);
        Assert.Equal([128001, 128008, 128009], c.EosTokenIds);
        Assert.Equal("bfloat16", c.TorchDtype);
        Assert.Null(c.EffectiveSlidingWindow);
        Assert.Equal("LlamaForCausalLM", c.Architecture);
        Assert.Equal(0.02, c.ExtraFields["initializer_range"].GetDouble());
    }

    [Fact]
    public void Qwen2_5_0_5B_reads_with_implied_qkv_bias_and_no_effective_window()
    {
        using var dir = new TempFolder();
        var c = ReadText(dir, ConfigFixtures.Qwen25_05B);
        Assert.Equal(("qwen2", 896, 14, 2, 64, 24), (c.ModelType, c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.NumHiddenLayers));
        Assert.True(c.AttentionBias); // not in the file: qwen2 always has q/k/v biases
        Assert.Equal(1e6, c.RopeTheta);
        Assert.Null(c.RopeScaling);
        Assert.Equal(32768, c.SlidingWindow);
        Assert.False(c.UseSlidingWindow);
        Assert.Null(c.EffectiveSlidingWindow);
        Assert.Equal([151645], c.EosTokenIds);
        Assert.Equal(21, c.ExtraFields["max_window_layers"].GetInt32());
    }

    [Fact]
    public void Mistral_7B_reads_with_its_sliding_window()
    {
        using var dir = new TempFolder();
        var c = ReadText(dir, ConfigFixtures.Mistral7B);
        Assert.Equal(("mistral", 4096, 128, 8, 32000), (c.ModelType, c.HiddenSize, c.HeadDim, c.NumKeyValueHeads, c.VocabSize));
        Assert.Equal(4096, c.EffectiveSlidingWindow);
        Assert.False(c.TieWordEmbeddings);
        Assert.False(c.AttentionBias);
        Assert.Equal("MistralForCausalLM", c.Architecture);
    }

    [Theory]
    [InlineData(ConfigFixtures.Llama32_1B, new string[0])]
    [InlineData(ConfigFixtures.Qwen25_05B, new[] { "head_dim", "rope_scaling" })]
    [InlineData(ConfigFixtures.Mistral7B, new[] { "head_dim", "rope_scaling" })]
    public void Write_back_keeps_every_field_and_adds_only_resolved_defaults(string fixture, string[] added)
    {
        using var dir = new TempFolder();
        var c = ReadText(dir, fixture);
        var outPath = dir.File("out/config.json");
        ModelConfigJson.Write(outPath, c);
        var written = File.ReadAllText(outPath);
        Assert.Equal(added, JsonAssert.Preserved(fixture, written));

        // a second round trip changes nothing, byte for byte; keys sorted like transformers' to_json_string
        ModelConfig.Read(outPath).Write(dir.File("again.json"));
        Assert.Equal(written, File.ReadAllText(dir.File("again.json")));
        using var doc = JsonDocument.Parse(written);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
    }

    [Fact]
    public void A_config_made_in_code_writes_what_transformers_needs()
    {
        using var dir = new TempFolder();
        var c = new ModelConfig
        {
            ModelType = "qwen2", HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
            HeadDim = 16, VocabSize = 300, MaxPositionEmbeddings = 256, RopeTheta = 1e6, AttentionBias = true, TieWordEmbeddings = true,
            EosTokenIds = [7, 8], TorchDtype = "float32",
        };
        var path = dir.File("config.json");
        ModelConfigJson.Write(path, c);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var r = doc.RootElement;
        Assert.Equal("Qwen2ForCausalLM", r.GetProperty("architectures")[0].GetString());
        Assert.Equal(ModelConfigJson.DefaultTransformersVersion, r.GetProperty("transformers_version").GetString());
        Assert.Equal("1000000.0", r.GetProperty("rope_theta").GetRawText());    // python float, so transformers reads a float
        Assert.Equal("1e-06", r.GetProperty("rms_norm_eps").GetRawText());
        var back = ModelConfigJson.Read(path);
        Assert.Equal([7, 8], back.EosTokenIds);
        Assert.Equal((64, 16, 2, true), (back.HiddenSize, back.HeadDim, back.NumKeyValueHeads, back.TieWordEmbeddings));
    }

    [Fact]
    public void Python_reads_the_written_config_with_float_and_int_types_where_transformers_expects_them()
    {
        using var dir = new TempFolder();
        ModelConfigJson.Write(dir.File("config.json"), ReadText(dir, ConfigFixtures.Llama32_1B));
        var output = Python.Run(dir, """
            import json, sys
            c = json.load(open(sys.argv[1]))
            assert c["architectures"] == ["LlamaForCausalLM"] and c["model_type"] == "llama"
            assert isinstance(c["rope_theta"], float) and c["rope_theta"] == 500000.0
            assert isinstance(c["rms_norm_eps"], float) and c["rms_norm_eps"] == 1e-05
            assert c["rope_scaling"] == {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"}
            assert c["eos_token_id"] == [128001, 128008, 128009] and isinstance(c["num_key_value_heads"], int)
            print("ok")
            """, dir.File("config.json"));
        Assert.Equal("ok", output.Trim());
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("dynamic")]
    [InlineData("yarn")]
    [InlineData("longrope")]
    public void Unsupported_rope_scaling_kinds_are_refused_by_name(string kind)
    {
        using var dir = new TempFolder();
        Refused(dir, Edit(ConfigFixtures.Llama32_1B, "rope_scaling", new JsonObject { ["type"] = kind, ["factor"] = 4.0 }),
            "'rope_scaling'", $"kind '{kind}'", "not supported");
    }

    [Fact]
    public void Default_rope_scaling_reads_as_none_under_either_key()
    {
        using var dir = new TempFolder();
        Assert.Null(ReadText(dir, Edit(ConfigFixtures.Llama32_1B, "rope_scaling", new JsonObject { ["rope_type"] = "default" })).RopeScaling);
        Assert.Null(ReadText(dir, Edit(ConfigFixtures.Llama32_1B, "rope_scaling", new JsonObject { ["type"] = "default" })).RopeScaling);
    }

    [Fact]
    public void Llama3_rope_scaling_without_its_fields_is_refused()
    {
        using var dir = new TempFolder();
        Refused(dir, Edit(ConfigFixtures.Llama32_1B, "rope_scaling", new JsonObject { ["rope_type"] = "llama3", ["factor"] = 8.0 }),
            "'rope_scaling.low_freq_factor' is missing");
    }

    [Fact]
    public void Unknown_model_type_is_named_with_the_supported_ones()
    {
        using var dir = new TempFolder();
        Refused(dir, Edit(ConfigFixtures.Llama32_1B, "model_type", "gemma2"), "'model_type'", "'gemma2'", "llama, qwen2, mistral");
    }

    [Fact]
    public void Activation_other_than_silu_is_refused_by_name()
    {
        using var dir = new TempFolder();
        Refused(dir, Edit(ConfigFixtures.Qwen25_05B, "hidden_act", "gelu_pytorch_tanh"), "'hidden_act'", "'gelu_pytorch_tanh'", "only 'silu'");
    }

    [Fact]
    public void Missing_or_mistyped_fields_are_named()
    {
        using var dir = new TempFolder();
        Refused(dir, Edit(ConfigFixtures.Mistral7B, "hidden_size", null, remove: true), "'hidden_size' is missing");
        Refused(dir, Edit(ConfigFixtures.Mistral7B, "vocab_size", "32000"), "'vocab_size'", "not an integer");
        Refused(dir, Edit(ConfigFixtures.Mistral7B, "num_key_value_heads", 5), "'num_key_value_heads'", "does not divide");
        Refused(dir, Edit(ConfigFixtures.Llama32_1B, "eos_token_id", "</s>"), "'eos_token_id'", "integer or a list");
        Refused(dir, Edit(ConfigFixtures.Llama32_1B, "tie_word_embeddings", 1), "'tie_word_embeddings'", "not true or false");
        Refused(dir, "{\"model_type\": ", "not valid JSON");
    }

    [Fact]
    public void Absent_optional_fields_take_transformers_defaults()
    {
        using var dir = new TempFolder();
        var json = Edit(Edit(Edit(ConfigFixtures.Llama32_1B, "num_key_value_heads", null, remove: true), "head_dim", null, remove: true), "rope_theta", null, remove: true);
        var c = ReadText(dir, Edit(json, "rms_norm_eps", null, remove: true));
        Assert.Equal((32, 64, 10000.0, 1e-6), (c.NumKeyValueHeads, c.HeadDim, c.RopeTheta, c.RmsNormEps));
        var m = ReadText(dir, Edit(Edit(ConfigFixtures.Mistral7B, "num_key_value_heads", null, remove: true), "sliding_window", null, remove: true));
        Assert.Equal((8, 4096), (m.NumKeyValueHeads, m.SlidingWindow)); // MistralConfig's own defaults
        var v03 = ReadText(dir, Edit(ConfigFixtures.Mistral7B, "sliding_window", null)); // Mistral v0.3 writes null: full attention
        Assert.Null(v03.EffectiveSlidingWindow);
        var newName = ReadText(dir, Edit(Edit(ConfigFixtures.Qwen25_05B, "torch_dtype", null, remove: true), "dtype", "float16"));
        Assert.Equal("float16", newName.TorchDtype);
    }

    [Fact]
    public void Llama3_inverse_frequencies_keep_high_scale_low_and_blend_between()
    {
        var c = new RopeScaling(32, 1, 4, 8192);
        var plain = RopeScaling.InverseFrequencies(64, 500000, null);
        var scaled = RopeScaling.InverseFrequencies(64, 500000, c);
        Assert.Equal(32, plain.Length);
        Assert.Equal(1.0, plain[0]);
        Assert.Equal(1.0 / Math.Pow(500000, 62.0 / 64), plain[31], 15);
        for (var i = 0; i < 32; i++)
        {
            var wavelen = 2 * Math.PI / plain[i];
            if (wavelen < 8192 / 4.0) Assert.Equal(plain[i], scaled[i]);                     // short wavelengths untouched
            else if (wavelen > 8192 / 1.0) Assert.Equal(plain[i] / 32, scaled[i], 15);      // long ones divided by factor
            else Assert.InRange(scaled[i], plain[i] / 32, plain[i]);                          // the band in between interpolates
        }
        Assert.Contains(scaled.Select((s, i) => (s, i)), p => p.s != plain[p.i] && p.s != plain[p.i] / 32); // the band is not empty here
    }
}
