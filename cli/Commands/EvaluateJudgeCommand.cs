using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Questions;
using Toolkit.Evaluate.Statistics;

namespace Toolkit.Cli.Commands;

/// <summary>What `evaluate judge` does.</summary>
enum JudgeMode
{
    /// <summary>Candidate against baseline, both orders (FastChat pairwise-baseline).</summary>
    Pairwise,
    /// <summary>One rating per answer turn (FastChat single).</summary>
    Single,
}

/// <summary>The options `evaluate judge` and `evaluate gate` share: questions, judge, prompts, cache, concurrency.</summary>
sealed class JudgeOptionArgs
{
    public readonly Option<string> Questions = new("--questions") { Description = "The questions the answers answer: question.jsonl, a .jsonl / .csv prompt list, or \"builtin\".", DefaultValueFactory = _ => QuestionSet.BuiltIn };
    public readonly Option<string> Judge = new("--judge") { Description = Judges.Help, DefaultValueFactory = _ => "rule" };
    public readonly Option<string?> Prompts = new("--judge-prompts") { Description = "Judge prompts in FastChat's judge_prompts.jsonl layout (FastChat's own file works); default: the built-in set, or the judge_prompts.jsonl inside a judge folder (a distilled judge's, from `evaluate distill-judge`)." };
    public readonly Option<string?> Cache = new("--cache") { Description = "SQLite judgment cache; a rerun with the same judge, template, question and answers makes no call (default judgments/cache.sqlite)." };
    public readonly Option<bool> NoCache = new("--no-cache") { Description = "Do not read or write the judgment cache." };
    public readonly Option<int> Concurrency = new("--concurrency") { Description = "Judge outcomes asked at once. 1..256.", DefaultValueFactory = _ => 4 };
    public readonly Option<int> MaxTokens = new("--judge-max-tokens") { Description = "Tokens per judge reply at most (FastChat: 2048).", DefaultValueFactory = _ => 2048 };
    public readonly ClientOptionArgs Client = new("judge-");

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { Questions, Judge, Prompts, Cache, NoCache, Concurrency, MaxTokens }) c.Options.Add(o);
        Client.AddTo(c);
    }

    /// <summary>Judges candidate against baseline in both orders; prints nothing.</summary>
    public async Task<(List<PairJudgment> Rows, JudgingCounts Counts, string Judge)> PairwiseAsync(ParseResult p, string candidate, string baseline, CancellationToken cancel)
    {
        var qs = QuestionSet.Load(p.GetValue(Questions)!);
        var a1 = AnswerRecord.ReadFile(candidate);
        var a2 = AnswerRecord.ReadFile(baseline);
        var m1 = ModelId(a1, candidate);
        var m2 = ModelId(a2, baseline);
        var (judge, client) = await Judges.OpenAsync(p.GetValue(Judge)!, p.GetValue(Prompts), Client.Read(p) with { MaxConcurrency = Math.Max(4, p.GetValue(Concurrency)) }, p.GetValue(MaxTokens));
        using var _ = client;
        using var cache = Judges.Cache(p.GetValue(Cache), p.GetValue(NoCache));
        var run = new JudgingRun(judge, cache, p.GetValue(Concurrency));
        var shared = qs.Count(q => a1.ContainsKey(q.Id) && a2.ContainsKey(q.Id));
        if (shared == 0) throw new ArgumentException($"{candidate} and {baseline} share no question id with {p.GetValue(Questions)}. HINT: answer the same --questions with both models (`toolkit evaluate answer`)");
        List<PairJudgment> rows = [];
        await EvaluateCommand.Progress($"judging {m1} vs {m2} ({judge.Name})", qs.Where(q => a1.ContainsKey(q.Id) && a2.ContainsKey(q.Id)).Sum(q => Enumerable.Range(1, q.Turns.Count).Count(t => judge.TemplateFor(q, t, true) is not null)),
            async tick => rows = await run.PairwiseAsync(qs, a1, m1, a2, m2, tick, cancel));
        return (rows, run.Counts, judge.Name);
    }

    static string ModelId(Dictionary<string, AnswerRecord> answers, string path) =>
        answers.Values.FirstOrDefault()?.ModelId is { Length: > 0 } id ? id : Path.GetFileNameWithoutExtension(path);
}

/// <summary>`toolkit evaluate judge`.</summary>
static class EvaluateJudgeCommand
{
    public static Command Create()
    {
        var mode = new Option<JudgeMode>("--mode") { Description = "pairwise: --candidate against --baseline in both orders (inconsistent verdicts count as ties); single: a 1–10 rating (rule judge: 1 pass / 0 fail) per answer turn of each --answers file.", DefaultValueFactory = _ => JudgeMode.Pairwise };
        var candidate = new Option<string?>("--candidate") { Description = "Pairwise: the candidate's answers file (model_1)." };
        var baseline = new Option<string?>("--baseline") { Description = "Pairwise: the baseline's answers file (model_2)." };
        var answers = new Option<string[]>("--answers") { Description = "Single: answers files to rate (repeatable)." };
        var output = new Option<string?>("--out") { Description = "Judgments file (FastChat model_judgment layout), written atomically (default judgments/<judge>_pair.jsonl or _single.jsonl)." };
        var args = new JudgeOptionArgs();
        var command = new Command("judge", "Judge answers with the rule judge or an LLM judge (FastChat judge prompts, both orders, last verdict label, SQLite cache) and print win rates with intervals.")
        {
            mode, candidate, baseline, answers, output,
        };
        args.AddTo(command);
        command.SetAction(async (parse, cancel) =>
        {
            if (parse.GetValue(mode) == JudgeMode.Pairwise)
            {
                var c = parse.GetValue(candidate) ?? throw new ArgumentException("--mode pairwise needs --candidate FILE and --baseline FILE (answers files from `toolkit evaluate answer`)");
                var b = parse.GetValue(baseline) ?? throw new ArgumentException("--mode pairwise needs --baseline FILE (answers file from `toolkit evaluate answer`)");
                var (rows, counts, judge) = await args.PairwiseAsync(parse, c, b, cancel);
                var path = parse.GetValue(output) ?? Path.Combine("judgments", $"{Safe(judge)}_pair.jsonl");
                SingleJudgment.WriteAtomic(path, rows.Select(r => r.ToJsonLine()));
                PrintPairwise(rows, counts, path);
            }
            else
            {
                var files = parse.GetValue(answers) ?? [];
                if (files.Length == 0) throw new ArgumentException("--mode single needs --answers FILE (repeatable)");
                var qs = QuestionSet.Load(parse.GetValue(args.Questions)!);
                var (judge, client) = await Judges.OpenAsync(parse.GetValue(args.Judge)!, parse.GetValue(args.Prompts), args.Client.Read(parse), parse.GetValue(args.MaxTokens));
                using var _ = client;
                using var cache = Judges.Cache(parse.GetValue(args.Cache), parse.GetValue(args.NoCache));
                var run = new JudgingRun(judge, cache, parse.GetValue(args.Concurrency));
                var all = new List<SingleJudgment>();
                foreach (var f in files)
                {
                    var a = AnswerRecord.ReadFile(f);
                    var model = a.Values.FirstOrDefault()?.ModelId is { Length: > 0 } id ? id : Path.GetFileNameWithoutExtension(f);
                    all.AddRange(await run.SingleAsync(qs, a, model, null, cancel));
                }
                var path = parse.GetValue(output) ?? Path.Combine("judgments", $"{Safe(judge.Name)}_single.jsonl");
                SingleJudgment.WriteAtomic(path, all.Select(r => r.ToJsonLine()));
                var table = new Table().AddColumns("model", "turn 1", "turn 2", "overall", "rated", "errors");
                foreach (var g in all.GroupBy(r => r.Model))
                {
                    string Mean(IEnumerable<SingleJudgment> s) => s.Where(r => r.Score >= 0).Select(r => r.Score).DefaultIfEmpty(double.NaN).Average().ToString("F3", CultureInfo.InvariantCulture);
                    table.AddRow(Markup.Escape(g.Key), Mean(g.Where(r => r.Turn == 1)), Mean(g.Where(r => r.Turn == 2)), Mean(g), g.Count(r => r.Score >= 0).ToString(CultureInfo.InvariantCulture),
                        g.Count(r => r.Score < 0).ToString(CultureInfo.InvariantCulture));
                }
                AnsiConsole.Write(table);
                Console.WriteLine($"{path}: {all.Count} judgments ({run.Counts.Judged} judged now, {run.Counts.CacheHits} from the cache, {run.Counts.Errors} judge errors).");
            }
            return 0;
        });
        return command;
    }

    static string Safe(string name) => string.Concat(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '.' or '_' ? ch : '_'));

    /// <summary>Prints W/L/T, win rates with intervals, LC, per category, judge consistency.</summary>
    public static void PrintPairwise(List<PairJudgment> rows, JudgingCounts counts, string path)
    {
        var wlt = WinRates.Count(rows);
        var ci = WinRates.Bootstrap(rows);
        var wilson = Intervals.Wilson(wlt.Wins, wlt.Wins + wlt.Losses);
        var lc = LengthControlled.Fit(rows);
        var judge = WinRates.Consistency(rows);
        var table = new Table().AddColumns("category", "W", "L", "T", "win rate", "win rate (ties half)");
        foreach (var (c, n) in WinRates.ByCategory(rows))
            table.AddRow(Markup.Escape(c), n.Wins.ToString(CultureInfo.InvariantCulture), n.Losses.ToString(CultureInfo.InvariantCulture), n.Ties.ToString(CultureInfo.InvariantCulture),
                n.WinRate.ToString("F3", CultureInfo.InvariantCulture), n.AdjustedWinRate.ToString("F3", CultureInfo.InvariantCulture));
        table.AddRow("all", wlt.Wins.ToString(CultureInfo.InvariantCulture), wlt.Losses.ToString(CultureInfo.InvariantCulture), wlt.Ties.ToString(CultureInfo.InvariantCulture),
            wlt.WinRate.ToString("F3", CultureInfo.InvariantCulture), wlt.AdjustedWinRate.ToString("F3", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        var first = rows.FirstOrDefault();
        Console.WriteLine(FormattableString.Invariant($"{first?.Model1} vs {first?.Model2}: win rate (ties half) {ci}, bootstrap over {WinRates.Clusters(rows).Count} questions; ties excluded (Wilson) {wilson}; sign test p = {Intervals.SignTestGreater(wlt.Wins, wlt.Losses):G3}"));
        Console.WriteLine(FormattableString.Invariant($"length-controlled win rate {lc.WinRate:F3} (raw {lc.RawWinRate:F3}, length slope {lc.Phi:F3}){(LengthControlled.IsExtremeChange(lc.RawWinRate, lc.WinRate) ? " — far from raw: the GLM may have failed" : "")}"));
        Console.WriteLine(FormattableString.Invariant($"judge: position consistency {100 * judge.Consistent:F1}% (first shown won both {100 * judge.BiasedToFirst:F1}%, second shown won both {100 * judge.BiasedToSecond:F1}%), errors {judge.Errors} of {judge.Games} games ({100 * judge.ErrorRate:F1}%)"));
        Console.WriteLine($"{path}: {rows.Count} judgments ({counts.Judged} outcomes judged now, {counts.CacheHits} from the cache, {counts.Errors} judge errors).");
    }
}
