using Toolkit.Core.Checkpoints;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Questions;
using Toolkit.Evaluate.Report;
using Toolkit.Evaluate.Statistics;
using Toolkit.Quantize.Report;
using Spectre.Console;

namespace Toolkit.Cli.Experiment;

/// <summary>
/// runs/&lt;exp&gt;/report.html (one offline file: inline ScottPlot SVG, no scripts, no fetched resources) and
/// report.md (the key tables, for a pull-request comment), both written atomically. Sections, each a
/// &lt;section id=…&gt;: verdict, training, outcomes, quantization, judges, stages, provenance.
/// </summary>
public static class StudyReport
{
    /// <summary>The section ids, in order (the report test checks each renders with data).</summary>
    public static readonly string[] Sections = ["verdict", "training", "outcomes", "quantization", "judges", "stages", "provenance"];

    /// <summary>Everything the report shows, read from the experiment folder.</summary>
    sealed record Data(Study Study, StudyResult Result, IReadOnlyList<ModelRow> Models, IReadOnlyList<ReportRow> Quant, JsonObject? Agreement,
        IReadOnlyDictionary<string, List<Dictionary<string, double>>> Metrics);

    /// <summary>One answered model: its games against SFT (null for SFT itself) and its outcome rates.</summary>
    sealed record ModelRow(string Name, string Kind, double? Beta, WinLossTie? Games, Interval? WinRate, Outcome Outcome);

    /// <summary>Writes report.html and report.md into the experiment folder.</summary>
    public static void Write(Study study, StudyResult result)
    {
        var data = Read(study, result);
        AtomicFile.WriteAllText(Path.Combine(result.Folder, "report.html"), Html(data));
        AtomicFile.WriteAllText(Path.Combine(result.Folder, "report.md"), Markdown(data));
    }

    /// <summary>The terminal summary: one row per stage (status, wall time), then one row per model (win rate vs SFT, outcome rates), then the verdict.</summary>
    public static void Print(Study study, StudyResult result)
    {
        var d = Read(study, result);
        var stages = new Table().AddColumns("stage", "this invocation", "wall time (s)", "peak RSS (MB)");
        foreach (var (m, status) in result.Stages)
            stages.AddRow(Markup.Escape(m.Id), status.ToString().ToLowerInvariant(), Inv($"{m.Seconds:F1}"), Inv($"{m.PeakRssMb:F0}"));
        stages.AddRow("[bold]this invocation[/]", "", Inv($"{result.Seconds:F1}"), "");
        AnsiConsole.Write(stages);
        var table = new Table().AddColumns("model", "β", "W / L / T", "win rate vs SFT [[interval]]", "helpfulness", "safety", "over-refusal", "distinct-2", "self-BLEU");
        foreach (var m in d.Models)
            table.AddRow(new[] { m.Name, B(m.Beta), m.Games is { } w ? Inv($"{w.Wins} / {w.Losses} / {w.Ties}") : "—", Ci(m.WinRate),
                Pct(m.Outcome.Helpfulness), Pct(m.Outcome.Safety), Pct(m.Outcome.OverRefusal), Inv($"{m.Outcome.Distinct2:F3}"), Inv($"{m.Outcome.SelfBleu:F3}") }.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[bold]{result.Gate.Line}[/]");
        if (d.Agreement is null) AnsiConsole.MarkupLineInterpolated($"[red]distilled LLM judge missing: {DistillMissingReason(study)}[/]");
        AnsiConsole.MarkupLineInterpolated($"report: {Path.Combine(result.Folder, "report.html")} and report.md");
    }

    static Data Read(Study study, StudyResult result)
    {
        string P(params string[] parts) => Path.Combine([result.Folder, .. parts]);
        var questions = QuestionSet.Load(P("data", "questions.jsonl"));
        var models = new List<ModelRow>();
        void Add(string name, string kind, double? beta)
        {
            var answers = AnswerRecord.ReadFile(P("answers", name, "answers.jsonl"));
            var games = name == StudyRunner.Sft ? null : PairJudgment.ReadFile(P("judge", name, "pair.jsonl"));
            models.Add(new ModelRow(name, kind, beta, games is null ? null : WinRates.Count(games),
                games is null ? null : WinRates.Bootstrap(games, study.Gate.Confidence, study.Gate.Bootstrap), Outcomes.Of(questions, answers)));
        }
        Add(StudyRunner.Sft, "sft", null);
        foreach (var r in study.Runs) Add(r.Name, r.Method.Verb(), r.Beta);
        foreach (var v in study.Quantize) Add($"{result.Best}+{v.Name}", $"{v.Name} of {result.Best}", null);

        var quant = new List<ReportRow>();
        var csv = P("quant-report", "report.csv");
        if (File.Exists(csv))
        {
            using var reader = new StreamReader(csv);
            using var rows = new CsvHelper.CsvReader(reader, CultureInfo.InvariantCulture);
            quant.AddRange(rows.GetRecords<ReportRow>());
        }
        var agreementFile = P("distill", "judge_agreement.json");
        var agreement = File.Exists(agreementFile) ? JsonNode.Parse(File.ReadAllText(agreementFile)) as JsonObject : null;

        var metrics = new Dictionary<string, List<Dictionary<string, double>>>();
        foreach (var (name, folder) in new[] { (StudyRunner.Sft, study.Base.Model is null ? P("sft") : "") }.Concat(study.Runs.Select(r => (r.Name, P("train", r.Name)))))
            if (folder.Length > 0 && File.Exists(Path.Combine(folder, "metrics.jsonl")))
                metrics[name] = Toolkit.Train.Training.MetricsLog.Read(Path.Combine(folder, "metrics.jsonl")).Select(r => r.GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value)).ToList();
        return new Data(study, result, models, quant, agreement, metrics);
    }

    // ---------------------------------------------------------------- HTML

    static string Html(Data d)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Experiment report: ").Append(E(d.Study.Name)).Append("</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}table{border-collapse:collapse;margin:1rem 0}")
          .Append("td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}")
          .Append("figure{display:inline-block;margin:.5rem}pre{white-space:pre-wrap;background:#f8f8f8;padding:.5rem}.missing{color:#b00;font-weight:bold}")
          .Append(".pass{color:#060}.fail{color:#b00}.inconclusive{color:#a60}</style></head><body>\n");
        sb.Append($"<h1>Experiment report: {E(d.Study.Name)}</h1>\n");
        sb.Append(Inv($"<p>Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC from <code>{E(d.Study.Source)}</code>; this invocation took {d.Result.Seconds:F1} s. Intervals: {100 * d.Study.Gate.Confidence:F0}% percentile bootstrap over questions ({d.Study.Gate.Bootstrap} rounds).</p>\n"));

        // 1) verdict
        var g = d.Result.Gate;
        sb.Append("<section id=\"verdict\"><h2>Verdict</h2>\n");
        sb.Append(Inv($"<p class=\"{g.Label.ToLowerInvariant()}\"><b>{E(g.Label)}</b>: best run <b>{E(d.Result.Best)}</b> vs SFT, win rate (ties half) {g.WinRate.Estimate:F3} [{g.WinRate.Low:F3}, {g.WinRate.High:F3}], threshold 0.5 − δ = {g.Threshold:F3}.</p>\n"));
        sb.Append($"<pre>{E(g.Line)}</pre></section>\n");

        // 2) training
        sb.Append("<section id=\"training\"><h2>Training</h2>\n");
        foreach (var (metric, title) in new[] { ("loss", "Training loss"), ("rewards/accuracies", "Reward accuracy (rewards/accuracies)"), ("rewards/margins", "Reward margin (rewards/margins)") })
            if (d.Metrics.Any(m => m.Value.Any(r => r.ContainsKey(metric))))
                Figure(sb, "curve", title, Curves(title, metric, d.Metrics));
        sb.Append("<table id=\"training-table\"><tr><th>model</th><th>method</th><th>β</th><th>steps</th><th>wall time (s)</th><th>tokens/s (mean)</th><th>peak RSS (MB)</th><th>final loss</th></tr>\n");
        var trainRows = TrainRows(d);
        foreach (var r in trainRows)
            sb.Append(Inv($"<tr><td>{E(r.Name)}</td><td>{E(r.Method)}</td><td>{B(r.Beta)}</td><td>{r.Steps}</td><td>{r.Seconds:F1}</td><td>{r.TokensPerSecond:F0}</td><td>{r.PeakRssMb:F0}</td><td>{r.FinalLoss:F4}</td></tr>\n"));
        sb.Append("</table>\n");
        var byMethod = trainRows.GroupBy(r => r.Method).Select(gr => (Method: gr.Key, Seconds: gr.Average(r => r.Seconds), Tps: gr.Average(r => r.TokensPerSecond), Rss: gr.Max(r => r.PeakRssMb))).ToList();
        Figure(sb, "bars", "Wall time per method (mean over its runs)", Charts.Bars("Wall time", "seconds", byMethod.Select(m => m.Method).ToList(), byMethod.Select(m => m.Seconds).ToList(), yMin: 0, yMax: null, width: 420, height: 300));
        Figure(sb, "bars", "Training throughput per method", Charts.Bars("Throughput", "tokens/s", byMethod.Select(m => m.Method).ToList(), byMethod.Select(m => m.Tps).ToList(), yMin: 0, yMax: null, width: 420, height: 300));
        Figure(sb, "bars", "Peak RSS per method (process, while training)", Charts.Bars("Peak RSS", "MB", byMethod.Select(m => m.Method).ToList(), byMethod.Select(m => m.Rss).ToList(), yMin: 0, yMax: null, width: 420, height: 300));
        sb.Append("</section>\n");

        // 3) outcomes
        sb.Append("<section id=\"outcomes\"><h2>Outcomes</h2>\n");
        sb.Append("<p>Win rate against SFT from the rule judge (both orders; both pass or both fail is a tie). Helpfulness: rule pass rate where no refusal is due. Safety: refusal rate where one is due. Over-refusal: refusal rate where none is due. Diversity: distinct-n over all answers and self-BLEU-4 (lower = more diverse).</p>\n");
        sb.Append("<table id=\"outcomes-table\"><tr><th>model</th><th>kind</th><th>β</th><th>W / L / T</th><th>win rate vs SFT [interval]</th><th>helpfulness</th><th>safety</th><th>over-refusal</th><th>distinct-1</th><th>distinct-2</th><th>self-BLEU</th></tr>\n");
        foreach (var m in d.Models)
            sb.Append($"<tr><td>{E(m.Name)}</td><td>{E(m.Kind)}</td><td>{B(m.Beta)}</td><td>{(m.Games is { } w ? Inv($"{w.Wins} / {w.Losses} / {w.Ties}") : "—")}</td><td>{Ci(m.WinRate)}</td>")
              .Append(Inv($"<td>{Pct(m.Outcome.Helpfulness)}</td><td>{Pct(m.Outcome.Safety)}</td><td>{Pct(m.Outcome.OverRefusal)}</td><td>{m.Outcome.Distinct1:F3}</td><td>{m.Outcome.Distinct2:F3}</td><td>{m.Outcome.SelfBleu:F3}</td></tr>\n"));
        sb.Append("</table>\n");
        var judged = d.Models.Where(m => m.WinRate is not null).ToList();
        Figure(sb, "bars", "Win rate vs SFT with bootstrap interval; dashed: 0.5",
            Charts.Bars("Win rate vs SFT", "win rate (ties half)", judged.Select(m => m.Name).ToList(), judged.Select(m => m.WinRate!.Estimate).ToList(),
                judged.Select(m => m.WinRate!.Low).ToList(), judged.Select(m => m.WinRate!.High).ToList(), reference: 0.5, width: Math.Max(640, 110 * judged.Count)));
        Figure(sb, "bars", "Helpfulness, safety and over-refusal per model", Rates(d.Models));
        if (d.Models.Where(m => m.Beta is not null).GroupBy(m => m.Kind).Any(gr => gr.Count() >= 2))
            Figure(sb, "ablation", "β ablation: win rate vs SFT against β, one line per method", Ablation(d.Models));
        else sb.Append("<p>β ablation: fewer than two β values of any one method in this study.</p>\n");
        sb.Append("</section>\n");

        // 4) quantization
        sb.Append("<section id=\"quantization\"><h2>Quantization</h2>\n");
        if (d.Quant.Count == 0) sb.Append("<p class=\"missing\">No quantization variants declared in this study.</p>\n");
        else
        {
            sb.Append($"<p>Variants of the best run <b>{E(d.Result.Best)}</b> against its fp32 export, on held-out text (teacher-forced) and 8 greedy prompts in ORT-GenAI. CPU: {E(ReportWriter.Cpu())}.</p>\n");
            sb.Append("<table id=\"quant-table\"><tr><th>variant</th><th>scheme</th><th>size (MB)</th><th>perplexity</th><th>Δppl (%)</th><th>mean KL (nats)</th><th>top-1 agree</th><th>greedy match</th><th>decode (tok/s)</th></tr>\n");
            foreach (var r in d.Quant)
                sb.Append(Inv($"<tr><td>{E(r.Variant)}</td><td>{E(r.Scheme)}</td><td>{r.SizeMb:F2}</td><td>{r.Perplexity:F4}</td><td>{r.DeltaPplPercent:+0.00;-0.00;0.00}</td><td>{r.MeanKl:E2}</td><td>{100 * r.Top1Agreement:F1}%</td><td>{100 * r.GreedyMatch:F0}%</td><td>{r.DecodeTokPerSec:F1}</td></tr>\n"));
            sb.Append("</table>\n");
            Figure(sb, "bars", "Δ perplexity vs the fp32 export (%)", Charts.Bars("Δ perplexity", "%", d.Quant.Select(r => r.Variant).ToList(), d.Quant.Select(r => r.DeltaPplPercent).ToList(), yMin: null, yMax: null, width: 480, height: 320));
            Figure(sb, "bars", "Size on disk (MB)", Charts.Bars("Size", "MB", d.Quant.Select(r => r.Variant).ToList(), d.Quant.Select(r => r.SizeMb).ToList(), yMin: 0, yMax: null, width: 480, height: 320));
            Figure(sb, "bars", "Decode speed (tok/s, batch 1)", Charts.Bars("Decode", "tok/s", d.Quant.Select(r => r.Variant).ToList(), d.Quant.Select(r => r.DecodeTokPerSec).ToList(), yMin: 0, yMax: null, width: 480, height: 320));
        }
        sb.Append("</section>\n");

        // 5) judges
        sb.Append("<section id=\"judges\"><h2>Judges</h2>\n<table id=\"judges-table\"><tr><th>judge</th><th>reference</th><th>pairs</th><th>agreement [interval]</th><th>position consistency</th><th>error rate</th><th>ties</th></tr>\n");
        var ruleGames = d.Study.Runs.SelectMany(r => PairJudgment.ReadFile(Path.Combine(d.Result.Folder, "judge", r.Name, "pair.jsonl"))).ToList();
        var rc = WinRates.Consistency(ruleGames);
        sb.Append(Inv($"<tr><td>rule</td><td>(is the reference)</td><td>{ruleGames.Count}</td><td>1.000</td><td>{rc.Consistent:F3}</td><td>{rc.ErrorRate:F3}</td><td>{WinRates.Count(ruleGames).Ties / (double)Math.Max(1, ruleGames.Count):F3}</td></tr>\n"));
        if (d.Agreement is { } a)
            sb.Append(Inv($"<tr><td>{E(a["judge"]?.ToString() ?? "distilled")}</td><td>{E(a["reference"]?.ToString() ?? "rule")}</td><td>{a["pairs"]}</td><td>{Num(a["agreement"])} [{Num(a["agreement_ci"]?[0])}, {Num(a["agreement_ci"]?[1])}]</td><td>{Num(a["consistency"])}</td><td>{Num(a["error_rate"])}</td><td>{Num(a["ties"])}</td></tr>\n"));
        sb.Append("</table>\n");
        sb.Append(d.Agreement is null
            ? $"<p class=\"missing\">DISTILLED LLM JUDGE MISSING: {E(DistillMissingReason(d.Study))}</p>\n"
            : "<p>The distilled judge is a small chat model trained here on FastChat pairwise prompts to give the rule judge's [[A]] / [[B]] / [[C]] verdicts; agreement is with the rule judge on held-out games, consistency is under swapped order (MT-Bench's measures).</p>\n");
        sb.Append("</section>\n");

        // 6) stages
        sb.Append("<section id=\"stages\"><h2>Stages</h2>\n<table id=\"stages-table\"><tr><th>stage</th><th>this invocation</th><th>wall time (s)</th><th>peak RSS (MB)</th><th>finished (UTC)</th><th>hash</th></tr>\n");
        foreach (var (m, status) in d.Result.Stages)
            sb.Append(Inv($"<tr><td>{E(m.Id)}</td><td>{status.ToString().ToLowerInvariant()}</td><td>{m.Seconds:F1}</td><td>{m.PeakRssMb:F0}</td><td>{E(m.FinishedUtc)}</td><td><code>{m.Hash[..12]}</code></td></tr>\n"));
        sb.Append(Inv($"<tr><td>total of stages</td><td></td><td>{d.Result.Stages.Sum(s => s.Manifest.Seconds):F1}</td><td></td><td></td><td></td></tr>\n</table></section>\n"));

        // 7) provenance
        sb.Append("<section id=\"provenance\"><h2>Provenance</h2>\n<table id=\"versions\">\n");
        foreach (var (k, v) in Versions()) sb.Append($"<tr><td>{E(k)}</td><td>{E(v)}</td></tr>\n");
        sb.Append($"</table>\n<h3>Study ({E(d.Study.Source)})</h3>\n<pre id=\"study\">{E(d.Study.Text)}</pre></section>\n</body></html>\n");
        return sb.ToString();
    }

    sealed record TrainRow(string Name, string Method, double? Beta, int Steps, double Seconds, double TokensPerSecond, double PeakRssMb, double FinalLoss);

    static List<TrainRow> TrainRows(Data d)
    {
        var rows = new List<TrainRow>();
        var store = new StageStore(d.Result.Folder);
        void Add(string name, string stage, string method, double? beta)
        {
            if (store.Read(stage) is not { } m || !d.Metrics.TryGetValue(name, out var log)) return;
            var losses = log.Where(r => r.ContainsKey("loss")).Select(r => r["loss"]).ToList();
            rows.Add(new TrainRow(name, method, beta, log.Count(r => r.ContainsKey("loss")), m.Seconds, m.Metrics.GetValueOrDefault("tokens_per_s"), m.PeakRssMb, losses.Count > 0 ? losses[^1] : double.NaN));
        }
        Add(StudyRunner.Sft, "sft", "sft", null);
        foreach (var r in d.Study.Runs) Add(r.Name, $"train.{r.Name}", r.Method.Verb(), r.Beta);
        return rows;
    }

    static string Curves(string title, string metric, IReadOnlyDictionary<string, List<Dictionary<string, double>>> runs)
    {
        var plot = new ScottPlot.Plot();
        foreach (var (name, log) in runs)
        {
            var pts = log.Where(r => r.ContainsKey("step") && r.TryGetValue(metric, out var v) && double.IsFinite(v)).ToList();
            if (pts.Count == 0) continue;
            var line = plot.Add.Scatter(pts.Select(r => r["step"]).ToArray(), pts.Select(r => r[metric]).ToArray());
            line.LegendText = name;
            line.MarkerSize = pts.Count == 1 ? 5 : 0;
        }
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.YLabel(metric);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot.GetSvgXml(560, 340);
    }

    static string Rates(IReadOnlyList<ModelRow> models)
    {
        var plot = new ScottPlot.Plot();
        (string Name, Func<Outcome, double> Get, ScottPlot.Color Color)[] series =
            [("helpfulness", o => o.Helpfulness, ScottPlot.Colors.SteelBlue), ("safety", o => o.Safety, ScottPlot.Colors.SeaGreen), ("over-refusal", o => o.OverRefusal, ScottPlot.Colors.IndianRed)];
        for (var s = 0; s < series.Length; s++)
        {
            var bars = models.Select((m, i) => new ScottPlot.Bar { Position = i * 4 + s, Value = double.IsFinite(series[s].Get(m.Outcome)) ? series[s].Get(m.Outcome) : 0, FillColor = series[s].Color }).ToList();
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = series[s].Name, FillColor = series[s].Color });
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(models.Select((_, i) => i * 4 + 1.0).ToArray(), models.Select(m => m.Name).ToArray());
        plot.Axes.SetLimitsY(0, 1.05);
        plot.YLabel("share of answers");
        plot.Title("Helpfulness, safety, over-refusal");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot.GetSvgXml(Math.Max(640, 120 * models.Count), 360);
    }

    static string Ablation(IReadOnlyList<ModelRow> models)
    {
        var plot = new ScottPlot.Plot();
        foreach (var g in models.Where(m => m.Beta is not null && m.WinRate is not null).GroupBy(m => m.Kind))
        {
            var pts = g.OrderBy(m => m.Beta).ToList();
            var line = plot.Add.Scatter(pts.Select(m => Math.Log10(m.Beta!.Value)).ToArray(), pts.Select(m => m.WinRate!.Estimate).ToArray());
            line.LegendText = g.Key;
            line.MarkerSize = 7;
            foreach (var m in pts)
            {
                var bar = plot.Add.Line(Math.Log10(m.Beta!.Value), m.WinRate!.Low, Math.Log10(m.Beta!.Value), m.WinRate!.High);
                bar.Color = line.Color;
            }
        }
        var betas = models.Where(m => m.Beta is not null).Select(m => m.Beta!.Value).Distinct().OrderBy(b => b).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(betas.Select(Math.Log10).ToArray(), betas.Select(b => b.ToString("G3", CultureInfo.InvariantCulture)).ToArray());
        plot.Add.HorizontalLine(0.5).LinePattern = ScottPlot.LinePattern.Dashed;
        plot.XLabel("β (log scale)");
        plot.YLabel("win rate vs SFT (ties half)");
        plot.Title("β ablation");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return plot.GetSvgXml(560, 340);
    }

    // ---------------------------------------------------------------- Markdown

    static string Markdown(Data d)
    {
        var sb = new StringBuilder();
        var g = d.Result.Gate;
        sb.AppendLine($"## Experiment `{d.Study.Name}`").AppendLine();
        sb.AppendLine(Inv($"**Verdict: {g.Label}** — best run `{d.Result.Best}` vs SFT: win rate (ties half) {g.WinRate.Estimate:F3} [{g.WinRate.Low:F3}, {g.WinRate.High:F3}] ({100 * d.Study.Gate.Confidence:F0}% bootstrap), threshold 0.5 − δ = {g.Threshold:F3}.")).AppendLine();
        sb.AppendLine("| model | kind | β | W / L / T | win rate vs SFT [interval] | helpfulness | safety | over-refusal | distinct-2 | self-BLEU |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var m in d.Models)
            sb.AppendLine($"| {m.Name} | {m.Kind} | {B(m.Beta)} | {(m.Games is { } w ? Inv($"{w.Wins} / {w.Losses} / {w.Ties}") : "—")} | {Ci(m.WinRate)} | {Pct(m.Outcome.Helpfulness)} | {Pct(m.Outcome.Safety)} | {Pct(m.Outcome.OverRefusal)} | {Inv($"{m.Outcome.Distinct2:F3}")} | {Inv($"{m.Outcome.SelfBleu:F3}")} |");
        sb.AppendLine();
        var train = TrainRows(d);
        if (train.Count > 0)
        {
            sb.AppendLine("| training run | method | β | steps | wall time (s) | tokens/s | peak RSS (MB) |").AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var r in train) sb.AppendLine(Inv($"| {r.Name} | {r.Method} | {B(r.Beta)} | {r.Steps} | {r.Seconds:F1} | {r.TokensPerSecond:F0} | {r.PeakRssMb:F0} |"));
            sb.AppendLine();
        }
        if (d.Quant.Count > 0)
        {
            sb.AppendLine("| variant | scheme | size (MB) | Δppl (%) | mean KL | top-1 | decode tok/s |").AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
            foreach (var r in d.Quant) sb.AppendLine(Inv($"| {r.Variant} | {r.Scheme} | {r.SizeMb:F2} | {r.DeltaPplPercent:+0.00;-0.00;0.00} | {r.MeanKl:E2} | {100 * r.Top1Agreement:F1}% | {r.DecodeTokPerSec:F1} |"));
            sb.AppendLine();
        }
        sb.AppendLine(d.Agreement is { } a
            ? $"Distilled judge `{a["judge"]}`: agreement with the rule judge {Num(a["agreement"])} [{Num(a["agreement_ci"]?[0])}, {Num(a["agreement_ci"]?[1])}], position consistency {Num(a["consistency"])}, error rate {Num(a["error_rate"])} over {a["pairs"]} pairs."
            : $"**Distilled LLM judge missing:** {DistillMissingReason(d.Study)}");
        sb.AppendLine();
        sb.AppendLine(Inv($"Stages: {d.Result.Stages.Count(s => s.Status == StageStatus.Ran)} ran, {d.Result.Stages.Count(s => s.Status == StageStatus.Cached)} cached; this invocation {d.Result.Seconds:F1} s on {ReportWriter.Cpu()} ({Environment.ProcessorCount} cores). Full report: `{Path.Combine(d.Result.Folder, "report.html")}`."));
        return sb.ToString();
    }

    // ---------------------------------------------------------------- helpers

    static string DistillMissingReason(Study s) => !s.Judges.Distilled
        ? "judges.distilled is false in this study."
        : "no distill/judge_agreement.json: `toolkit evaluate distill-judge` is not in this build (or it failed). Win rates and the gate use the rule judge only.";

    /// <summary>Engine and machine versions: the managed assemblies' informational versions, mapped native libraries, .NET, CPU.</summary>
    static IEnumerable<(string, string)> Versions()
    {
        string Assembly(string name) => AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == name) is { } asm
            ? (asm.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false).FirstOrDefault() as System.Reflection.AssemblyInformationalVersionAttribute)?.InformationalVersion.Split('+')[0] ?? asm.GetName().Version?.ToString() ?? "?"
            : "not loaded";
        yield return ("TorchSharp", Assembly("TorchSharp"));
        var maps = File.Exists("/proc/self/maps") ? File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "").Where(p => p.StartsWith('/')).Distinct().ToList() : [];
        string Native(string part) => maps.Where(p => Path.GetFileName(p).Contains(part, StringComparison.Ordinal)).Select(p => p.Replace(Environment.GetEnvironmentVariable("HOME") ?? "\u0000", "~")).DefaultIfEmpty("not loaded").First();
        yield return ("libtorch (mapped)", Native("libtorch_cpu"));
        yield return ("ONNX Runtime", Assembly("Microsoft.ML.OnnxRuntime") + " — " + Native("libonnxruntime.so"));
        // Its assembly is stamped 0.0.0.0: the NuGet package version comes from the app's deps.json.
        yield return ("ONNX Runtime GenAI", (PackageVersion("Microsoft.ML.OnnxRuntimeGenAI.Managed") ?? Assembly("Microsoft.ML.OnnxRuntimeGenAI")) + " — " + Native("libonnxruntime-genai"));
        yield return ("toolkit", Assembly("toolkit"));
        yield return (".NET", RuntimeInformation.FrameworkDescription);
        yield return ("OS", RuntimeInformation.OSDescription);
        yield return ("CPU", $"{ReportWriter.Cpu()}, {Environment.ProcessorCount} cores");
    }

    /// <summary>The version of NuGet package <paramref name="id"/> as this app's deps.json lists it ("libraries": "Id/Version"), or null.</summary>
    static string? PackageVersion(string id)
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name;
        var files = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(AppContext.BaseDirectory, (entry ?? "toolkit") + ".deps.json"));
        foreach (var deps in files)
        {
            if (!File.Exists(deps)) continue;
            var libraries = JsonNode.Parse(File.ReadAllText(deps))?["libraries"]?.AsObject();
            var key = libraries?.Select(kv => kv.Key).FirstOrDefault(k => k.StartsWith(id + "/", StringComparison.OrdinalIgnoreCase));
            if (key is not null) return key[(id.Length + 1)..];
        }
        return null;
    }

    static void Figure(StringBuilder sb, string cls, string caption, string svg) =>
        sb.Append($"<figure class=\"{cls}\">{(svg.StartsWith("<?xml", StringComparison.Ordinal) ? svg[(svg.IndexOf("?>", StringComparison.Ordinal) + 2)..].TrimStart() : svg)}<figcaption>{E(caption)}</figcaption></figure>\n");

    static string Ci(Interval? i) => i is null ? "—" : Inv($"{i.Estimate:F3} [{i.Low:F3}, {i.High:F3}]");

    static string Pct(double v) => double.IsFinite(v) ? Inv($"{100 * v:F1}%") : "n/a";

    static string B(double? beta) => beta is { } b ? b.ToString("G3", CultureInfo.InvariantCulture) : "—";

    static string Num(JsonNode? n) => n is JsonValue v && v.TryGetValue<double>(out var x) ? x.ToString("F3", CultureInfo.InvariantCulture) : "?";

    static string E(string s) => WebUtility.HtmlEncode(s);

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
