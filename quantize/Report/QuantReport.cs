using System.Diagnostics;
using Toolkit.Core.Tokenizers;
using Toolkit.Runtime.Scoring;
using GenAi = Microsoft.ML.OnnxRuntimeGenAI;

namespace Toolkit.Quantize.Report;

/// <summary>What <see cref="QuantReport.Run"/> produced.</summary>
/// <param name="Folder">Report folder (report.csv, report.md, report.html).</param>
/// <param name="Rows">The reference first, then each variant.</param>
/// <param name="OverBudget">Variants whose Δperplexity exceeded --max-delta-ppl (empty without a gate).</param>
public sealed record ReportResult(string Folder, IReadOnlyList<ReportRow> Rows, IReadOnlyList<string> OverBudget);

/// <summary>
/// <c>toolkit quantize report</c>: each variant against the reference on the same held-out tokens.
/// 1) tokenize --text with the reference's tokenizer; 2) with --sweep, quantize the grid; 3) per variant, teacher-forced
/// scoring (<see cref="TeacherForcedScorer"/>) of every sample in the reference and the variant side by side: NLL, KL,
/// top-1; 4) greedy generation of the prompts in ORT-GenAI: match rate, load time, prefill / decode tok/s, growth of the
/// process's peak RSS while loading and generating (in-process: memory an earlier variant freed is reused, so small
/// models read ~0; `make bench ONLY=quantize` measures each variant's whole peak RSS in a child process);
/// 5) report.csv, report.md, report.html (<see cref="ReportWriter"/>); 6) the --max-delta-ppl gate.
/// </summary>
public static class QuantReport
{
    /// <summary>Runs the report; throws <see cref="QuantizeException"/> on bad input.</summary>
    public static ReportResult Run(ReportOptions o, Action<string>? log = null)
    {
        o.Validate();
        var refDir = Path.GetFullPath(o.Reference!);
        if (!File.Exists(Path.Combine(refDir, "model.onnx"))) throw new QuantizeException($"--reference '{refDir}' has no model.onnx. HINT: pass the folder `toolkit export` wrote");
        var outDir = Path.GetFullPath(o.Out);
        Directory.CreateDirectory(outDir);

        // 1) held-out tokens and prompts
        var tokenizer = Tokenizer.FromFolder(refDir);
        var seqs = TextSamples.Read(o.Text!, o.Samples).Select(t => tokenizer.Encode(t).Take(o.MaxTokens).Select(i => (long)i).ToArray()).Where(s => s.Length >= 2).ToList();
        if (seqs.Count == 0) throw new QuantizeException($"--text '{o.Text}': no sample has 2 tokens. HINT: pass longer text");
        var prompts = seqs.Take(o.Prompts).Select(s => s.Take(Math.Clamp(s.Length / 2, 1, 32)).Select(i => (int)i).ToArray()).ToList();
        log?.Invoke($"held-out: {seqs.Count} samples, {seqs.Sum(s => s.Length - 1)} scored tokens; {prompts.Count} prompts × {o.NewTokens} new tokens");

        // 2) the sweep
        var variants = o.Variants.Select(Path.GetFullPath).ToList();
        if (o.Sweep) variants.AddRange(Sweep(refDir, Path.Combine(outDir, "variants"), o, log));

        // 3-4) measure
        using var reference = new TeacherForcedScorer(refDir, o.Threads);
        var (refPpl, _, _) = Score(reference, null, seqs);
        var refGen = Generate(refDir, prompts, o.NewTokens);
        var rows = new List<ReportRow> { Row(Path.GetFileName(refDir), "reference", refDir, refPpl, refPpl, 0, 1, 1, refGen) };
        log?.Invoke($"reference: perplexity {refPpl:F4}");
        foreach (var v in variants)
        {
            if (!File.Exists(Path.Combine(v, "model.onnx"))) throw new QuantizeException($"variant '{v}' has no model.onnx. HINT: pass folders written by `toolkit quantize`");
            using var scorer = new TeacherForcedScorer(v, o.Threads);
            var (ppl, kl, top1) = Score(scorer, reference, seqs);
            var gen = Generate(v, prompts, o.NewTokens);
            var match = gen.Sequences.Zip(refGen.Sequences).Count(p => p.First.SequenceEqual(p.Second)) / (double)prompts.Count;
            var row = Row(Path.GetFileName(v), Scheme(v), v, ppl, refPpl, kl, top1, match, gen);
            rows.Add(row);
            log?.Invoke($"{row.Variant}: perplexity {ppl:F4} ({row.DeltaPplPercent:+0.00;-0.00}%), KL {kl:E2}, top-1 {top1:P1}, greedy match {match:P0}, decode {gen.DecodeTokPerSec:F1} tok/s");
        }

        // 5-6) write and gate
        ReportWriter.Write(outDir, rows, o);
        var over = o.MaxDeltaPpl is { } max ? rows.Skip(1).Where(r => r.DeltaPplPercent > max).Select(r => r.Variant).ToList() : [];
        return new ReportResult(outDir, rows, over);
    }

    /// <summary>The sweep grid; returns the folders written under <paramref name="dir"/>.</summary>
    static List<string> Sweep(string refDir, string dir, ReportOptions o, Action<string>? log)
    {
        var grid = new List<(string Name, QuantizeOptions Options)>
        {
            ("int8-tensor", new() { Bits = 8, Granularity = Granularity.Tensor }),
            ("int8-channel", new() { Bits = 8, Granularity = Granularity.Channel }),
            ("int4-tensor", new() { Bits = 4, Granularity = Granularity.Tensor }),
            ("int4-channel", new() { Bits = 4, Granularity = Granularity.Channel }),
            ("int4-block32", new() { Bits = 4, Granularity = Granularity.Block, BlockSize = 32 }),
            ("int4-block64", new() { Bits = 4, Granularity = Granularity.Block, BlockSize = 64 }),
            ("int4-block128", new() { Bits = 4, Granularity = Granularity.Block, BlockSize = 128 }),
        };
        if (o.Calibration is not null)
        {
            grid.Add(("int4-block32-gptq", new() { Bits = 4, Granularity = Granularity.Block, BlockSize = 32, Method = QuantMethod.Gptq, Calibration = o.Calibration, CalibrationSamples = o.CalibrationSamples }));
            grid.Add(("int4-block128-gptq", new() { Bits = 4, Granularity = Granularity.Block, BlockSize = 128, Method = QuantMethod.Gptq, Calibration = o.Calibration, CalibrationSamples = o.CalibrationSamples }));
        }
        else log?.Invoke("sweep: no --calibration, so no GPTQ variants (RTN only)");
        var folders = new List<string>();
        foreach (var (name, q) in grid)
        {
            var folder = Path.Combine(dir, name);
            try
            {
                Quantizer.Run(q with { Model = refDir, Out = folder, Overwrite = true }, log);
                folders.Add(folder);
            }
            catch (QuantizeException e) when (e.Message.Contains("does not divide", StringComparison.Ordinal))
            {
                log?.Invoke($"sweep: {name} skipped: {e.Message}");
            }
        }
        return folders;
    }

    /// <summary>Perplexity of <paramref name="scorer"/>, and mean KL and top-1 agreement against <paramref name="reference"/>.</summary>
    static (double Ppl, double Kl, double Top1) Score(TeacherForcedScorer scorer, TeacherForcedScorer? reference, List<long[]> seqs)
    {
        double nll = 0, kl = 0;
        long positions = 0, agree = 0;
        foreach (var s in seqs)
        {
            var logits = scorer.Logits(s);
            var v = logits.Length / s.Length;
            var refLogits = reference?.Logits(s);
            for (var t = 0; t + 1 < s.Length; t++)
            {
                var row = logits.AsSpan(t * v, v);
                nll -= row[(int)s[t + 1]] - TeacherForcedScorer.LogSumExp(row);
                if (refLogits is not null)
                {
                    var r = refLogits.AsSpan(t * v, v);
                    kl += DistributionStats.Kl(r, row);
                    if (DistributionStats.ArgMax(r) == DistributionStats.ArgMax(row)) agree++;
                }
                positions++;
            }
        }
        return (Math.Exp(nll / positions), kl / positions, reference is null ? 1 : agree / (double)positions);
    }

    /// <summary>Greedy sequences and speed of one folder in ORT-GenAI.</summary>
    sealed record GenRun(List<int[]> Sequences, double LoadSeconds, double PrefillTokPerSec, double DecodeTokPerSec, double PeakRssMb);

    static GenRun Generate(string folder, List<int[]> prompts, int newTokens)
    {
        GC.Collect();
        ResetPeakRss();
        var baseline = Rss("VmRSS:");
        var clock = Stopwatch.StartNew();
        using var model = new GenAi.Model(folder);
        var load = clock.Elapsed.TotalSeconds;
        double prefill = 0, decode = 0;
        long prefillTokens = 0, decodeSteps = 0;
        var seqs = new List<int[]>();
        Warmup(model, prompts[0]);   // first-run allocations and kernel set-up stay out of the timings
        foreach (var p in prompts)
        {
            using var gp = new GenAi.GeneratorParams(model);
            gp.SetSearchOption("max_length", p.Length + newTokens);
            gp.SetSearchOption("do_sample", false);
            using var g = new GenAi.Generator(model, gp);
            clock.Restart();
            g.AppendTokens(p);
            prefill += clock.Elapsed.TotalSeconds;
            prefillTokens += p.Length;
            clock.Restart();
            var steps = 0;
            while (!g.IsDone()) { g.GenerateNextToken(); steps++; }
            decode += clock.Elapsed.TotalSeconds;
            decodeSteps += Math.Max(0, steps - 1);   // the first GenerateNextToken samples from the prefill's logits: no forward
            seqs.Add(g.GetSequence(0)[p.Length..].ToArray());
        }
        var peak = Rss("VmHWM:") - baseline;
        return new GenRun(seqs, load, prefillTokens / Math.Max(prefill, 1e-9), decodeSteps / Math.Max(decode, 1e-9), Math.Max(0, peak));
    }

    static void Warmup(GenAi.Model model, int[] prompt)
    {
        using var gp = new GenAi.GeneratorParams(model);
        gp.SetSearchOption("max_length", prompt.Length + 2);
        using var g = new GenAi.Generator(model, gp);
        g.AppendTokens(prompt);
        while (!g.IsDone()) g.GenerateNextToken();
    }

    static ReportRow Row(string name, string scheme, string folder, double ppl, double refPpl, double kl, double top1, double match, GenRun gen) =>
        new(name, scheme, Quantizer.ModelBytes(folder) / 1e6, ppl, 100 * (ppl / refPpl - 1), kl, top1, match, gen.LoadSeconds, gen.PrefillTokPerSec, gen.DecodeTokPerSec, gen.PeakRssMb);

    /// <summary>"int4 block 32 sym rtn matmulnbits" from quantization.json, or "?" when the folder has none.</summary>
    static string Scheme(string folder)
    {
        var path = Path.Combine(folder, QuantizationManifest.FileName);
        if (!File.Exists(path)) return "?";
        var m = QuantizationManifest.Read(path);
        var gran = m.Granularity == Granularity.Block ? $"block {m.BlockSize}" : m.Granularity.ToString().ToLowerInvariant();
        var kept = m.Nodes.Count(n => n.Action != "quantized");
        return $"int{m.Bits} {gran} {(m.Symmetric ? "sym" : "asym")} {m.Method.ToString().ToLowerInvariant()} {m.Format.ToString().ToLowerInvariant()}" + (kept > 0 ? $" ({kept} kept)" : "");
    }

    /// <summary>Resets VmHWM to the current RSS (Linux: writing 5 to /proc/self/clear_refs); a no-op elsewhere.</summary>
    static void ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A /proc/self/status field in MB (0 when unavailable).</summary>
    static double Rss(string field)
    {
        if (!File.Exists("/proc/self/status")) return 0;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024 / 1e6;
    }
}
