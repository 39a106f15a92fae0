using Toolkit.Core.Checkpoints;
using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Toolkit.Cli.Commands;
using Toolkit.Evaluate.Gate;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Statistics;
using Toolkit.Quantize;
using Toolkit.Quantize.Report;
using Toolkit.Train.Data.Synthetic;

namespace Toolkit.Cli.Experiment;

/// <summary>What a finished study run produced.</summary>
/// <param name="Folder">runs/&lt;experiment&gt;.</param>
/// <param name="Stages">Every stage in order, ran now or cached.</param>
/// <param name="Best">The preference run with the highest win rate against SFT (rule judge).</param>
/// <param name="Gate">The gate's decision: best run vs SFT.</param>
/// <param name="Seconds">Wall time of this invocation, seconds.</param>
public sealed record StudyResult(string Folder, IReadOnlyList<(StageManifest Manifest, StageStatus Status)> Stages, string Best, GateResult Gate, double Seconds);

/// <summary>
/// Runs a <see cref="Study"/> as a chain of cached stages under runs/&lt;name&gt;/ (see <see cref="StageStore"/>):
/// 1) data (synthetic task files, held-out questions with rules); 2) tokenizer; 3) SFT; 4) one training run per
/// declared run, from the SFT model; 5) ONNX export of SFT and every run; 6) greedy answers to the held-out questions;
/// 7) rule-judged pairwise games of each run against SFT; 8) the best run's quantized variants, their accuracy report,
/// answers and games; 9) the distilled LLM judge; 10) the gate, best run vs SFT; 11) report.html and report.md.
/// Training, export and answering go through the real `toolkit` commands, so the study runs what a user would run.
/// </summary>
public sealed class StudyRunner(Study study, string runsRoot)
{
    /// <summary>Name of the SFT model in answers, judgments and the report.</summary>
    public const string Sft = "sft";

    readonly StageStore _store = new(Path.Combine(runsRoot, study.Name), Log);

    static void Log(string line) => AnsiConsole.MarkupLineInterpolated($"[grey]stage[/] {line}");

    string Dir(string relative) => Path.Combine(_store.Root, relative);

    static string Inv(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Runs every stage not already done; returns what the report shows.</summary>
    public StudyResult Run()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(_store.Root);
        AtomicFile.WriteAllText(Path.Combine(_store.Root, "experiment.yaml"), study.Text);

        // 1) data
        var task = new SyntheticTask(new SyntheticOptions
        {
            Seed = (ulong)study.Seed, SftCount = study.Data.SftRows, PairCount = study.Data.PairRows, HeldOutCount = Math.Max(200, study.Data.HeldOutQuestions),
        });
        Stage("data", "data", new() { ["seed"] = study.Seed.ToString(CultureInfo.InvariantCulture), ["sft_rows"] = $"{study.Data.SftRows}", ["pair_rows"] = $"{study.Data.PairRows}", ["heldout"] = $"{study.Data.HeldOutQuestions}" }, [], c =>
        {
            task.WriteFiles(c.Temp);
            StudyQuestions.Write(Path.Combine(c.Temp, "questions.jsonl"), StudyQuestions.Build(task, study.Data.HeldOutQuestions));
            AtomicFile.WriteAllLines(Path.Combine(c.Temp, "heldout_text.txt"), StudyQuestions.HeldOutText(task, 200));
        });
        var data = Dir("data");
        var questions = Path.Combine(data, "questions.jsonl");

        // 2-3) tokenizer and SFT (or the given SFT model)
        string sftModel;
        if (study.Base.Model is { } given)
        {
            var config = new FileInfo(Path.Combine(given, "config.json"));
            Stage("sft", "sft", new() { ["model"] = given, ["config_mtime"] = config.LastWriteTimeUtc.ToString("O", CultureInfo.InvariantCulture) }, ["data"],
                c => AtomicFile.WriteAllText(Path.Combine(c.Temp, "source.txt"), given + "\n"));
            sftModel = given;
        }
        else
        {
            Stage("tokenizer", "tokenizer", new() { ["vocab_size"] = $"{study.Base.VocabSize}" }, ["data"],
                c => TrainTokenizerCommand.Train(File.ReadAllLines(Path.Combine(data, "corpus.txt")), study.Base.VocabSize, c.Temp));
            var options = new Dictionary<string, string>(study.Base.Options) { ["preset"] = study.Base.Preset };
            Stage("sft", "sft", options, ["data", "tokenizer"], c => Train(c, TrainMethod.Sft, null, study.Base.Options,
                ["--preset", study.Base.Preset, "--tokenizer", Dir("tokenizer"), "--data", Path.Combine(data, "sft.jsonl")]), resumable: true);
            sftModel = Dir("sft");
        }

        // 4) training runs
        foreach (var run in study.Runs)
        {
            var options = new Dictionary<string, string>(run.Options) { ["method"] = run.Method.Verb() };
            if (run.Beta is { } beta) options["beta"] = Inv(beta);
            var file = run.Method is TrainMethod.Sft ? "sft.jsonl" : "pairs.jsonl";
            Stage($"train.{run.Name}", $"train/{run.Name}", options, ["data", "sft"], c => Train(c, run.Method, run.Beta, run.Options,
                ["--model", sftModel, "--data", Path.Combine(data, file)]), resumable: true);
        }

        // 5-7) export, answers, games against SFT
        var models = new List<(string Name, string Checkpoint, string TrainStage)> { (Sft, sftModel, "sft") };
        models.AddRange(study.Runs.Select(r => (r.Name, Dir($"train/{r.Name}"), $"train.{r.Name}")));
        foreach (var (name, checkpoint, trainStage) in models)
        {
            Stage($"export.{name}", $"onnx/{name}", new() { ["checkpoint"] = checkpoint }, [trainStage],
                c => Invoke(ExportCommand.Create(), "export", "--model", checkpoint, "--out", c.Temp));
            Answer(name, Dir($"onnx/{name}"), $"export.{name}");
        }
        foreach (var run in study.Runs) Judge(run.Name);
        var best = study.Runs.Select(r => (r.Name, Rate: WinRates.Count(PairJudgment.ReadFile(GamesFile(r.Name))).AdjustedWinRate))
            .OrderByDescending(x => x.Rate).First().Name;
        AnsiConsole.MarkupLineInterpolated($"best run by rule-judged win rate against SFT: [bold]{best}[/]");

        // 8) quantized variants of the best run
        var bestOnnx = Dir($"onnx/{best}");
        foreach (var v in study.Quantize)
        {
            var name = $"{best}+{v.Name}";
            Stage($"quantize.{v.Name}", $"quant/{v.Name}", new() { ["of"] = best, ["bits"] = $"{v.Bits}", ["granularity"] = $"{v.Granularity}", ["block_size"] = $"{v.BlockSize}" }, [$"export.{best}"],
                c => Quantizer.Run(new QuantizeOptions { Model = bestOnnx, Out = c.Temp, Bits = v.Bits, Granularity = v.Granularity, BlockSize = v.BlockSize, Overwrite = true }, s => AnsiConsole.WriteLine(s)));
            Answer(name, Dir($"quant/{v.Name}"), $"quantize.{v.Name}");
            Judge(name);
        }
        if (study.Quantize.Count > 0)
            Stage("quantize-report", "quant-report", new() { ["of"] = best, ["samples"] = "64", ["prompts"] = "8", ["new_tokens"] = "32" },
                [$"export.{best}", .. study.Quantize.Select(v => $"quantize.{v.Name}")], c =>
                {
                    var result = QuantReport.Run(new ReportOptions
                    {
                        Reference = bestOnnx, Variants = study.Quantize.Select(v => Dir($"quant/{v.Name}")).ToList(), Text = Path.Combine(data, "heldout_text.txt"),
                        Samples = 64, Prompts = 8, NewTokens = 32, Out = c.Temp,
                    }, s => AnsiConsole.WriteLine(s));
                    AnsiConsole.WriteLine(ReportWriter.Markdown(result.Rows, new ReportOptions { Reference = bestOnnx, Text = "heldout_text.txt", Out = c.Temp }));
                });

        // 9) the distilled LLM judge
        if (study.Judges.Distilled) DistillJudge(models.Select(m => m.Name).ToList(), sftModel);

        // 10) the gate
        var gateOptions = new GateOptions { Margin = study.Gate.Margin, Confidence = study.Gate.Confidence, Rounds = study.Gate.Bootstrap }.Validate();
        Stage("gate", "gate", new() { ["best"] = best, ["margin"] = Inv(study.Gate.Margin), ["confidence"] = Inv(study.Gate.Confidence), ["bootstrap"] = $"{study.Gate.Bootstrap}" },
            [$"judge.{best}"], c =>
            {
                var decision = GateResult.Decide(PairJudgment.ReadFile(GamesFile(best)), gateOptions);
                AtomicFile.WriteAllText(Path.Combine(c.Temp, "gate.md"), decision.Markdown());
                AtomicFile.WriteAllText(Path.Combine(c.Temp, "gate.txt"), decision.Line + "\n");
            });
        var gate = GateResult.Decide(PairJudgment.ReadFile(GamesFile(best)), gateOptions);

        // 11) the report (always rewritten: cheap, and it shows this invocation's stage table)
        var result = new StudyResult(_store.Root, _store.History, best, gate, clock.Elapsed.TotalSeconds);
        StudyReport.Write(study, result);
        return result;
    }

    /// <summary>The pairwise rule-judged games of <paramref name="model"/> against SFT.</summary>
    public string GamesFile(string model) => Path.Combine(Dir($"judge/{model}"), "pair.jsonl");

    /// <summary>The answers file of <paramref name="model"/>.</summary>
    public string AnswersFile(string model) => Path.Combine(Dir($"answers/{model}"), "answers.jsonl");

    void Stage(string id, string output, Dictionary<string, string> options, IReadOnlyList<string> dependsOn, Action<StageContext> work, bool resumable = false)
    {
        AnsiConsole.Write(new Rule($"[yellow]{Markup.Escape(id)}[/]").LeftJustified());
        _store.Run(id, output, options, dependsOn, work, resumable);
    }

    void Answer(string model, string onnx, string exportStage) =>
        Stage($"answers.{model}", $"answers/{model}", new() { ["max_new_tokens"] = $"{study.Answers.MaxNewTokens}", ["temperature"] = "0" }, [exportStage, "data"],
            c => Invoke(EvaluateCommand.Create(), "evaluate", "answer", "--model", onnx, "--questions", Path.Combine(Dir("data"), "questions.jsonl"),
                "--out", Path.Combine(c.Temp, "answers.jsonl"), "--model-id", model, "--temperature", "0", "--max-new-tokens", $"{study.Answers.MaxNewTokens}"));

    void Judge(string model) =>
        Stage($"judge.{model}", $"judge/{model}", new() { ["judge"] = "rule", ["baseline"] = Sft }, [$"answers.{model}", $"answers.{Sft}"],
            c => Invoke(EvaluateCommand.Create(), "evaluate", "judge", "--mode", "pairwise", "--candidate", AnswersFile(model), "--baseline", AnswersFile(Sft),
                "--questions", Path.Combine(Dir("data"), "questions.jsonl"), "--judge", "rule", "--no-cache", "--out", Path.Combine(c.Temp, "pair.jsonl")));

    /// <summary>`toolkit evaluate distill-judge`, when this build has it (its absence is reported, loudly, not cached).</summary>
    void DistillJudge(IReadOnlyList<string> models, string sftModel)
    {
        var evaluate = EvaluateCommand.Create();
        if (!evaluate.Subcommands.Any(c => c.Name == "distill-judge"))
        {
            AnsiConsole.MarkupLine("[red]distilled LLM judge: `toolkit evaluate distill-judge` is not in this build; the report's judge section says so[/]");
            return;
        }
        var options = new Dictionary<string, string> { ["seed"] = study.Seed.ToString(CultureInfo.InvariantCulture) };
        if (study.Judges.DistillMaxSteps is { } steps) options["max_steps"] = $"{steps}";
        Stage("distill-judge", "distill", options, [.. models.Select(m => $"answers.{m}"), "sft", .. study.Base.Model is null ? new[] { "tokenizer" } : []], c =>
        {
            var answers = Directory.CreateDirectory(Path.Combine(c.Temp, "answers")).FullName;
            foreach (var m in models) AtomicFile.Copy(AnswersFile(m), Path.Combine(answers, m + ".jsonl"));
            string[] args = ["evaluate", "distill-judge", "--questions", Path.Combine(Dir("data"), "questions.jsonl"), "--answers", answers, "--base", sftModel,
                "--tokenizer", study.Base.Model ?? Dir("tokenizer"), "--out", c.Temp, "--seed", study.Seed.ToString(CultureInfo.InvariantCulture), "--judge-name", $"distilled:{study.Name}"];
            if (study.Judges.DistillMaxSteps is { } n) args = [.. args, "--max-steps", $"{n}"];
            Invoke(evaluate, args);
        });
    }

    /// <summary>`toolkit train METHOD` into the stage folder; resumes from its newest checkpoint after a kill.</summary>
    void Train(StageContext c, TrainMethod method, double? beta, IReadOnlyDictionary<string, string> options, string[] inputs)
    {
        var defaults = method.Defaults();
        List<string> args = ["train", method.Verb(), .. inputs, "--out", c.Temp];
        foreach (var (key, value) in options)
            args.AddRange([Toolkit.Train.Training.OptionBinder.Find(defaults.GetType(), key)!.Option.Flag, value]);
        if (beta is { } b) args.AddRange(["--beta", Inv(b)]);
        if (!options.ContainsKey("seed")) args.AddRange(["--seed", study.Seed.ToString(CultureInfo.InvariantCulture)]);
        // the trainer writes checkpoint-N.tmp and renames it: only a folder named checkpoint-N is complete
        if (c.Resuming && Directory.EnumerateDirectories(c.Temp, "checkpoint-*").Any(d => !d.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            AnsiConsole.MarkupLine("[yellow]resuming from the newest checkpoint of the killed attempt[/]");
            args.AddRange(["--resume-from-checkpoint", "latest"]);
        }
        else if (c.Resuming)
        {
            foreach (var f in Directory.EnumerateFileSystemEntries(c.Temp)) if (Directory.Exists(f)) Directory.Delete(f, true); else File.Delete(f);
        }
        if (options.TryGetValue("precompute_ref_log_probs", out var pre) && bool.TryParse(pre, out var on) && on)
        {
            var copied = SeedReferenceCache(Dir("train"), c.Temp);
            if (copied > 0) AnsiConsole.MarkupLineInterpolated($"[grey]reference log-probs: {copied} cache file(s) of earlier runs offered (used only where data, reference and layout hash the same)[/]");
        }
        Invoke(TrainCommand.Create(), [.. args]);
        var log = Path.Combine(c.Temp, "metrics.jsonl");
        if (File.Exists(log))
        {
            var speeds = Toolkit.Train.Training.MetricsLog.Read(log).SelectMany(r => r).Where(kv => kv.Key == "tokens/s" && double.IsFinite(kv.Value)).Select(kv => kv.Value).ToList();
            if (speeds.Count > 0) c.Metrics["tokens_per_s"] = speeds.Average();
        }
    }

    /// <summary>
    /// Offers the reference log-prob caches of this study's finished training runs (TRAIN/&lt;run&gt;/ref_logps/*.bin) to
    /// the run writing into <paramref name="output"/>: each file is copied to output/ref_logps/ unless a file of that name
    /// is there. The trainer opens only the file whose name carries the hash of its own tokenized data, reference weights,
    /// layout and bf16 setting (<see cref="Toolkit.Train.Training.ReferenceCache"/>), so a file of another reference or
    /// data is never read; the runs that share the SFT model and the pairs skip the precompute pass after the first.
    /// Unfinished runs (*.partial-*) are not read. Returns the number of files copied.
    /// </summary>
    /// <param name="train">The study's train/ folder (may not exist yet).</param>
    /// <param name="output">The starting run's output folder.</param>
    public static int SeedReferenceCache(string train, string output)
    {
        if (!Directory.Exists(train)) return 0;
        var target = Path.Combine(output, "ref_logps");
        var copied = 0;
        foreach (var run in Directory.GetDirectories(train).Order(StringComparer.Ordinal))
        {
            var cache = Path.Combine(run, "ref_logps");
            if (Path.GetFileName(run).Contains(".partial-", StringComparison.Ordinal) || !Directory.Exists(cache)) continue;
            foreach (var file in Directory.GetFiles(cache, "ref-logps-*.bin"))
            {
                var to = Path.Combine(target, Path.GetFileName(file));
                if (File.Exists(to)) continue;
                Directory.CreateDirectory(target);
                var tmp = to + ".copy-tmp";
                File.Copy(file, tmp, overwrite: true);
                File.Move(tmp, to);
                copied++;
            }
        }
        return copied;
    }

    /// <summary>Runs a `toolkit` verb in this process through its command; a non-zero exit is an error naming the command.</summary>
    static void Invoke(Command command, params string[] args)
    {
        var root = new RootCommand { command };
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0) throw new InvalidOperationException($"toolkit {string.Join(' ', args)}: {string.Join("; ", parsed.Errors.Select(e => e.Message))}");
        var code = parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        if (code != 0) throw new InvalidOperationException($"toolkit {string.Join(' ', args)} exited {code}");
    }
}
