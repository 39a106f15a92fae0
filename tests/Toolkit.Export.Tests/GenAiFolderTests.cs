using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Onnx;
using Toolkit.Train.Model;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests;

/// <summary>
/// The exported folder in ORT-GenAI's layout: genai_config.json with only accepted keys (read back by the strict
/// reader), tokenizer and generation files from the checkpoint, and refusals of configs ORT-GenAI would not load.
/// </summary>
public sealed class GenAiFolderTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>
    /// A checkpoint folder of the small qwen2 shape (300 ids) with a generation config and a byte-level BPE tokenizer of
    /// <paramref name="tokenizerIds"/> ids (a real Qwen3 tokenizer has 151,669: more than this model can embed, which
    /// export refuses).
    /// </summary>
    string Checkpoint(int tokenizerIds = 300)
    {
        var ckpt = dir.Sub("ckpt");
        var gen = new GenerationConfig { BosTokenId = 1, EosTokenIds = [2, 3], PadTokenId = 0, DoSample = true, Temperature = 0.7, TopK = 20, TopP = 0.8 };
        using (var w = Harness.Weights(Harness.SmallQwen2, seed: 41)) w.Save(ckpt, gen);
        string[] corpus = ["What is 2+2? The answer is 4.", "The capital of France is Paris.", "一加一等于几？答案是二。"];
        Toolkit.Core.Tokenizers.BpeTrainer.Train(corpus.Concat(corpus), tokenizerIds, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]).Save(ckpt);
        return ckpt;
    }

    [Fact]
    public void Export_refuses_a_tokenizer_with_more_ids_than_vocab_size()
    {
        var ckpt = Checkpoint(tokenizerIds: 400);
        var e = Assert.Throws<CheckpointException>(() => OnnxExporter.Export(ckpt, dir.Sub("onnx-refused")));
        Assert.Contains($"{System.IO.Path.Combine(ckpt, "config.json")}: field 'vocab_size' is 300", e.Message);
        Assert.False(File.Exists(System.IO.Path.Combine(dir.Sub("onnx-refused"), "model.onnx")));
    }

    [Fact]
    public void Export_from_a_checkpoint_folder_writes_the_genai_layout()
    {
        var ckpt = Checkpoint();
        var result = OnnxExporter.Export(ckpt, dir.Sub("onnx"));
        output.WriteLine(File.ReadAllText(System.IO.Path.Combine(result.Folder, "genai_config.json")));

        var config = GenAiConfigJson.Read(result.Folder);
        var c = Harness.SmallQwen2;
        Assert.Equal("qwen2", config.ModelType);
        Assert.Equal([2, 3], config.EosTokenIds);
        Assert.Equal(1, config.BosTokenId);
        Assert.Equal(0, config.PadTokenId);
        Assert.Equal(c.VocabSize, config.VocabSize);
        Assert.Equal(c.MaxPositionEmbeddings, config.ContextLength);
        Assert.Equal((c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.HiddenSize),
            (config.Decoder.NumHiddenLayers, config.Decoder.NumAttentionHeads, config.Decoder.NumKeyValueHeads, config.Decoder.HeadSize, config.Decoder.HiddenSize));
        Assert.Null(config.Decoder.PositionIds);   // positions come from the mask inside the graph
        Assert.Equal("past_key_values.1.value", config.Decoder.PastValue(1));
        Assert.Equal("present.1.key", config.Decoder.PresentKey(1));
        Assert.True(config.Search.DoSample);
        Assert.Equal((0.7, 20, 0.8), (config.Search.Temperature, config.Search.TopK, config.Search.TopP));
        Assert.True(config.Search.PastPresentShareBuffer);   // default --ops gqa: GroupQueryAttention writes into one max_length buffer

        // the session's real inputs are the ones the config names
        using var session = Harness.Load(System.IO.Path.Combine(result.Folder, config.Decoder.Filename));
        var inputs = session.InputNames.ToList();
        Assert.Equal([config.Decoder.InputIds, config.Decoder.AttentionMask, .. Enumerable.Range(0, c.NumHiddenLayers).SelectMany(i => new[] { config.Decoder.PastKey(i), config.Decoder.PastValue(i) })], inputs);

        Assert.True(File.Exists(System.IO.Path.Combine(result.Folder, "generation_config.json")));
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
                Assert.Equal(File.ReadAllBytes(System.IO.Path.Combine(ckpt, f)), File.ReadAllBytes(System.IO.Path.Combine(result.Folder, f)));
    }

    [Fact]
    public void Written_config_holds_only_keys_of_ort_genai()
    {
        using var model = new Decoder(Harness.Weights(Harness.TinyLlama, seed: 42));
        var result = OnnxExporter.Export(model, dir.Path, new ExportOptions { MaxLength = 200 }, new GenerationConfig { BosTokenId = 1, EosTokenIds = [2] });
        var root = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(result.Folder, "genai_config.json")))!.AsObject();
        Assert.Equal(["model", "search"], root.Select(p => p.Key).Order());
        Assert.Equal(["bos_token_id", "context_length", "decoder", "eos_token_id", "pad_token_id", "type", "vocab_size"],
            root["model"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(["filename", "head_size", "hidden_size", "inputs", "num_attention_heads", "num_hidden_layers", "num_key_value_heads", "outputs", "session_options"],
            root["model"]!["decoder"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(["attention_mask", "input_ids", "past_key_names", "past_value_names"], root["model"]!["decoder"]!["inputs"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(200, root["search"]!["max_length"]!.GetValue<int>());
        Assert.Equal("llama", root["model"]!["type"]!.GetValue<string>());
    }

    string ExportTiny()
    {
        using var model = new Decoder(Harness.Weights(Harness.SmallQwen2, seed: 43));
        return OnnxExporter.Export(model, dir.Sub("m")).Folder;
    }

    static void Edit(string folder, Action<JsonObject> edit)
    {
        var path = System.IO.Path.Combine(folder, "genai_config.json");
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(root);
        File.WriteAllText(path, root.ToJsonString());
    }

    [Theory]
    [InlineData("model.decoder", "use_cache", "model.decoder.use_cache")]
    [InlineData("model", "architectures", "model.architectures")]
    [InlineData("search", "max_new_tokens", "search.max_new_tokens")]
    [InlineData("", "toolkit_version", "toolkit_version")]
    public void Unknown_key_is_refused_naming_its_path(string parent, string key, string path)
    {
        var folder = ExportTiny();
        Edit(folder, root =>
        {
            var obj = parent.Length == 0 ? root : parent.Split('.').Aggregate(root, (o, k) => o[k]!.AsObject());
            obj[key] = 1;
        });
        var e = Assert.Throws<OnnxException>(() => GenAiConfigJson.Read(folder));
        output.WriteLine(e.Message);
        Assert.Contains($"'{path}'", e.Message);
        Assert.Contains("not a key ORT-GenAI accepts", e.Message);
        Assert.Contains("genai_config.json", e.Message);
    }

    [Fact]
    public void Session_config_entries_with_string_values_are_accepted_and_others_refused()
    {
        var folder = ExportTiny();
        Edit(folder, root => root["model"]!["decoder"]!["session_options"]!["session.intra_op.allow_spinning"] = "0");
        Assert.Equal("0", GenAiConfigJson.Read(folder).Decoder.SessionOptions["session.intra_op.allow_spinning"]);
        Edit(folder, root => root["model"]!["decoder"]!["session_options"]!["session.intra_op.allow_spinning"] = 0);
        var e = Assert.Throws<OnnxException>(() => GenAiConfigJson.Read(folder));
        Assert.Contains("model.decoder.session_options.session.intra_op.allow_spinning", e.Message);
    }

    [Fact]
    public void Missing_model_file_is_refused_naming_it()
    {
        var folder = ExportTiny();
        File.Delete(System.IO.Path.Combine(folder, "model.onnx"));
        var e = Assert.Throws<OnnxException>(() => GenAiConfigJson.Read(folder));
        output.WriteLine(e.Message);
        Assert.Contains("'model.decoder.filename'", e.Message);
        Assert.Contains("'model.onnx', which does not exist", e.Message);
    }

    [Fact]
    public void Missing_tokenizer_dir_and_missing_config_are_refused()
    {
        var folder = ExportTiny();
        Edit(folder, root => root["model"]!["tokenizer_dir"] = "tok");
        var e = Assert.Throws<OnnxException>(() => GenAiConfigJson.Read(folder));
        Assert.Contains("'model.tokenizer_dir'", e.Message);

        File.Delete(System.IO.Path.Combine(folder, "genai_config.json"));
        e = Assert.Throws<OnnxException>(() => GenAiConfigJson.Read(folder));
        Assert.Contains("genai_config.json", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Missing_required_field_and_wrong_type_are_refused()
    {
        var folder = ExportTiny();
        Edit(folder, root => root["model"]!["decoder"]!.AsObject().Remove("num_hidden_layers"));
        Assert.Contains("'model.decoder.num_hidden_layers' is missing", Assert.Throws<OnnxException>(() => GenAiConfigJson.Read(folder)).Message);

        folder = ExportTiny();
        Edit(folder, root => root["search"]!["do_sample"] = "yes");
        Assert.Contains("'search.do_sample' is \"yes\", not true or false", Assert.Throws<OnnxException>(() => GenAiConfigJson.Read(folder)).Message);
    }

    [Fact]
    public void Reads_the_config_ort_genai_ships_in_its_tests()
    {
        // test/models/engine/dummy-decoder/genai_config.json of onnxruntime-genai, verbatim (see shared/reference/ORT.md)
        File.WriteAllText(dir.Sub("decoder.onnx"), "");
        File.WriteAllText(dir.Sub("genai_config.json"), """
            {"model":{"type":"gpt2","bos_token_id":0,"eos_token_id":1,"pad_token_id":0,"vocab_size":32,"context_length":128,
             "decoder":{"session_options":{"log_id":"onnxruntime-genai","provider_options":[]},"filename":"decoder.onnx",
              "num_attention_heads":2,"num_key_value_heads":2,"head_size":4,"hidden_size":8,"num_hidden_layers":1,
              "inputs":{"input_ids":"input_ids","attention_mask":"attention_mask","position_ids":"position_ids",
                        "past_key_names":"past_key_values.%d.key","past_value_names":"past_key_values.%d.value"},
              "outputs":{"logits":"logits","present_key_names":"present.%d.key","present_value_names":"present.%d.value"}}},
             "search":{"max_length":128}}
            """);
        var c = GenAiConfigJson.Read(dir.Path);
        Assert.Equal("position_ids", c.Decoder.PositionIds);
        Assert.Equal(128, c.Search.MaxLength);
        Assert.Equal([1], c.EosTokenIds);
        _ = JsonSerializer.Serialize(c.Decoder.SessionOptions);
    }
}
