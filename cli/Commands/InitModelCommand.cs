using System.CommandLine;
using Toolkit.Core.Checkpoints;
using Toolkit.Train.Model;
using static TorchSharp.torch;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit init-model --preset NAME --out DIR [--tokenizer DIR] [--seed N] [--dtype float32|bfloat16|float16]`:
/// writes a random-initialized HF checkpoint folder of a preset shape (tests, benchmarks, training from scratch).
/// With --tokenizer the vocabulary size follows the tokenizer and its files are copied in.
/// </summary>
static class InitModelCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = $"Model shape: {string.Join(", ", Presets.Names)}.", DefaultValueFactory = _ => "tiny" };
        var output = new Option<string>("--out") { Description = "Checkpoint folder to write.", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Folder with tokenizer.json / tokenizer_config.json to copy in; sets vocab_size and special token ids." };
        var seed = new Option<long>("--seed") { Description = "Seed of the N(0, 0.02) initialization.", DefaultValueFactory = _ => 0 };
        var dtype = new Option<string>("--dtype") { Description = "Stored weight type: float32, bfloat16 or float16.", DefaultValueFactory = _ => "float32" };
        var command = new Command("init-model", "Write a random-initialized checkpoint folder of a preset shape.") { preset, output, tokenizer, seed, dtype };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            OutputPaths.RequireFolder(folder, "--out");
            var written = Create(parse.GetValue(preset)!, folder, parse.GetValue(tokenizer), parse.GetValue(seed), ParseDtype(parse.GetValue(dtype)!));
            Console.WriteLine($"wrote {folder}: {string.Join(", ", written)}");
            return 0;
        });
        return command;
    }

    public static IReadOnlyList<string> Create(string preset, string folder, string? tokenizerFolder, long seed, ScalarType dtype)
    {
        var source = tokenizerFolder is null ? null : Toolkit.Core.Folders.ModelFolder.Open(tokenizerFolder);
        var tok = source?.Tokenizer;
        var config = Presets.Get(preset, tok?.VocabSize);
        GenerationConfig? generation = null;
        if (tok is not null)
        {
            // eos_token_id: EOS plus the template's end-of-turn (a list where they differ, as vendors ship instruct models)
            config = config with { BosTokenId = tok.BosId, EosTokenIds = source!.StopIds };
            generation = new GenerationConfig { BosTokenId = tok.BosId, EosTokenIds = config.EosTokenIds, PadTokenId = tok.PadId };
        }
        Directory.CreateDirectory(folder);
        using var weights = DecoderWeights.Random(config, seed);
        var written = weights.Save(folder, generation, dtype).ToList();
        if (source is not null) written.AddRange(source.CopyTokenizerFiles(folder));
        return written;
    }

    static ScalarType ParseDtype(string s) => s switch
    {
        "float32" or "fp32" => ScalarType.Float32,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float16" or "fp16" => ScalarType.Float16,
        _ => throw new ArgumentException($"--dtype '{s}': use float32, bfloat16 or float16"),
    };
}
