using System.Globalization;
using System.Net;
using System.Text;
using CsvHelper;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Quantize.Report;

/// <summary>Writes report.csv (CsvHelper), report.md and report.html (a ScottPlot chart embedded as SVG), each atomically.</summary>
public static class ReportWriter
{
    static readonly string[] Headers =
        ["variant", "scheme", "size (MB)", "perplexity", "Δppl (%)", "mean KL (nats)", "top-1 agree", "greedy match", "load (s)", "prefill (tok/s)", "decode (tok/s)", "RSS growth (MB)"];

    /// <summary>Writes the three files into <paramref name="dir"/>.</summary>
    public static void Write(string dir, IReadOnlyList<ReportRow> rows, ReportOptions o)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, "report.csv"), Csv(rows));
        AtomicFile.WriteAllText(Path.Combine(dir, "report.md"), Markdown(rows, o));
        AtomicFile.WriteAllText(Path.Combine(dir, "report.html"), Html(rows, o));
    }

    static string[] Cells(ReportRow r) =>
    [
        r.Variant, r.Scheme, F(r.SizeMb, "F2"), F(r.Perplexity, "F4"), F(r.DeltaPplPercent, "+0.00;-0.00;0.00"), F(r.MeanKl, "E2"),
        F(100 * r.Top1Agreement, "F1") + "%", F(100 * r.GreedyMatch, "F0") + "%", F(r.LoadSeconds, "F2"), F(r.PrefillTokPerSec, "F0"), F(r.DecodeTokPerSec, "F1"), F(r.PeakRssMb, "F0"),
    ];

    static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    static string Csv(IReadOnlyList<ReportRow> rows)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using var csv = new CsvWriter(text, CultureInfo.InvariantCulture);
        csv.WriteRecords(rows);
        return text.ToString();
    }

    /// <summary>The Markdown table (also what the CLI prints).</summary>
    public static string Markdown(IReadOnlyList<ReportRow> rows, ReportOptions o)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Quantization accuracy report").AppendLine();
        sb.AppendLine($"Reference `{o.Reference}`; held-out text `{o.Text}` (up to {o.Samples} samples of ≤ {o.MaxTokens} tokens); {o.Prompts} greedy prompts × {o.NewTokens} tokens in ORT-GenAI.");
        sb.AppendLine($"CPU: {Cpu()}; {Environment.ProcessorCount} cores.").AppendLine();
        sb.AppendLine("| " + string.Join(" | ", Headers) + " |");
        sb.AppendLine("|" + string.Concat(Headers.Select((_, i) => i < 2 ? " --- |" : " ---: |")));
        foreach (var r in rows) sb.AppendLine("| " + string.Join(" | ", Cells(r)) + " |");
        if (o.MaxDeltaPpl is { } max)
        {
            var over = rows.Skip(1).Where(r => r.DeltaPplPercent > max).ToList();
            sb.AppendLine().AppendLine(over.Count == 0 ? $"Gate: every variant within Δppl ≤ {max}%." : $"Gate: **{over.Count} variant(s) over Δppl {max}%**: {string.Join(", ", over.Select(r => r.Variant))}.");
        }
        return sb.ToString();
    }

    static string Html(IReadOnlyList<ReportRow> rows, ReportOptions o)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<!doctype html><html><head><meta charset=\"utf-8\"><title>Quantization accuracy report</title>");
        sb.AppendLine("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,td:nth-child(2){text-align:left}</style></head><body>");
        sb.AppendLine("<h1>Quantization accuracy report</h1>");
        sb.AppendLine($"<p>Reference <code>{E(o.Reference!)}</code>; held-out text <code>{E(o.Text!)}</code>; CPU {E(Cpu())}.</p>");
        sb.AppendLine("<table><tr>" + string.Concat(Headers.Select(h => $"<th>{E(h)}</th>")) + "</tr>");
        foreach (var r in rows) sb.AppendLine("<tr>" + string.Concat(Cells(r).Select(c => $"<td>{E(c)}</td>")) + "</tr>");
        sb.AppendLine("</table>");
        sb.AppendLine("<h2>Δ perplexity against size</h2>");
        sb.AppendLine(Chart(rows));
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    /// <summary>Bars of Δperplexity (%) per variant, size in MB in the labels (ScottPlot, SVG).</summary>
    static string Chart(IReadOnlyList<ReportRow> rows)
    {
        var plot = new ScottPlot.Plot();
        var bars = rows.Select((r, i) => new ScottPlot.Bar { Position = i, Value = r.DeltaPplPercent }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks(rows.Select((_, i) => (double)i).ToArray(), rows.Select(r => $"{r.Variant}\n{r.SizeMb:F1} MB").ToArray());
        plot.YLabel("Δ perplexity vs reference (%)");
        plot.Axes.Margins(bottom: 0);
        return plot.GetSvgXml(Math.Max(600, 110 * rows.Count), 420);
    }

    static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>The CPU model name (/proc/cpuinfo), or "unknown".</summary>
    public static string Cpu() =>
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown" : "unknown";
}
