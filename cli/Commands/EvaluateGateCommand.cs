using System.CommandLine;
using Toolkit.Evaluate.Gate;
using Toolkit.Evaluate.Judging;

namespace Toolkit.Cli.Commands;

/// <summary>`toolkit evaluate gate`: exits 0 PASS, 1 FAIL, 2 INCONCLUSIVE (see GateOptions).</summary>
static class EvaluateGateCommand
{
    public static Command Create()
    {
        var candidate = new Option<string?>("--candidate") { Description = "The candidate's answers file (e.g. answers/dpo.jsonl)." };
        var baseline = new Option<string?>("--baseline") { Description = "The baseline's answers file (e.g. answers/sft.jsonl)." };
        var judgments = new Option<string?>("--judgments") { Description = "Gate an existing pairwise judgments file (model_1 = candidate) instead of judging --candidate against --baseline." };
        var margin = new Option<double>("--margin") { Description = "Non-inferiority margin δ on the tie-adjusted win rate: PASS when the interval's low end ≥ 0.5 − δ, FAIL when its high end < 0.5 − δ. 0..0.5.", DefaultValueFactory = _ => 0.05 };
        var confidence = new Option<double>("--confidence") { Description = "Two-sided level of the bootstrap interval over questions. 0.5..0.999.", DefaultValueFactory = _ => 0.95 };
        var rounds = new Option<int>("--bootstrap") { Description = "Bootstrap rounds (fixed seed). 100..100000.", DefaultValueFactory = _ => 2000 };
        var maxErrors = new Option<double>("--max-judge-errors") { Description = "Largest share of judge games allowed to be errors; above it the gate is INCONCLUSIVE. 0..1.", DefaultValueFactory = _ => 0.05 };
        var inconclusive = new Option<InconclusivePolicy>("--inconclusive") { Description = "What INCONCLUSIVE exits with: exit2 (2), pass (0) or fail (1).", DefaultValueFactory = _ => InconclusivePolicy.Exit2 };
        var summary = new Option<string?>("--summary") { Description = "Write the Markdown summary here (it is also appended to $GITHUB_STEP_SUMMARY when that is set)." };
        var junit = new Option<string?>("--junit") { Description = "Write a JUnit XML report here (one test case: failure on FAIL)." };
        var output = new Option<string?>("--out") { Description = "Write the pairwise judgments here (FastChat layout; default judgments/gate_pair.jsonl)." };
        var args = new JudgeOptionArgs();
        var command = new Command("gate", "Judge a candidate against a baseline and decide PASS / FAIL / INCONCLUSIVE from the bootstrap interval of its win rate (exit 0 / 1 / 2).")
        {
            candidate, baseline, judgments, margin, confidence, rounds, maxErrors, inconclusive, summary, junit, output,
        };
        args.AddTo(command);
        command.SetAction(async (parse, cancel) =>
        {
            var options = new GateOptions
            {
                Margin = parse.GetValue(margin), Confidence = parse.GetValue(confidence), Rounds = parse.GetValue(rounds),
                MaxJudgeErrorRate = parse.GetValue(maxErrors), Inconclusive = parse.GetValue(inconclusive),
            }.Validate();
            List<PairJudgment> rows;
            if (parse.GetValue(judgments) is { } file) rows = PairJudgment.ReadFile(file);
            else
            {
                var c = parse.GetValue(candidate) ?? throw new ArgumentException("pass --candidate FILE and --baseline FILE (answers files), or --judgments FILE");
                var b = parse.GetValue(baseline) ?? throw new ArgumentException("pass --baseline FILE (the baseline's answers file)");
                var (judged, counts, _) = await args.PairwiseAsync(parse, c, b, cancel);
                rows = judged;
                var path = parse.GetValue(output) ?? Path.Combine("judgments", "gate_pair.jsonl");
                SingleJudgment.WriteAtomic(path, rows.Select(r => r.ToJsonLine()));
                Console.WriteLine($"{path}: {rows.Count} judgments ({counts.Judged} outcomes judged now, {counts.CacheHits} from the cache, {counts.Errors} judge errors).");
            }
            var result = GateResult.Decide(rows, options);
            Console.WriteLine(result.Line);
            var md = result.Markdown();
            if (parse.GetValue(summary) is { } s) SingleJudgment.WriteAtomic(s, [md]);
            if (Environment.GetEnvironmentVariable("GITHUB_STEP_SUMMARY") is { Length: > 0 } gh) File.AppendAllText(gh, md + Environment.NewLine);
            if (parse.GetValue(junit) is { } j) SingleJudgment.WriteAtomic(j, [result.JUnit()]);
            return result.ExitCode;
        });
        return command;
    }
}
