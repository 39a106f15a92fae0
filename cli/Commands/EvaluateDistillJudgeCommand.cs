using Toolkit.Core.Checkpoints;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Spectre.Console;
using Toolkit.Core.Folders;
using Toolkit.Core.Options;
using Toolkit.Core.Templates;
using Toolkit.Evaluate.Clients;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Judging.Distill;
using Toolkit.Evaluate.Questions;
using Toolkit.Train.Model;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit evaluate distill-judge --questions Q.jsonl --answers DIR --base MODEL_DIR|tiny --tokenizer TOK_DIR --out DIR
/// [--seed N] [--max-steps N]`: a local LLM judge distilled from the rule judge.
/// 1) data: every model pair on every ruled turn, both orders, FastChat's pairwise prompt (the LLM judge's own
///    rendering), labelled by the rule judge; questions split train / held-out by id (<see cref="JudgeDistillData"/>);
/// 2) SFT through the real `toolkit train sft` command → OUT/judge/, max_length from the longest rendered row so the
///    verdict is never cut (answers are cut to --max-answer-chars instead);
/// 3) `toolkit export` → OUT/judge-onnx/;
/// 4) the held-out matches judged in both orders by <see cref="LlmJudge"/> over the folder's LocalChatClient, compared
///    with the rule judge → OUT/judge_agreement.json (<see cref="JudgeAgreement"/>), written atomically.
/// </summary>
static class EvaluateDistillJudgeCommand
{
    static string Help(string property) => OptionAttribute.Of<DistillJudgeOptions>(property).Help;
    static string Flag(string property) => OptionAttribute.Of<DistillJudgeOptions>(property).Flag;

    public static Command Create()
    {
        var d = new DistillJudgeOptions();
        var questions = new Option<string>(Flag(nameof(d.Questions))) { Description = Help(nameof(d.Questions)), Required = true };
        var answers = new Option<string>(Flag(nameof(d.Answers))) { Description = Help(nameof(d.Answers)), Required = true };
        var baseModel = new Option<string>(Flag(nameof(d.Base))) { Description = Help(nameof(d.Base)), Required = true };
        var tokenizer = new Option<string?>(Flag(nameof(d.Tokenizer))) { Description = Help(nameof(d.Tokenizer)) };
        var output = new Option<string>(Flag(nameof(d.Out))) { Description = Help(nameof(d.Out)), Required = true };
        var seed = new Option<int>(Flag(nameof(d.Seed))) { Description = Help(nameof(d.Seed)), DefaultValueFactory = _ => d.Seed };
        var maxSteps = new Option<int>(Flag(nameof(d.MaxSteps))) { Description = Help(nameof(d.MaxSteps)), DefaultValueFactory = _ => d.MaxSteps };
        var batch = new Option<int>(Flag(nameof(d.BatchSize))) { Description = Help(nameof(d.BatchSize)), DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>(Flag(nameof(d.LearningRate))) { Description = Help(nameof(d.LearningRate)), DefaultValueFactory = _ => d.LearningRate };
        var heldOut = new Option<double>(Flag(nameof(d.HeldOutShare))) { Description = Help(nameof(d.HeldOutShare)), DefaultValueFactory = _ => d.HeldOutShare };
        var maxPairs = new Option<int>(Flag(nameof(d.MaxEvalPairs))) { Description = Help(nameof(d.MaxEvalPairs)), DefaultValueFactory = _ => d.MaxEvalPairs };
        var maxChars = new Option<int>(Flag(nameof(d.MaxAnswerChars))) { Description = Help(nameof(d.MaxAnswerChars)), DefaultValueFactory = _ => d.MaxAnswerChars };
        var prompts = new Option<string>(Flag(nameof(d.JudgePrompts))) { Description = Help(nameof(d.JudgePrompts)), DefaultValueFactory = _ => d.JudgePrompts };
        var concurrency = new Option<int>(Flag(nameof(d.Concurrency))) { Description = Help(nameof(d.Concurrency)), DefaultValueFactory = _ => d.Concurrency };
        var judgeName = new Option<string?>(Flag(nameof(d.JudgeName))) { Description = Help(nameof(d.JudgeName)) };
        var command = new Command("distill-judge", "Distil the rule judge into a small LLM judge (SFT on FastChat pairwise prompts, both orders), export it, and report its agreement, position consistency, error rate and ties against the rule judge on held-out questions.")
        {
            questions, answers, baseModel, tokenizer, output, seed, maxSteps, batch, lr, heldOut, maxPairs, maxChars, prompts, concurrency, judgeName,
        };
        command.SetAction(async (parse, cancel) =>
        {
            var options = new DistillJudgeOptions
            {
                Questions = parse.GetValue(questions)!, Answers = parse.GetValue(answers)!, Base = parse.GetValue(baseModel)!, Tokenizer = parse.GetValue(tokenizer),
                Out = parse.GetValue(output)!, Seed = parse.GetValue(seed), MaxSteps = parse.GetValue(maxSteps), BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr), HeldOutShare = parse.GetValue(heldOut), MaxEvalPairs = parse.GetValue(maxPairs),
                MaxAnswerChars = parse.GetValue(maxChars), JudgePrompts = parse.GetValue(prompts)!, Concurrency = parse.GetValue(concurrency), JudgeName = parse.GetValue(judgeName),
            }.Validate();
            var result = await RunAsync(options, cancel);
            AnsiConsole.WriteLine(result.ToString());
            return 0;
        });
        return command;
    }

    /// <summary>Runs the four steps; returns what judge_agreement.json holds.</summary>
    public static async Task<JudgeAgreement> RunAsync(DistillJudgeOptions o, CancellationToken cancel = default)
    {
        OutputPaths.RequireFolder(o.Out, "--out");
        var preset = Presets.Names.Contains(o.Base) && !Directory.Exists(o.Base) ? o.Base : null;
        if (preset is null && !Directory.Exists(o.Base))
            throw new ArgumentException($"--base {o.Base}: neither an HF checkpoint folder nor a preset ({string.Join(", ", Presets.Names)}). HINT: pass the demo's SFT model folder, or tiny with --tokenizer");
        if (preset is not null && o.Tokenizer is null) throw new ArgumentException($"--base {preset} starts from random weights and needs --tokenizer DIR (tokenizer.json, tokenizer_config.json)");
        string judgeDir = Path.Combine(o.Out, "judge"), onnxDir = Path.Combine(o.Out, "judge-onnx"), dataDir = Path.Combine(o.Out, "data");
        var clock = Stopwatch.StartNew();
        void Stage(string what) { AnsiConsole.MarkupLineInterpolated($"[grey]distill-judge: {what} ({clock.Elapsed.TotalSeconds:F1} s)[/]"); clock.Restart(); }

        // 1) data: matches, split by question, both orders labelled by the rule judge, rendered as the LLM judge renders them
        var (judgePrompts, promptsText) = JudgeDistillData.LoadPrompts(o.JudgePrompts);
        var qs = QuestionSet.Load(o.Questions);
        var answerSets = JudgeDistillData.ReadAnswers(o.Answers);
        var matches = JudgeDistillData.Matches(qs, answerSets);
        if (matches.Count == 0)
            throw new ArgumentException($"{o.Questions}: no turn with a rule is answered by two of the models in {o.Answers} ({string.Join(", ", answerSets.Keys)}). HINT: questions need \"rules\" (one per turn) and the answers must use the same question_id");
        var (trainIds, heldOutIds) = JudgeDistillData.Split(matches.Select(m => m.Question.Id), o.HeldOutShare, o.Seed);
        var train = matches.Where(m => trainIds.Contains(m.Question.Id)).SelectMany(m => JudgeDistillData.Examples(m, judgePrompts, o.MaxAnswerChars)).ToList();
        var heldOut = matches.Where(m => heldOutIds.Contains(m.Question.Id)).ToList();
        Directory.CreateDirectory(dataDir);
        var trainFile = Path.Combine(dataDir, "train.jsonl");
        AtomicFile.WriteAllLines(trainFile, train.Select(e => JudgeDistillData.SftRow(e).ToJsonString(Toolkit.Evaluate.Answers.AnswerRecord.Readable)));
        AtomicFile.WriteAllLines(Path.Combine(dataDir, "heldout.jsonl"), heldOut.SelectMany(m => JudgeDistillData.Examples(m, judgePrompts, o.MaxAnswerChars))
            .Select(e => JudgeDistillData.SftRow(e).ToJsonString(Toolkit.Evaluate.Answers.AnswerRecord.Readable)));
        var labels = train.GroupBy(e => e.Label).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}");
        var cut = matches.Sum(m => m.Answers1.Take(m.Turn).Concat(m.Answers2.Take(m.Turn)).Count(a => a.Length > o.MaxAnswerChars));

        // 1b) lengths: max_length from the longest rendered row (+ EOS), so no verdict is truncated; refuse rows beyond the context
        var (maxTokens, verdictTokens, context) = Lengths(o, preset, train);
        var maxLength = maxTokens + 2;
        var judgeMaxTokens = verdictTokens + 8;
        if (maxLength + judgeMaxTokens > context)
            throw new ArgumentException($"the longest judging prompt is {maxTokens} tokens (+{judgeMaxTokens} for the verdict) but the model's context is {context}. HINT: lower --max-answer-chars (now {o.MaxAnswerChars})");
        Stage($"{matches.Count} matches over {answerSets.Count} models ({string.Join(", ", answerSets.Keys)}); {trainIds.Count} train / {heldOutIds.Count} held-out questions; " +
              $"{train.Count} training prompts ({string.Join(", ", labels)}), {cut} answer turns cut to {o.MaxAnswerChars} chars; longest row {maxTokens} tokens → max_length {maxLength} (context {context})");

        // 2) SFT through the real `toolkit train sft`
        foreach (var old in new[] { judgeDir, onnxDir }) if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        string[] from = preset is not null ? ["--preset", preset, "--tokenizer", o.Tokenizer!] : o.Tokenizer is { } t ? ["--model", o.Base, "--tokenizer", t] : ["--model", o.Base];
        Invoke(TrainCommand.Create(), ["train", "sft", .. from, "--data", trainFile, "--out", judgeDir, "--lr", Invariant(o.LearningRate), "--max-steps", Invariant(o.MaxSteps),
            "--batch-size", Invariant(o.BatchSize), "--max-length", Invariant(maxLength), "--warmup-ratio", "0.1", "--validation-split", "0", "--save-steps", "0", "--seed", Invariant(o.Seed)]);
        Stage($"SFT of the judge: {o.MaxSteps} steps × {o.BatchSize} prompts → {judgeDir}");

        // 3) export through the real `toolkit export`
        Invoke(ExportCommand.Create(), ["export", "--model", judgeDir, "--out", onnxDir]);
        AtomicFile.WriteAllText(Path.Combine(onnxDir, JudgeDistillData.PromptsFileName), promptsText);   // the prompts it was trained on travel with it
        Stage($"export → {onnxDir}");

        // 4) held-out: the LLM judge over ORT-GenAI, both orders, against the rule judge
        var name = o.JudgeName ?? $"distilled:{Path.GetFileName(Path.GetFullPath(o.Out).TrimEnd(Path.DirectorySeparatorChar))}";
        using var client = await ChatClients.OpenFolderAsync(onnxDir, new ClientOptions { MaxConcurrency = o.Concurrency }, cancel);
        var judge = new LlmJudge(client, name, judgePrompts, judgeMaxTokens);
        var total = JudgeAgreementRun.Sample(heldOut, o.MaxEvalPairs, o.Seed).Count;
        List<(PairJudgment Judged, Winner Reference)> rows = [];
        await EvaluateCommand.Progress($"held-out judging ({total} matches × 2 orders)", total,
            async tick => rows = await JudgeAgreementRun.RunAsync(judge, heldOut, o.MaxAnswerChars, o.MaxEvalPairs, o.Seed, o.Concurrency, tick, cancel));
        var agreement = JudgeAgreement.Compute(name, "rule", rows);
        AtomicFile.WriteAllLines(Path.Combine(dataDir, "heldout_judgments.jsonl"), rows.Select(r => r.Judged.ToJsonLine()));
        agreement.WriteAtomic(Path.Combine(o.Out, "judge_agreement.json"));
        Stage($"held-out judging: {rows.Count} matches, {judge.TransportErrors} failed calls → {Path.Combine(o.Out, "judge_agreement.json")}");
        return agreement;
    }

    /// <summary>(longest rendered training row, longest verdict, the model's context) in tokens of the judge's tokenizer and chat template.</summary>
    static (int MaxTokens, int VerdictTokens, int Context) Lengths(DistillJudgeOptions o, string? preset, IReadOnlyList<JudgeExample> rows)
    {
        var folder = ModelFolder.Open(o.Tokenizer ?? o.Base);
        var tok = folder.Tokenizer;
        var template = folder.ChatTemplate ?? (preset is not null ? ChatTemplate.Parse(ChatTemplate.TinyPresetSource).WithSpecialTokens(tok.BosToken, tok.EosToken) : null)
            ?? throw new ArgumentException($"{folder.Folder}: no chat template (tokenizer_config.json chat_template or chat_template.jinja). HINT: a judge is a chat model; use a folder with a template");
        var context = preset is not null ? Presets.Get(preset).MaxPositionEmbeddings
            : JsonNode.Parse(File.ReadAllText(Path.Combine(o.Base, "config.json")))?["max_position_embeddings"]?.GetValue<int>()
              ?? throw new ArgumentException($"{Path.Combine(o.Base, "config.json")}: no max_position_embeddings. HINT: --base must be an HF checkpoint folder");
        int maxTokens = 0, verdict = 0;
        foreach (var e in rows.DistinctBy(e => (e.User, e.Target)))
        {
            List<ChatMessage> messages = [.. e.System.Length > 0 ? [ChatMessage.System(e.System)] : Array.Empty<ChatMessage>(), ChatMessage.User(e.User), ChatMessage.Assistant(e.Target)];
            maxTokens = Math.Max(maxTokens, tok.Encode(template.Render(messages, addGenerationPrompt: false)).Length);
            verdict = Math.Max(verdict, tok.Encode(e.Target, addSpecialTokens: false).Length);
        }
        return (maxTokens, verdict, context);
    }

    static string Invariant(IFormattable x) => x.ToString(null, System.Globalization.CultureInfo.InvariantCulture);

    static void Invoke(Command command, string[] args)
    {
        var root = new RootCommand { command };
        var code = root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        if (code != 0) throw new InvalidOperationException($"toolkit {string.Join(' ', args)} exited {code}");
    }
}
