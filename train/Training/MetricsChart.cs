using System.Globalization;
using System.Net;
using System.Text;

namespace Toolkit.Train.Training;

/// <summary>
/// metrics.svg: stacked line charts over optimizer steps — loss (train and eval), rewards/accuracies and
/// rewards/margins (train and eval) — each panel with its own y range, min/max labels and a legend. Panels without
/// data are left out (SFT shows loss only). Written to a temporary file and renamed.
/// </summary>
public static class MetricsChart
{
    static readonly (string Title, string[] Series)[] Panels =
    [
        ("loss", ["loss", "eval_loss"]),
        ("rewards/accuracies", ["rewards/accuracies", "eval_rewards/accuracies"]),
        ("rewards/margins", ["rewards/margins", "eval_rewards/margins"]),
    ];

    static readonly string[] Colors = ["#1f77b4", "#d62728"];
    const int Width = 720, PanelHeight = 200, Left = 70, Right = 20, Top = 30, Bottom = 30;

    /// <summary>Writes the chart of <paramref name="records"/> (metrics.jsonl rows) to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<IReadOnlyList<KeyValuePair<string, double>>> records)
    {
        var rows = records.Select(r => r.ToDictionary(kv => kv.Key, kv => kv.Value)).Where(r => r.ContainsKey("step")).ToList();
        var panels = Panels.Where(p => p.Series.Any(s => rows.Any(r => r.TryGetValue(s, out var v) && double.IsFinite(v)))).ToList();
        var height = Math.Max(1, panels.Count) * (PanelHeight + Top + Bottom);
        var sb = new StringBuilder();
        sb.AppendLine($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.AppendLine($"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>");
        double xMin = rows.Count > 0 ? rows.Min(r => r["step"]) : 0, xMax = rows.Count > 0 ? rows.Max(r => r["step"]) : 1;
        if (xMax <= xMin) xMax = xMin + 1;
        for (var p = 0; p < panels.Count; p++)
        {
            var (title, series) = panels[p];
            var y0 = p * (PanelHeight + Top + Bottom) + Top;
            var values = series.SelectMany(s => rows.Where(r => r.TryGetValue(s, out var v) && double.IsFinite(v)).Select(r => r[s])).ToList();
            double lo = values.Min(), hi = values.Max();
            if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
            string X(double x) => F(Left + (x - xMin) / (xMax - xMin) * (Width - Left - Right));
            string Y(double y) => F(y0 + PanelHeight - (y - lo) / (hi - lo) * PanelHeight);
            sb.AppendLine($"<text x=\"{Left}\" y=\"{y0 - 10}\" font-weight=\"bold\">{WebUtility.HtmlEncode(title)}</text>");
            sb.AppendLine($"<rect x=\"{Left}\" y=\"{y0}\" width=\"{Width - Left - Right}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#999\"/>");
            sb.AppendLine($"<text x=\"{Left - 5}\" y=\"{y0 + 10}\" text-anchor=\"end\">{F(hi, 4)}</text>");
            sb.AppendLine($"<text x=\"{Left - 5}\" y=\"{y0 + PanelHeight}\" text-anchor=\"end\">{F(lo, 4)}</text>");
            sb.AppendLine($"<text x=\"{Left}\" y=\"{y0 + PanelHeight + 15}\">step {F(xMin, 0)}</text>");
            sb.AppendLine($"<text x=\"{Width - Right}\" y=\"{y0 + PanelHeight + 15}\" text-anchor=\"end\">step {F(xMax, 0)}</text>");
            for (var s = 0; s < series.Length; s++)
            {
                var pts = rows.Where(r => r.TryGetValue(series[s], out var v) && double.IsFinite(v)).Select(r => $"{X(r["step"])},{Y(r[series[s]])}").ToList();
                if (pts.Count == 0) continue;
                sb.AppendLine($"<polyline fill=\"none\" stroke=\"{Colors[s]}\" stroke-width=\"1.5\" points=\"{string.Join(' ', pts)}\"/>");
                if (pts.Count == 1) sb.AppendLine($"<circle cx=\"{pts[0].Split(',')[0]}\" cy=\"{pts[0].Split(',')[1]}\" r=\"2.5\" fill=\"{Colors[s]}\"/>");
                sb.AppendLine($"<text x=\"{Width - Right - 5}\" y=\"{y0 + 14 + 13 * s}\" text-anchor=\"end\" fill=\"{Colors[s]}\">{WebUtility.HtmlEncode(series[s])}</text>");
            }
        }
        sb.AppendLine("</svg>");
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, sb.ToString());
        File.Move(tmp, path, overwrite: true);
    }

    static string F(double v, int digits = 1) => Math.Round(v, digits).ToString(CultureInfo.InvariantCulture);
}
