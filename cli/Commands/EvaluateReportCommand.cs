using System.CommandLine;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Report;

namespace Toolkit.Cli.Commands;

/// <summary>`toolkit evaluate report`: one offline HTML file from pairwise judgment files.</summary>
static class EvaluateReportCommand
{
    public static Command Create()
    {
        var judgments = new Option<string[]>("--judgments") { Description = "Pairwise judgment files (FastChat model_judgment pair layout, from `evaluate judge` or `evaluate gate --out`); repeatable.", Required = true };
        var output = new Option<string>("--out") { Description = "The HTML file to write (offline: inline SVG charts, no scripts).", DefaultValueFactory = _ => "report.html" };
        var confidence = new Option<double>("--confidence") { Description = "Two-sided level of the intervals. 0.5..0.999.", DefaultValueFactory = _ => 0.95 };
        var command = new Command("report", "Write one offline HTML report: win rates with intervals, categories, Bradley–Terry ratings, judge consistency, sample judgments.")
        {
            judgments, output, confidence,
        };
        command.SetAction(parse =>
        {
            var level = parse.GetValue(confidence);
            if (level is < 0.5 or > 0.999) throw new ArgumentException($"--confidence {level} is out of range 0.5..0.999");
            var pairs = parse.GetValue(judgments)!.Select(f =>
            {
                var rows = PairJudgment.ReadFile(f);
                var name = rows.FirstOrDefault() is { } r ? $"{r.Model1} vs {r.Model2}" : Path.GetFileNameWithoutExtension(f);
                return new HtmlReport.Pair(name, rows);
            }).ToList();
            var path = parse.GetValue(output)!;
            HtmlReport.Write(path, pairs, level);
            Console.WriteLine($"{path}: report over {pairs.Sum(p => p.Rows.Count)} judgments in {pairs.Count} file(s).");
            return 0;
        });
        return command;
    }
}
