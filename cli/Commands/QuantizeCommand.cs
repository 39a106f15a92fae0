using Toolkit.Core.Options;
using System.CommandLine;
using Toolkit.Quantize;
using Toolkit.Quantize.Report;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit quantize --model DIR --out DIR [--bits 8|4] [--granularity tensor|channel|block] ...`: an exported ONNX folder
/// → an INT8 / INT4 folder that runs in ORT-GenAI; `toolkit quantize report --reference DIR --text FILE [DIR...] [--sweep]`:
/// the accuracy report. Help texts come from the options records' [Option] attributes.
/// </summary>
static class QuantizeCommand
{
    static string Help<T>(string property) => OptionAttribute.Of<T>(property).Help;
    static string Flag<T>(string property) => OptionAttribute.Of<T>(property).Flag;

    public static Command Create()
    {
        var q = new QuantizeOptions();
        var model = new Option<string>(Flag<QuantizeOptions>(nameof(q.Model))) { Description = Help<QuantizeOptions>(nameof(q.Model)), Required = true };
        var output = new Option<string>(Flag<QuantizeOptions>(nameof(q.Out))) { Description = Help<QuantizeOptions>(nameof(q.Out)), Required = true };
        var bits = new Option<int>(Flag<QuantizeOptions>(nameof(q.Bits))) { Description = Help<QuantizeOptions>(nameof(q.Bits)), DefaultValueFactory = _ => q.Bits };
        var granularity = new Option<string>(Flag<QuantizeOptions>(nameof(q.Granularity))) { Description = Help<QuantizeOptions>(nameof(q.Granularity)), DefaultValueFactory = _ => "tensor" };
        var blockSize = new Option<int>(Flag<QuantizeOptions>(nameof(q.BlockSize))) { Description = Help<QuantizeOptions>(nameof(q.BlockSize)), DefaultValueFactory = _ => q.BlockSize };
        var symmetric = new Option<bool>("--symmetric") { Description = Help<QuantizeOptions>(nameof(q.Symmetric)) };
        var asymmetric = new Option<bool>("--asymmetric") { Description = "Asymmetric codes with stored zero points (see --symmetric)." };
        var format = new Option<string>(Flag<QuantizeOptions>(nameof(q.Format))) { Description = Help<QuantizeOptions>(nameof(q.Format)), DefaultValueFactory = _ => "matmulnbits" };
        var accuracy = new Option<int>(Flag<QuantizeOptions>(nameof(q.AccuracyLevel))) { Description = Help<QuantizeOptions>(nameof(q.AccuracyLevel)), DefaultValueFactory = _ => q.AccuracyLevel };
        var exclude = new Option<string[]>(Flag<QuantizeOptions>(nameof(q.Exclude))) { Description = Help<QuantizeOptions>(nameof(q.Exclude)), AllowMultipleArgumentsPerToken = false };
        var keep = new Option<string>(Flag<QuantizeOptions>(nameof(q.KeepSensitive))) { Description = Help<QuantizeOptions>(nameof(q.KeepSensitive)), DefaultValueFactory = _ => "none" };
        var method = new Option<string>(Flag<QuantizeOptions>(nameof(q.Method))) { Description = Help<QuantizeOptions>(nameof(q.Method)), DefaultValueFactory = _ => "rtn" };
        var calibration = new Option<string?>(Flag<QuantizeOptions>(nameof(q.Calibration))) { Description = Help<QuantizeOptions>(nameof(q.Calibration)) };
        var samples = new Option<int>(Flag<QuantizeOptions>(nameof(q.CalibrationSamples))) { Description = Help<QuantizeOptions>(nameof(q.CalibrationSamples)), DefaultValueFactory = _ => q.CalibrationSamples };
        var overwrite = new Option<bool>(Flag<QuantizeOptions>(nameof(q.Overwrite))) { Description = Help<QuantizeOptions>(nameof(q.Overwrite)) };
        var dtype = new Option<string>(Flag<QuantizeOptions>(nameof(q.Dtype))) { Description = Help<QuantizeOptions>(nameof(q.Dtype)), DefaultValueFactory = _ => "fp32" };
        var command = new Command("quantize", "Quantize an exported ONNX folder to INT8 / INT4 (MatMulNBits or QDQ); `quantize report` measures what it cost.")
        {
            model, output, bits, granularity, blockSize, symmetric, asymmetric, format, accuracy, exclude, keep, method, calibration, samples, overwrite, dtype, Report(),
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(symmetric) && parse.GetValue(asymmetric)) throw new QuantizeException("--symmetric and --asymmetric: pass one");
            var options = new QuantizeOptions
            {
                Model = parse.GetValue(model), Out = parse.GetValue(output), Bits = parse.GetValue(bits),
                Granularity = parse.GetValue(granularity) switch
                {
                    "tensor" => Granularity.Tensor, "channel" => Granularity.Channel, "block" => Granularity.Block,
                    var g => throw new QuantizeException($"--granularity '{g}': use tensor, channel or block"),
                },
                BlockSize = parse.GetValue(blockSize), Symmetric = !parse.GetValue(asymmetric),
                Format = parse.GetValue(format) switch { "matmulnbits" => QuantFormat.MatMulNBits, "qdq" => QuantFormat.Qdq, var f => throw new QuantizeException($"--format '{f}': use matmulnbits or qdq") },
                AccuracyLevel = parse.GetValue(accuracy), Exclude = parse.GetValue(exclude) ?? [],
                KeepSensitive = parse.GetValue(keep) switch
                {
                    "none" => KeepSensitive.None, "head" => KeepSensitive.Head, "head-and-attention" => KeepSensitive.HeadAndAttention,
                    var k => throw new QuantizeException($"--keep-sensitive '{k}': use none, head or head-and-attention"),
                },
                Method = parse.GetValue(method) switch { "rtn" => QuantMethod.Rtn, "gptq" => QuantMethod.Gptq, var m => throw new QuantizeException($"--method '{m}': use rtn or gptq") }, Calibration = parse.GetValue(calibration), CalibrationSamples = parse.GetValue(samples), Overwrite = parse.GetValue(overwrite),
                Dtype = parse.GetValue(dtype) switch { "fp32" => UnquantizedDType.Fp32, "fp16" => UnquantizedDType.Fp16, var d => throw new QuantizeException($"--dtype '{d}': use fp32 or fp16") },
            };
            var result = Quantizer.Run(options, Console.WriteLine);
            Console.WriteLine($"{QuantizationManifest.FileName}: {result.Manifest.Nodes.Count(n => n.Action == "quantized")} quantized, {result.Manifest.Nodes.Count(n => n.Action != "quantized")} kept");
            return 0;
        });
        return command;
    }

    static Command Report()
    {
        var r = new ReportOptions();
        var reference = new Option<string>(Flag<ReportOptions>(nameof(r.Reference))) { Description = Help<ReportOptions>(nameof(r.Reference)), Required = true };
        var variants = new Argument<string[]>("variants") { Description = Help<ReportOptions>(nameof(r.Variants)), Arity = ArgumentArity.ZeroOrMore };
        var text = new Option<string>(Flag<ReportOptions>(nameof(r.Text))) { Description = Help<ReportOptions>(nameof(r.Text)), Required = true };
        var samples = new Option<int>(Flag<ReportOptions>(nameof(r.Samples))) { Description = Help<ReportOptions>(nameof(r.Samples)), DefaultValueFactory = _ => r.Samples };
        var maxTokens = new Option<int>(Flag<ReportOptions>(nameof(r.MaxTokens))) { Description = Help<ReportOptions>(nameof(r.MaxTokens)), DefaultValueFactory = _ => r.MaxTokens };
        var prompts = new Option<int>(Flag<ReportOptions>(nameof(r.Prompts))) { Description = Help<ReportOptions>(nameof(r.Prompts)), DefaultValueFactory = _ => r.Prompts };
        var newTokens = new Option<int>(Flag<ReportOptions>(nameof(r.NewTokens))) { Description = Help<ReportOptions>(nameof(r.NewTokens)), DefaultValueFactory = _ => r.NewTokens };
        var output = new Option<string>(Flag<ReportOptions>(nameof(r.Out))) { Description = Help<ReportOptions>(nameof(r.Out)), DefaultValueFactory = _ => r.Out };
        var sweep = new Option<bool>(Flag<ReportOptions>(nameof(r.Sweep))) { Description = Help<ReportOptions>(nameof(r.Sweep)) };
        var calibration = new Option<string?>(Flag<ReportOptions>(nameof(r.Calibration))) { Description = Help<ReportOptions>(nameof(r.Calibration)) };
        var calibSamples = new Option<int>(Flag<ReportOptions>(nameof(r.CalibrationSamples))) { Description = Help<ReportOptions>(nameof(r.CalibrationSamples)), DefaultValueFactory = _ => r.CalibrationSamples };
        var maxDelta = new Option<double?>(Flag<ReportOptions>(nameof(r.MaxDeltaPpl))) { Description = Help<ReportOptions>(nameof(r.MaxDeltaPpl)) };
        var threads = new Option<int>(Flag<ReportOptions>(nameof(r.Threads))) { Description = Help<ReportOptions>(nameof(r.Threads)), DefaultValueFactory = _ => r.Threads };
        var command = new Command("report", "Accuracy report of quantized folders against their reference: perplexity and Δ, mean KL, top-1 agreement, greedy match, size, load time, tok/s, peak RSS (CSV, Markdown, HTML).")
        {
            reference, variants, text, samples, maxTokens, prompts, newTokens, output, sweep, calibration, calibSamples, maxDelta, threads,
        };
        command.SetAction(parse =>
        {
            var options = new ReportOptions
            {
                Reference = parse.GetValue(reference), Variants = parse.GetValue(variants) ?? [], Text = parse.GetValue(text), Samples = parse.GetValue(samples),
                MaxTokens = parse.GetValue(maxTokens), Prompts = parse.GetValue(prompts), NewTokens = parse.GetValue(newTokens), Out = parse.GetValue(output)!,
                Sweep = parse.GetValue(sweep), Calibration = parse.GetValue(calibration), CalibrationSamples = parse.GetValue(calibSamples), MaxDeltaPpl = parse.GetValue(maxDelta), Threads = parse.GetValue(threads),
            };
            var result = QuantReport.Run(options, Console.WriteLine);
            Console.WriteLine();
            Console.WriteLine(ReportWriter.Markdown(result.Rows, options));
            Console.WriteLine($"wrote {Path.Combine(result.Folder, "report.csv")}, report.md, report.html");
            if (result.OverBudget.Count == 0) return 0;
            Console.Error.WriteLine($"gate: {string.Join(", ", result.OverBudget)} lost more than {options.MaxDeltaPpl}% perplexity");
            return 2;
        });
        return command;
    }
}
