using Toolkit.Core.Tokenizers;
using Toolkit.Quantize.Report;
using Toolkit.Runtime.Scoring;
using TorchSharp;
using Xunit.Abstractions;

namespace Toolkit.Quantize.Tests;

/// <summary>
/// `quantize report`: the reference's perplexity is libtorch's on the same tokens, the files are written (CSV, Markdown,
/// HTML with an SVG chart), per-tensor int4 shows up as the worst, and --max-delta-ppl names the variants over budget.
/// GPTQ against RTN on the same folder.
/// </summary>
public sealed class ReportTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Report_matches_libtorch_writes_three_files_and_gates()
    {
        var src = dir.Sub("fp32");
        var text = dir.Sub("heldout.txt");
        File.WriteAllLines(text, File.ReadLines(Harness.Corpus).Skip(200).Take(12));
        double torchPpl;
        using (var model = Harness.ExportWithTokenizer(src, seed: 5))
        {
            // libtorch perplexity on the tokens the report scores (same tokenizer, same cut)
            var tok = Tokenizer.FromFolder(src);
            double nll = 0;
            long count = 0;
            foreach (var line in File.ReadLines(text).Where(l => l.Trim().Length > 0))
            {
                var ids = tok.Encode(line).Take(64).Select(i => (long)i).ToArray();
                if (ids.Length < 2) continue;
                using var scope = torch.NewDisposeScope();
                var logits = model.Forward(torch.tensor(ids, [1, ids.Length])).data<float>().ToArray();
                var v = logits.Length / ids.Length;
                for (var t = 0; t + 1 < ids.Length; t++) nll -= logits[t * v + (int)ids[t + 1]] - TeacherForcedScorer.LogSumExp(logits.AsSpan(t * v, v));
                count += ids.Length - 1;
            }
            torchPpl = Math.Exp(nll / count);
        }
        var int8 = Quantizer.Run(new QuantizeOptions { Model = src, Out = dir.Sub("int8-channel"), Bits = 8, Granularity = Granularity.Channel }).Folder;
        var int4 = Quantizer.Run(new QuantizeOptions { Model = src, Out = dir.Sub("int4-tensor"), Bits = 4, Granularity = Granularity.Tensor }).Folder;

        var o = new ReportOptions { Reference = src, Variants = [int8, int4], Text = text, MaxTokens = 64, Prompts = 2, NewTokens = 4, Out = dir.Sub("report"), MaxDeltaPpl = 0.001, Threads = 2 };
        var result = QuantReport.Run(o, output.WriteLine);
        output.WriteLine(ReportWriter.Markdown(result.Rows, o));

        var reference = result.Rows[0];
        output.WriteLine($"reference perplexity: report {reference.Perplexity:F6}, libtorch {torchPpl:F6}, |diff| {Math.Abs(reference.Perplexity - torchPpl):E2}");
        Assert.True(Math.Abs(reference.Perplexity - torchPpl) / torchPpl < 1e-5);
        Assert.Equal(3, result.Rows.Count);
        Assert.Equal(0, reference.DeltaPplPercent);
        var (r8, r4) = (result.Rows[1], result.Rows[2]);
        Assert.StartsWith("int8 channel sym rtn matmulnbits", r8.Scheme);
        Assert.True(r4.MeanKl > r8.MeanKl, $"int4 per-tensor KL {r4.MeanKl} ≤ int8 per-channel {r8.MeanKl}");
        Assert.True(r8.SizeMb < reference.SizeMb && r4.SizeMb < r8.SizeMb);
        Assert.Equal(result.Rows.Skip(1).Where(r => r.DeltaPplPercent > 0.001).Select(r => r.Variant), result.OverBudget);
        Assert.NotEmpty(result.OverBudget);

        var csv = File.ReadAllLines(Path.Combine(result.Folder, "report.csv"));
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("Variant,Scheme,SizeMb,Perplexity,DeltaPplPercent", csv[0]);
        var html = File.ReadAllText(Path.Combine(result.Folder, "report.html"));
        Assert.Contains("<svg", html);
        Assert.Contains("int4-tensor", html);
        Assert.Contains("| int8-channel |", File.ReadAllText(Path.Combine(result.Folder, "report.md")));
    }

    [Fact]
    public void Gptq_beats_rtn_at_int4_block_128_on_held_out_text()
    {
        var src = dir.Sub("fp32");
        using (Harness.ExportWithTokenizer(src, seed: 6)) { }
        var calib = dir.Sub("calib.txt");
        var held = dir.Sub("heldout.txt");
        var lines = File.ReadLines(Harness.Corpus).Where(l => l.Trim().Length > 0).ToList();
        File.WriteAllLines(calib, lines.Take(64));
        File.WriteAllLines(held, lines.Skip(200).Take(16));
        var baseOptions = new QuantizeOptions { Model = src, Bits = 4, Granularity = Granularity.Block, BlockSize = 128, AccuracyLevel = 0 };
        var rtn = Quantizer.Run(baseOptions with { Out = dir.Sub("rtn") }, output.WriteLine).Folder;
        var gptq = Quantizer.Run(baseOptions with { Out = dir.Sub("gptq"), Method = QuantMethod.Gptq, Calibration = calib, CalibrationSamples = 64 }, output.WriteLine).Folder;

        var o = new ReportOptions { Reference = src, Variants = [rtn, gptq], Text = held, MaxTokens = 64, Prompts = 1, NewTokens = 2, Out = dir.Sub("report"), Threads = 2 };
        var rows = QuantReport.Run(o, output.WriteLine).Rows;
        output.WriteLine(ReportWriter.Markdown(rows, o));
        Assert.True(rows[2].MeanKl < rows[1].MeanKl, $"GPTQ mean KL {rows[2].MeanKl:E3} ≥ RTN {rows[1].MeanKl:E3}");
    }
}
