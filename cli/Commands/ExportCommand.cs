using System.CommandLine;
using Toolkit.Core.Onnx;
using Toolkit.Export;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit export --model DIR --out DIR [--dtype fp32|fp16] [--ops gqa|contrib|standard] [--threads N] [--external-data auto|always|never]`:
/// an HF checkpoint folder → an ONNX Runtime GenAI model folder (model.onnx, genai_config.json, tokenizer files).
/// </summary>
static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "HF checkpoint folder (config.json, *.safetensors, tokenizer files).", Required = true };
        var output = new Option<string>("--out") { Description = "ONNX model folder to write.", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "fp32 (default; exact parity with the training model) or fp16 (weights, KV cache and logits).", DefaultValueFactory = _ => "fp32" };
        var ops = new Option<string>("--ops") { Description = "gqa (default: ORT-GenAI's builder form for CPU: contrib ops SkipSimplifiedLayerNormalization, RotaryEmbedding and GroupQueryAttention over a shared max_length KV buffer; right-padded batches), contrib (the same with attention in standard ops: any padding) or standard (default-domain opset 17 only, for any ONNX tool).", DefaultValueFactory = _ => "gqa" };
        var external = new Option<string>("--external-data") { Description = "auto (default: weights in model.onnx.data above 1 GiB), always or never.", DefaultValueFactory = _ => "auto" };
        var maxLength = new Option<int?>("--max-length") { Description = "genai_config.json search.max_length; default the model's context length." };
        var threads = new Option<int?>("--threads") { Description = $"genai_config.json intra_op_num_threads; default this machine's physical cores ({Toolkit.Runtime.Ort.CpuCores.DefaultIntraOpThreads} here, at most 16); 0 = ONNX Runtime decides where the folder runs (one thread on VMs whose CPUID hides cores)." };
        var command = new Command("export", "Export a checkpoint to an ONNX Runtime GenAI model folder.") { model, output, dtype, ops, external, maxLength, threads };
        command.SetAction(parse =>
        {
            var options = new ExportOptions
            {
                Dtype = parse.GetValue(dtype) switch { "fp32" => ExportDtype.Fp32, "fp16" => ExportDtype.Fp16, var d => throw new ArgumentException($"--dtype '{d}': use fp32 or fp16") },
                Ops = parse.GetValue(ops) switch { "contrib" => ExportOps.OrtContrib, "standard" => ExportOps.Standard, "gqa" => ExportOps.OrtGqa, var o => throw new ArgumentException($"--ops '{o}': use contrib, gqa or standard") },
                ExternalData = parse.GetValue(external) switch
                {
                    "auto" => ExternalData.Auto, "always" => ExternalData.Always, "never" => ExternalData.Never,
                    var e => throw new ArgumentException($"--external-data '{e}': use auto, always or never"),
                },
                MaxLength = parse.GetValue(maxLength),
                IntraOpThreads = parse.GetValue(threads),
            };
            OutputPaths.RequireFolder(parse.GetValue(output)!, "--out");
            var result = OnnxExporter.Export(parse.GetValue(model)!, parse.GetValue(output)!, options);
            Console.WriteLine($"wrote {result.Folder}: {string.Join(", ", result.Files)}");
            Console.WriteLine($"ops: {string.Join(", ", result.Ops)}");
            Console.WriteLine($"intra_op_num_threads: {result.Config.Decoder.SessionOptions["intra_op_num_threads"]} (--threads to set another count, 0 to let ONNX Runtime decide where the folder runs)");
            return 0;
        });
        return command;
    }
}
