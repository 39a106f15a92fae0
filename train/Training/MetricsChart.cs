using System.Text;

namespace Toolkit.Train.Training;

/// <summary>
/// metrics.svg: stacked line charts over optimizer steps — loss (train and eval), rewards/accuracies and
/// rewards/margins (train and eval) — each panel a ScottPlot 5 chart with its own y range and a legend, stacked in one
/// SVG. Panels without data are left out (SFT shows loss only). Written to a temporary file and renamed.
/// </summary>
public static class MetricsChart
{
    static readonly (string Title, string[] Series)[] Panels =
    [
        ("loss", ["loss", "eval_loss"]),
        ("rewards/accuracies", ["rewards/accuracies", "eval_rewards/accuracies"]),
        ("rewards/margins", ["rewards/margins", "eval_rewards/margins"]),
    ];

    const int Width = 720, PanelHeight = 260;

    /// <summary>Writes the chart of <paramref name="records"/> (metrics.jsonl rows) to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> records)
    {
        var rows = records.Select(r => r.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value)).Where(r => r.ContainsKey("step")).ToList();
        var panels = Panels.Where(p => p.Series.Any(s => rows.Any(r => r.TryGetValue(s, out var v) && double.IsFinite(v)))).ToList();
        var height = Math.Max(1, panels.Count) * PanelHeight;
        var sb = new StringBuilder();
        sb.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\">");
        for (var p = 0; p < panels.Count; p++)
        {
            var (title, series) = panels[p];
            var plot = new ScottPlot.Plot();
            foreach (var s in series)
            {
                var pts = rows.Where(r => r.TryGetValue(s, out var v) && double.IsFinite(v)).ToList();
                if (pts.Count == 0) continue;
                var line = plot.Add.Scatter(pts.Select(r => r["step"]).ToArray(), pts.Select(r => r[s]).ToArray());
                line.LegendText = s;
                line.MarkerSize = pts.Count == 1 ? 5 : 0;
            }
            plot.Title(title);
            plot.XLabel("optimizer step");
            plot.ShowLegend(ScottPlot.Alignment.UpperRight);
            sb.AppendLine($"<g transform=\"translate(0,{p * PanelHeight})\">").AppendLine(WithoutXmlDeclaration(plot.GetSvgXml(Width, PanelHeight))).AppendLine("</g>");
        }
        sb.AppendLine("</svg>");
        Toolkit.Core.Checkpoints.AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>A panel's SVG without its &lt;?xml …?&gt; line, which may only open a document, not sit inside one.</summary>
    static string WithoutXmlDeclaration(string svg) => svg.StartsWith("<?xml", StringComparison.Ordinal) ? svg[(svg.IndexOf("?>", StringComparison.Ordinal) + 2)..].TrimStart() : svg;
}
