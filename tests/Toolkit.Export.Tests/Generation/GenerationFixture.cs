using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Onnx;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;
using Toolkit.Train.Model;

namespace Toolkit.Export.Tests.Generation;

/// <summary>
/// One exported tiny model shared by the generation tests: the tiny preset's shape (GQA 4/2 heads) with a 512-token
/// vocabulary, random weights, a byte-level BPE tokenizer trained here (ChatML specials, chat template in
/// tokenizer_config.json), EOS = [&lt;|im_end|&gt;, &lt;|endoftext|&gt;]. Keeps the libtorch decoder for parity.
/// </summary>
public sealed class GenerationFixture : IDisposable
{
    static readonly string[] Corpus =
    [
        "What is 2+2? The answer is 4.", "The capital of France is Paris.", "Hello! How can I help you today?",
        "一加一等于几？答案是二。", "你好！我不能帮你做这件事。", "user assistant system", "The sky is blue and the grass is green.",
        "cat dog apple house tree water €100 naïve café", "Sorry, I can't help with that.", "Translate to Chinese: 猫 狗",
    ];

    readonly TempDir _dir = new();

    /// <summary>The exported folder.</summary>
    public string Folder { get; }

    /// <summary>The libtorch decoder the folder was exported from.</summary>
    public Decoder Torch { get; }

    /// <summary>The trained tokenizer.</summary>
    public Tokenizer Tokenizer { get; }

    public GenerationFixture()
    {
        var tokFolder = _dir.Sub("tokenizer");
        var trained = BpeTrainer.Train(Corpus.Concat(Corpus), 480, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
        trained.Save(tokFolder);
        var configPath = Path.Combine(tokFolder, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = ChatTemplate.TinyPresetSource;
        File.WriteAllText(configPath, config.ToJsonString());
        Tokenizer = Tokenizer.FromFolder(tokFolder);

        var model = Presets.Get("tiny", vocabSize: 512) with { MaxPositionEmbeddings = 256 };
        Torch = new Decoder(Harness.Weights(model, seed: 21));
        Folder = _dir.Sub("onnx");
        var eos = new[] { Tokenizer.TokenToId("<|im_end|>")!.Value, Tokenizer.TokenToId("<|endoftext|>")!.Value };
        OnnxExporter.Export(Torch, Folder, new ExportOptions(), new GenerationConfig { EosTokenIds = eos, PadTokenId = eos[1] }, tokFolder);
    }

    /// <summary>A copy of the folder whose genai_config.json has <paramref name="edit"/> applied (e.g. other EOS ids).</summary>
    public string CopyWith(string name, Func<GenAiConfig, GenAiConfig> edit)
    {
        var dir = _dir.Sub(name);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Folder)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)), overwrite: true);
        GenAiConfigJson.Write(Path.Combine(dir, GenAiConfig.FileName), edit(GenAiConfigJson.Read(dir)));
        return dir;
    }

    /// <summary>Twenty prompts of 2..14 random ids (no special tokens), fixed by <paramref name="seed"/>.</summary>
    public static int[][] Prompts(int count, int seed, int vocab = 480)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, rng.Next(2, 15)).Select(_ => rng.Next(vocab)).ToArray()).ToArray();
    }

    public void Dispose()
    {
        Torch.Dispose();
        _dir.Dispose();
    }
}
