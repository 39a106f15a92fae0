using Toolkit.Core.Checkpoints;
using Toolkit.Core.Folders;
using Toolkit.Core.Onnx;
using Toolkit.Runtime.Ort;
using Toolkit.Train.Model;

namespace Toolkit.Export;

/// <summary>What an export wrote.</summary>
/// <param name="Folder">The output folder (full path).</param>
/// <param name="Files">File names written, in order.</param>
/// <param name="Ops">Operators the graph uses (<c>com.microsoft.X</c> for contrib ops).</param>
/// <param name="Config">The genai_config.json written.</param>
public sealed record ExportResult(string Folder, IReadOnlyList<string> Files, IReadOnlyList<string> Ops, GenAiConfig Config);

/// <summary>
/// Exports a decoder to an ONNX Runtime GenAI model folder: model.onnx (+ model.onnx.data for big models),
/// genai_config.json, generation_config.json and the tokenizer files of the source checkpoint (tokenizer.json,
/// tokenizer_config.json with its chat_template, special_tokens_map.json, chat_template.jinja when present).
/// </summary>
public static class OnnxExporter
{
    /// <summary>Tokenizer files copied from the checkpoint folder when present.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles = ModelFolder.TokenizerFileNames;

    /// <summary>Exports the HF checkpoint in <paramref name="checkpointFolder"/> to <paramref name="outFolder"/>.</summary>
    public static ExportResult Export(string checkpointFolder, string outFolder, ExportOptions? options = null)
    {
        using var folder = CheckpointFolder.Open(checkpointFolder);
        FolderValidation.Validate(folder);
        using var weights = DecoderWeights.Load(folder);
        return Export(weights, outFolder, options, folder.Generation, folder.Folder);
    }

    /// <summary>Exports a decoder's weights; <paramref name="tokenizerFolder"/> is where tokenizer files are copied from (optional).</summary>
    public static ExportResult Export(Decoder decoder, string outFolder, ExportOptions? options = null, GenerationConfig? generation = null, string? tokenizerFolder = null) =>
        Export(decoder.Weights, outFolder, options, generation, tokenizerFolder);

    /// <summary>Exports <paramref name="weights"/> (see the other overloads).</summary>
    public static ExportResult Export(DecoderWeights weights, string outFolder, ExportOptions? options = null, GenerationConfig? generation = null, string? tokenizerFolder = null)
    {
        options ??= new ExportOptions();
        var config = weights.Config;
        options.Validate(config.MaxPositionEmbeddings);
        var dir = Path.GetFullPath(outFolder);
        Directory.CreateDirectory(dir);

        // 1) the graph
        var (model, ops) = DecoderGraph.Build(weights, options);
        var files = new List<string>(OnnxModelWriter.Save(model, Path.Combine(dir, "model.onnx"), new OnnxSaveOptions { ExternalData = options.ExternalData }));

        // 2) generation_config.json: the checkpoint's, or the ids from config.json
        generation ??= new GenerationConfig { BosTokenId = config.BosTokenId, EosTokenIds = config.EosTokenIds.Count > 0 ? config.EosTokenIds : null };
        if (tokenizerFolder is not null && File.Exists(Path.Combine(tokenizerFolder, "tokenizer.json")))
            generation = generation with { EosTokenIds = ModelFolder.Open(tokenizerFolder).WithStopIds(generation.EosTokenIds ?? config.EosTokenIds) };   // + end-of-turn
        generation.Write(Path.Combine(dir, GenerationConfig.FileName));
        files.Add(GenerationConfig.FileName);

        // 3) genai_config.json
        var genai = GenAi(config, generation, options);
        GenAiConfigJson.Write(Path.Combine(dir, GenAiConfig.FileName), genai);
        files.Add(GenAiConfig.FileName);

        // 4) tokenizer files
        if (tokenizerFolder is not null)
            foreach (var name in TokenizerFiles)
            {
                var src = Path.Combine(tokenizerFolder, name);
                if (!File.Exists(src) || Path.GetFullPath(src) == Path.Combine(dir, name)) continue;
                AtomicFile.Copy(src, Path.Combine(dir, name));
                files.Add(name);
            }
        return new ExportResult(dir, files, ops, genai);
    }

    /// <summary>genai_config.json as ORT-GenAI's builder derives it (base.py make_genai_config), for our graph.</summary>
    static GenAiConfig GenAi(ModelConfig c, GenerationConfig gen, ExportOptions options)
    {
        var eos = gen.EosTokenIds is { Count: > 0 } e ? e : c.EosTokenIds;
        var search = new GenAiSearch
        {
            DoSample = gen.DoSample ?? false,
            MaxLength = options.MaxLength ?? c.MaxPositionEmbeddings,
            Temperature = gen.Temperature ?? 1.0,
            TopK = gen.TopK ?? 50,
            TopP = gen.TopP ?? 1.0,
            RepetitionPenalty = gen.RepetitionPenalty ?? 1.0,
            // GroupQueryAttention writes new keys into the max_length buffer it is given; otherwise present = concat(past, new)
            PastPresentShareBuffer = options.Ops == ExportOps.OrtGqa,
        };
        return new GenAiConfig
        {
            ModelType = c.ModelType,
            BosTokenId = gen.BosTokenId ?? c.BosTokenId,
            EosTokenIds = eos,
            PadTokenId = gen.PadTokenId ?? (eos.Count > 0 ? eos[0] : null),
            VocabSize = c.VocabSize,
            ContextLength = c.MaxPositionEmbeddings,
            Decoder = new GenAiDecoder
            {
                Filename = "model.onnx",
                HiddenSize = c.HiddenSize,
                NumAttentionHeads = c.NumAttentionHeads,
                NumKeyValueHeads = c.NumKeyValueHeads,
                NumHiddenLayers = c.NumHiddenLayers,
                HeadSize = c.HeadDim,
                // A count, not 0 and not absent: ONNX Runtime's 0 counts cores from CPUID (one thread on the VMs here)
                // and ORT-GenAI's absent-field default is half the hardware threads (one here); no option counts cores
                // the way the OS does (CpuCores). Default: this machine's physical cores (≤ 16); --threads overrides.
                SessionOptions = new Dictionary<string, object>
                {
                    ["log_id"] = "onnxruntime-genai", ["intra_op_num_threads"] = options.IntraOpThreads ?? CpuCores.DefaultIntraOpThreads,
                    ["provider_options"] = Array.Empty<object>(),
                },
            },
            Search = search,
        };
    }
}
