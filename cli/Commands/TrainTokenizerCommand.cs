using System.CommandLine;
using System.Text.Json.Nodes;
using Toolkit.Core.Checkpoints;
using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit train-tokenizer --corpus FILE --out DIR [--vocab-size N]`: learns a byte-level BPE vocabulary from text lines
/// and writes tokenizer.json + tokenizer_config.json with ChatML special tokens and the tiny preset's chat template.
/// </summary>
static class TrainTokenizerCommand
{
    /// <summary>The special tokens of the tiny preset (ChatML turns and end of text).</summary>
    public static readonly string[] ChatMlSpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    public static Command Create()
    {
        var corpus = new Option<string>("--corpus") { Description = "UTF-8 text file, one training line per line.", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write tokenizer.json and tokenizer_config.json into.", Required = true };
        var vocab = new Option<int>("--vocab-size") { Description = "Total vocabulary including 256 byte tokens and the special tokens (300..65536).", DefaultValueFactory = _ => 4096 };
        var command = new Command("train-tokenizer", "Learn a byte-level BPE tokenizer with ChatML special tokens and chat template.") { corpus, output, vocab };
        command.SetAction(parse =>
        {
            var size = parse.GetValue(vocab);
            if (size is < 300 or > 65536) throw new ArgumentException($"--vocab-size {size} is outside 300..65536");
            var path = parse.GetValue(corpus)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"--corpus: no file at {path}");
            OutputPaths.RequireFolder(parse.GetValue(output)!, "--out");
            var bpe = Train(File.ReadLines(path), size, parse.GetValue(output)!);
            Console.WriteLine($"wrote {parse.GetValue(output)}: {bpe}");
            return 0;
        });
        return command;
    }

    /// <summary>Trains, saves, and adds the tiny preset's ChatML chat_template to tokenizer_config.json.</summary>
    public static TrainedBpe Train(IEnumerable<string> lines, int vocabSize, string folder)
    {
        var bpe = BpeTrainer.Train(lines, vocabSize, ChatMlSpecialTokens);
        bpe.EosToken = "<|im_end|>";
        bpe.PadToken = "<|endoftext|>";
        bpe.Save(folder);
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = ChatTemplate.TinyPresetSource;
        AtomicFile.WriteAllText(configPath, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return bpe;
    }
}
