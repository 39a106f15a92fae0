using Toolkit.Core.Checkpoints;
using Toolkit.Core.Onnx;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Tests.Checkpoints;

/// <summary>
/// A model folder that cannot be right is refused on load, naming the file and the field (or tensor): non-finite
/// weights, a tokenizer with more ids than vocab_size, special-token ids outside the vocabulary, and a
/// genai_config.json that disagrees with its graph.
/// </summary>
public sealed class FolderValidationTests
{
    static ModelConfig Tiny(int vocab = 64) => new()
    {
        ModelType = "llama", HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1,
        HeadDim = 4, VocabSize = vocab, MaxPositionEmbeddings = 32, EosTokenIds = [2], BosTokenId = 1,
    };

    static TensorBytes W(string name, float fill, params long[] shape)
    {
        var v = new float[shape.Aggregate(1L, (a, d) => a * d)];
        for (var i = 0; i < v.Length; i++) v[i] = fill == 0 ? 0.01f * (i % 7) : fill;
        return TensorBytes.FromFloats(name, shape, v);
    }

    static void Save(string dir, ModelConfig config, float normFill = 1f, GenerationConfig? generation = null) =>
        CheckpointFolder.Save(dir, config, generation, [W("model.embed_tokens.weight", 0, config.VocabSize, 8), W("model.norm.weight", normFill, 8)]);

    [Fact]
    public void A_nan_norm_is_refused_naming_the_tensor_and_the_file()
    {
        using var dir = new TempFolder();
        Save(dir.Path, Tiny(), normFill: float.NaN);
        using var folder = CheckpointFolder.Open(dir.Path);
        var e = Assert.Throws<CheckpointException>(() => FolderValidation.Validate(folder));
        Assert.Contains("'model.norm.weight' (8 of 8 values)", e.Message);
        Assert.Contains(dir.File("model.safetensors"), e.Message);
        Assert.DoesNotContain("learning_rate", e.Message);
    }

    [Theory]
    [InlineData(SafetensorsDType.F32)]
    [InlineData(SafetensorsDType.F16)]
    [InlineData(SafetensorsDType.BF16)]
    public void Non_finite_values_are_counted_in_every_float_dtype(SafetensorsDType dtype)
    {
        // every 7th value non-finite (NaN, +Inf, -Inf in turn), the rest ordinary including the largest finite ones
        var values = new float[1000];
        var expected = 0;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (i % 7) switch { 0 => (i / 7 % 3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity }, 1 => 60000f, 2 => -1e-8f, _ => i * 0.5f };
            if (!float.IsFinite(values[i])) expected++;
        }
        byte[] bytes = dtype switch
        {
            SafetensorsDType.F32 => values.SelectMany(BitConverter.GetBytes).ToArray(),
            SafetensorsDType.F16 => values.SelectMany(v => BitConverter.GetBytes((Half)v)).ToArray(),
            _ => values.SelectMany(v => BitConverter.GetBytes(FloatConversions.ToBFloat16(v))).ToArray(),
        };
        using var dir = new TempFolder();
        SafetensorsWriter.Write(dir.File("w.safetensors"), [new TensorBytes("w", dtype, [1000], bytes)]);
        using var file = SafetensorsFile.Open(dir.File("w.safetensors"));
        Assert.Equal(expected, WeightChecks.CountNonFinite(file["w"]));
    }

    [Fact]
    public void A_vocab_size_smaller_than_the_tokenizer_is_refused_naming_config_json()
    {
        using var dir = new TempFolder();
        var trained = BpeTrainer.Train(["hello world, the quick brown fox jumps over the lazy dog"], 280, ["<|im_start|>", "<|im_end|>"]);
        trained.Save(dir.Path);
        var tokenizerIds = Tokenizer.FromFile(dir.File("tokenizer.json")).VocabSize;
        Save(dir.Path, Tiny(vocab: tokenizerIds - 5));
        using var folder = CheckpointFolder.Open(dir.Path);
        var e = Assert.Throws<CheckpointException>(() => FolderValidation.Validate(folder));
        Assert.Contains($"{dir.File("config.json")}: field 'vocab_size' is {tokenizerIds - 5}", e.Message);
        Assert.Contains($"ids up to {tokenizerIds - 1}", e.Message);

        Save(dir.Path, Tiny(vocab: tokenizerIds));
        using var ok = CheckpointFolder.Open(dir.Path);
        FolderValidation.Validate(ok);
    }

    [Fact]
    public void A_special_token_id_outside_the_vocabulary_is_refused_naming_the_file_and_field()
    {
        using var dir = new TempFolder();
        Save(dir.Path, Tiny(), generation: new GenerationConfig { EosTokenIds = [2, 64] });
        using var folder = CheckpointFolder.Open(dir.Path);
        var e = Assert.Throws<CheckpointException>(() => FolderValidation.Validate(folder));
        // Save writes the stop ids into config.json too (it lists every id generation_config.json lists), which is read first
        Assert.True(e.Message.Contains($"{dir.File("config.json")}: field 'eos_token_id' is 64", StringComparison.Ordinal)
            || e.Message.Contains($"{dir.File("generation_config.json")}: field 'eos_token_id' is 64", StringComparison.Ordinal), e.Message);
    }

    // ---- genai_config.json against the graph ----

    static GenAiConfig Config(int layers = 4, int kvHeads = 2, int headSize = 8, int vocab = 100) => new()
    {
        ModelType = "llama", VocabSize = vocab, ContextLength = 64,
        Decoder = new GenAiDecoder { Filename = "model.onnx", HiddenSize = 32, NumAttentionHeads = 4, NumKeyValueHeads = kvHeads, NumHiddenLayers = layers, HeadSize = headSize },
    };

    static ValueInfoProto Info(string name, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } };
    }

    /// <summary>The inputs and outputs of a 4-layer decoder as `toolkit export` writes them (2 KV heads of 8, 100 logits).</summary>
    static GraphProto Graph(int layers = 4)
    {
        var g = new GraphProto { Name = "decoder" };
        g.Input.Add(Info("input_ids", "batch", "seq"));
        g.Input.Add(Info("attention_mask", "batch", "total"));
        g.Output.Add(Info("logits", "batch", "seq", 100));
        for (var l = 0; l < layers; l++)
        {
            g.Input.Add(Info($"past_key_values.{l}.key", "batch", 2, "past", 8));
            g.Input.Add(Info($"past_key_values.{l}.value", "batch", 2, "past", 8));
            g.Output.Add(Info($"present.{l}.key", "batch", 2, "total", 8));
            g.Output.Add(Info($"present.{l}.value", "batch", 2, "total", 8));
        }
        return g;
    }

    [Fact]
    public void A_matching_config_passes() => GenAiGraphCheck.Validate(Config(), "/m/genai_config.json", Graph());

    [Theory]
    [InlineData(3, 2, 8, 100, "field 'model.decoder.num_hidden_layers' is 3, but model.onnx has 4 layers")]
    [InlineData(5, 2, 8, 100, "field 'model.decoder.num_hidden_layers' is 5, but model.onnx has 4 layers")]
    [InlineData(4, 4, 8, 100, "field 'model.decoder.num_key_value_heads' is 4")]
    [InlineData(4, 2, 16, 100, "field 'model.decoder.head_size' is 16")]
    [InlineData(4, 2, 8, 90, "field 'model.vocab_size' is 90")]
    public void A_config_that_disagrees_with_the_graph_names_the_field(int layers, int kvHeads, int headSize, int vocab, string expected)
    {
        var e = Assert.Throws<OnnxException>(() => GenAiGraphCheck.Validate(Config(layers, kvHeads, headSize, vocab), "/m/genai_config.json", Graph()));
        Assert.Contains("/m/genai_config.json: " + expected, e.Message);
        Assert.Contains("HINT:", e.Message);
    }

    [Fact]
    public void A_renamed_graph_input_is_named()
    {
        var g = Graph();
        g.Input[1].Name = "mask";
        var e = Assert.Throws<OnnxException>(() => GenAiGraphCheck.Validate(Config(), "/m/genai_config.json", g));
        Assert.Contains("field 'model.decoder.inputs.attention_mask' names graph input 'attention_mask'", e.Message);
    }
}
