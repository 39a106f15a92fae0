using System.Text.Json.Nodes;
using FsCheck.Xunit;
using Google.Protobuf;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Onnx;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Tests.Fuzz;

/// <summary>
/// Property tests for the parsers that read files from the internet: a valid file with random bytes changed, inserted
/// or cut off (and, for templates, random token soup) must give a result or our own exception type naming the file,
/// never anything else (IndexOutOfRange, NullReference, a stack overflow, a hang). Case counts are in each
/// [Property(MaxTest = N)].
/// </summary>
public sealed class ParserFuzzTests : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("tk-fuzz-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>Edits described by FsCheck: overwrite bytes at positions, insert a run, and maybe cut the end.</summary>
    static byte[] Mutate(byte[] valid, int[] positions, byte[] values, byte[] insert, int cut)
    {
        var b = new List<byte>(valid);
        positions ??= [];
        values ??= [];
        insert ??= [];
        for (var k = 0; k < Math.Min(positions.Length, values.Length); k++) b[(int)((uint)positions[k] % (uint)b.Count)] = values[k];
        if (insert.Length > 0) b.InsertRange((int)((uint)cut % (uint)(b.Count + 1)), insert);
        if (cut % 5 == 0 && b.Count > 0) b.RemoveRange((int)((uint)cut % (uint)b.Count), b.Count - (int)((uint)cut % (uint)b.Count));
        return [.. b];
    }

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // ---- safetensors ----

    static readonly Lazy<byte[]> ValidSafetensors = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"tk-fuzz-seed-{Environment.ProcessId}.safetensors");
        SafetensorsWriter.Write(path,
        [
            TensorBytes.FromFloats("a.weight", [2, 3], [1, 2, 3, 4, 5, 6]),
            new TensorBytes("b.bias", SafetensorsDType.BF16, [4], new byte[8]),
            new TensorBytes("c.ids", SafetensorsDType.I64, [2], new byte[16]),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    });

    [Property(MaxTest = 300)]
    public void Safetensors_header_gives_tensors_or_a_CheckpointException(int[] positions, byte[] values, byte[] insert, int cut)
    {
        var path = Write("m.safetensors", Mutate(ValidSafetensors.Value, positions, values, insert, cut));
        try
        {
            using var f = SafetensorsFile.Open(path);
            foreach (var name in f.Names)
            {
                var t = f[name];
                _ = t.Span.Length;
                WeightChecks.CountNonFinite(t);
            }
        }
        catch (CheckpointException e) { Assert.Contains(path, e.Message + e.FilePath); }
    }

    // ---- config.json ----

    static readonly byte[] ValidConfig = System.Text.Encoding.UTF8.GetBytes("""
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
         "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4, "vocab_size": 10,
         "max_position_embeddings": 32, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "bos_token_id": 1, "eos_token_id": [2, 3],
         "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 16},
         "tie_word_embeddings": true, "torch_dtype": "bfloat16"}
        """);

    [Property(MaxTest = 300)]
    public void Config_json_reads_or_raises_a_CheckpointException(int[] positions, byte[] values, byte[] insert, int cut)
    {
        var path = Write("config.json", Mutate(ValidConfig, positions, values, insert, cut));
        try { ModelConfigJson.Read(path); }
        catch (CheckpointException e) { Assert.Equal(path, e.FilePath); }
    }

    // ---- tokenizer.json ----

    static readonly Lazy<byte[]> ValidTokenizer = new(() =>
    {
        var folder = Path.Combine(Path.GetTempPath(), $"tk-fuzz-tok-{Environment.ProcessId}");
        BpeTrainer.Train(["hello world, the quick brown fox; 一加一等于几？ naïve café"], 300, ["<|im_start|>", "<|im_end|>"]).Save(folder);
        var bytes = File.ReadAllBytes(Path.Combine(folder, "tokenizer.json"));
        Directory.Delete(folder, true);
        return bytes;
    });

    [Property(MaxTest = 200)]
    public void Tokenizer_json_gives_a_tokenizer_or_a_TokenizerFormatException(int[] positions, byte[] values, byte[] insert, int cut, string text)
    {
        var path = Write("tokenizer.json", Mutate(ValidTokenizer.Value, positions, values, insert, cut));
        try
        {
            var tok = Tokenizer.FromFile(path);
            var ids = tok.Encode(text ?? "");
            tok.Decode(ids);
        }
        catch (TokenizerFormatException e) { Assert.Equal(path, e.FilePath); }
    }

    // ---- chat templates ----

    static readonly string[] Pieces =
    [
        "{{ ", " }}", "{% ", " %}", "{%- ", " -%}", "for ", "m ", "in ", "messages ", "endfor", "if ", "else", "endif", "macro ", "f(n)",
        "endmacro", "f(", "n+1", ")", "(", "[", "]", "x", " + ", " * ", "'ab'", "10", "range(", "1000", "|", "join", "length", "set ",
        "ns", " = ", "namespace(s='a')", "ns.s", "loop.index", "{#", "#}", "\n", "caller()", "call ", "endcall", "not ", "-", "~", ".", ",",
        "raise_exception('no')", "tojson", "replace('a', 'aa')", "message['content']", "is ", "defined",
    ];

    [Property(MaxTest = 500)]
    public void Chat_templates_render_or_raise_a_TemplateException(int[] choice)
    {
        var source = string.Concat((choice ?? []).Select(c => Pieces[(int)((uint)c % (uint)Pieces.Length)]));
        var limits = new TemplateLimits { MaxSteps = 100_000, MaxOutputChars = 100_000 };
        try
        {
            ChatTemplate.Parse(source).WithLimits(limits).Render(
                new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }), true);
        }
        catch (TemplateException) { }
    }

    // ---- ONNX model bytes and genai_config.json ----

    static readonly Lazy<byte[]> ValidOnnx = new(() =>
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(new ValueInfoProto { Name = "x", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = 2 } } } } } });
        graph.Output.Add(new ValueInfoProto { Name = "y", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
        graph.Initializer.Add(new TensorProto { Name = "w", DataType = 1, Dims = { 2 }, RawData = ByteString.CopyFrom(new byte[8]) });
        graph.Node.Add(new NodeProto { OpType = "Add", Input = { "x", "w" }, Output = { "y" } });
        return new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Version = 17 } } }.ToByteArray();
    });

    [Property(MaxTest = 300)]
    public void Onnx_model_bytes_load_or_raise_an_OnnxException(int[] positions, byte[] values, byte[] insert, int cut)
    {
        var path = Write("model.onnx", Mutate(ValidOnnx.Value, positions, values, insert, cut));
        try
        {
            var model = OnnxModelReader.Load(path);
            foreach (var t in model.Graph.Initializer) OnnxModelReader.RawBytes(t);
        }
        catch (OnnxException e) { Assert.Equal(path, e.FilePath); }
    }

    static readonly Lazy<byte[]> ValidGenAi = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"tk-fuzz-genai-{Environment.ProcessId}.json");
        GenAiConfigJson.Write(path, new GenAiConfig
        {
            ModelType = "llama", VocabSize = 100, ContextLength = 64, EosTokenIds = [2], BosTokenId = 1,
            Decoder = new GenAiDecoder { Filename = "model.onnx", HiddenSize = 32, NumAttentionHeads = 4, NumKeyValueHeads = 2, NumHiddenLayers = 2, HeadSize = 8 },
        });
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    });

    [Property(MaxTest = 300)]
    public void Genai_config_json_reads_or_raises_an_OnnxException(int[] positions, byte[] values, byte[] insert, int cut)
    {
        var path = Write(GenAiConfig.FileName, Mutate(ValidGenAi.Value, positions, values, insert, cut));
        try
        {
            var config = GenAiConfigJson.Read(path);
            GenAiGraphCheck.Validate(config, path, new GraphProto());
        }
        catch (OnnxException e) { Assert.Equal(path, e.FilePath); }
    }
}
