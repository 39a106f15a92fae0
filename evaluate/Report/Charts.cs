using ScottPlot;

namespace Toolkit.Evaluate.Report;

/// <summary>The report's charts as SVG text, drawn with ScottPlot 5 (no hand-drawn SVG).</summary>
public static class Charts
{
    /// <summary>One bar per label with its interval drawn as a vertical line; <paramref name="reference"/> draws a dashed horizontal line (e.g. 0.5).</summary>
    /// <param name="title">Chart title.</param>
    /// <param name="yLabel">Y axis label (with unit).</param>
    /// <param name="labels">Bar labels, left to right.</param>
    /// <param name="values">Bar heights.</param>
    /// <param name="low">Interval low ends (null: no intervals).</param>
    /// <param name="high">Interval high ends.</param>
    /// <param name="yMin">Y axis low limit, or null for automatic.</param>
    /// <param name="yMax">Y axis high limit, or null for automatic.</param>
    /// <param name="reference">Y of a reference line, or null.</param>
    /// <param name="width">SVG width in pixels.</param>
    /// <param name="height">SVG height in pixels.</param>
    public static string Bars(string title, string yLabel, IReadOnlyList<string> labels, IReadOnlyList<double> values,
        IReadOnlyList<double>? low = null, IReadOnlyList<double>? high = null, double? yMin = 0, double? yMax = 1, double? reference = null,
        int width = 640, int height = 360)
    {
        var plot = new Plot();
        var positions = Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray();
        var bars = plot.Add.Bars(positions, values.ToArray());
        bars.Color = Colors.SteelBlue;
        if (low is not null && high is not null)
            for (var i = 0; i < labels.Count; i++)
            {
                var line = plot.Add.Line(i, low[i], i, high[i]);
                line.LineWidth = 3;
                line.Color = Colors.Black;
            }
        if (reference is { } r)
        {
            var h = plot.Add.HorizontalLine(r);
            h.LinePattern = LinePattern.Dashed;
            h.Color = Colors.Gray;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels.ToArray());
        plot.Title(title);
        plot.YLabel(yLabel);
        if (yMin is not null || yMax is not null)
        {
            var lo = yMin ?? Math.Min(0, (low ?? values).Min());
            var hi = yMax ?? (high ?? values).Max() * 1.1;
            plot.Axes.SetLimitsY(lo, hi);
        }
        else
        {
            var lo = (low ?? values).Min();
            var hi = (high ?? values).Max();
            var pad = Math.Max(1, (hi - lo) * 0.15);
            plot.Axes.SetLimitsY(lo - pad, hi + pad);
        }
        plot.Axes.SetLimitsX(-0.6, labels.Count - 0.4);
        return plot.GetSvgXml(width, height);
    }
}
