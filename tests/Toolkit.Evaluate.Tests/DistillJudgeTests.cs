using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Toolkit.Core.Native;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Judging.Distill;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Tests;

/// <summary>
/// The judge distillation (`toolkit evaluate distill-judge`): the training prompts are FastChat's pairwise prompt as the
/// LLM judge renders it, in both orders with the labels swapped; the agreement measures match a hand count; a judge that
/// always says [[A]] is never position-consistent; and the whole command runs end to end on a tiny model.
/// </summary>
public sealed class DistillJudgeTests(ITestOutputHelper output)
{
    // Three questions with rules (the rule judge's ground truth) and one without; three models.
    static readonly Question Bo = new("1", "reasoning", ["Who is the shortest? Answer with the name only."], null, ["exact:Bo"]);
    static readonly Question Sum = new("2", "math", ["What is 2 plus 3? Answer in one sentence."], null, ["numeric:5"]);
    static readonly Question Zh = new("3", "writing", ["用一句话介绍你自己。"], null, ["language:zh"]);
    static readonly Question Free = new("4", "writing", ["Write a haiku."]);
    static readonly Question[] Questions = [Bo, Sum, Zh, Free];

    static SortedDictionary<string, Dictionary<string, AnswerRecord>> ThreeModels() => new(StringComparer.Ordinal)
    {
        ["good"] = Kit.Answers("good", ("1", ["Bo"]), ("2", ["The answer is 5."]), ("3", ["我是一个助手。"]), ("4", ["Leaves fall"])),
        ["mixed"] = Kit.Answers("mixed", ("1", ["Ann"]), ("2", ["The answer is 5."]), ("3", ["I am an assistant."]), ("4", ["Snow"])),
        ["bad"] = Kit.Answers("bad", ("1", ["Tom"]), ("2", ["It is 6."]), ("3", ["I am an assistant."]), ("4", ["Rain"])),
    };

    [Fact]
    public void Training_prompts_are_FastChats_pairwise_prompt_in_both_orders_with_the_labels_swapped()
    {
        var prompts = JudgePrompts.BuiltIn();
        var matches = JudgeDistillData.Matches(Questions, ThreeModels());
        // 3 ruled questions × 3 model pairs; the question without a rule makes none
        Assert.Equal(9, matches.Count);
        Assert.DoesNotContain(matches, m => m.Question.Id == "4");
        var bo = matches.Single(m => m.Question.Id == "1" && m.Model1 == "bad" && m.Model2 == "good");

        var both = JudgeDistillData.Examples(bo, prompts, maxAnswerChars: 200).ToList();
        Assert.Equal(2, both.Count);
        var (g1, g2) = (both[0], both[1]);
        var pairV2 = prompts.ByName["pair-v2"];
        Assert.Equal(pairV2.SystemPrompt, g1.System);
        Assert.Equal("[User Question]\nWho is the shortest? Answer with the name only.\n\n[The Start of Assistant A's Answer]\nTom\n[The End of Assistant A's Answer]\n\n" +
                     "[The Start of Assistant B's Answer]\nBo\n[The End of Assistant B's Answer]", g1.User);
        Assert.Contains("[The Start of Assistant A's Answer]\nBo\n", g2.User);
        Assert.Contains("[The Start of Assistant B's Answer]\nTom\n", g2.User);
        // game 1 shows bad (fails) first → B; game 2 shows good first → A; each verdict text ends in its label
        Assert.Equal((Verdict.B, Verdict.A), (g1.Label, g2.Label));
        Assert.EndsWith("[[B]]", g1.Target);
        Assert.EndsWith("[[A]]", g2.Target);
        Assert.Equal((false, true), (g1.Swapped, g2.Swapped));
        // both fail ("mixed" vs "bad" on question 1) → [[C]] in both orders
        var tie = JudgeDistillData.Examples(matches.Single(m => m.Question.Id == "1" && m.Model1 == "bad" && m.Model2 == "mixed"), prompts, 200).ToList();
        Assert.All(tie, e => Assert.EndsWith("[[C]]", e.Target));

        // the SFT row is TRL's conversational form: system, user, assistant = the verdict
        var row = JudgeDistillData.SftRow(g1)["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant"], row.Select(m => m!["role"]!.GetValue<string>()));
        Assert.Equal(g1.Target, row[2]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_training_prompt_is_byte_for_byte_what_the_LLM_judge_sends()
    {
        var prompts = JudgePrompts.BuiltIn();
        var m = JudgeDistillData.Matches(Questions, ThreeModels()).First(x => x.Question.Id == "2");
        var fake = new FakeChatClient(_ => "[[A]]");
        var judge = new LlmJudge(fake, "fake", prompts);
        foreach (var e in JudgeDistillData.Examples(m, prompts, 200))
        {
            var (a, b) = e.Swapped ? (m.Answers2, m.Answers1) : (m.Answers1, m.Answers2);
            await judge.CompareAsync(m.Question, m.Turn, a, b);
            var sent = fake.Calls[^1].Messages;
            Assert.Equal(e.System, sent[0].Text);
            Assert.Equal(e.User, sent[1].Text);
        }
    }

    [Fact]
    public void Long_answers_are_cut_for_the_prompt_but_labelled_on_the_full_text()
    {
        var q = new Question("9", "writing", ["Say it and end with DONE."], null, ["contains:DONE"]);
        var answers = new SortedDictionary<string, Dictionary<string, AnswerRecord>>(StringComparer.Ordinal)
        {
            ["long"] = Kit.Answers("long", ("9", [new string('x', 500) + " DONE"])),
            ["short"] = Kit.Answers("short", ("9", ["no"])),
        };
        var e = JudgeDistillData.Examples(JudgeDistillData.Matches([q], answers).Single(), JudgePrompts.BuiltIn(), maxAnswerChars: 40).First();
        Assert.Contains(new string('x', 39) + "…\n[The End of Assistant A's Answer]", e.User);
        Assert.DoesNotContain("DONE\n", e.User);
        Assert.Equal(Verdict.A, e.Label);   // the rule saw the full answer
    }

    [Fact]
    public void The_compact_prompts_keep_FastChats_names_templates_and_labels_with_a_shorter_system_prompt()
    {
        var builtin = JudgePrompts.BuiltIn();
        var (compact, text) = JudgeDistillData.LoadPrompts("compact");
        Assert.Equal(builtin.ByName.Keys.Order(), compact.ByName.Keys.Order());
        foreach (var name in new[] { "pair-v2", "pair-v2-multi-turn", "pair-math-v1", "pair-math-v1-multi-turn" })
        {
            var (b, c) = (builtin.ByName[name], compact.ByName[name]);
            Assert.Equal(b.PromptTemplate, c.PromptTemplate);
            Assert.True(c.SystemPrompt.Length * 5 < b.SystemPrompt.Length * 3, $"{name}: {c.SystemPrompt.Length} vs {b.SystemPrompt.Length} characters");
            foreach (var label in new[] { "[[A]]", "[[B]]", "[[C]]" }) Assert.Contains(label, c.SystemPrompt);
        }
        Assert.Equal(compact.ByName.Count, JudgePrompts.Parse("copy", text.Split('\n')).ByName.Count);   // the text written beside the judge reads back
        Assert.Equal(builtin.ByName["pair-v2"].SystemPrompt, JudgeDistillData.LoadPrompts("builtin").Prompts.ByName["pair-v2"].SystemPrompt);
        var e = Assert.Throws<FileNotFoundException>(() => JudgeDistillData.LoadPrompts("no/such/prompts.jsonl"));
        Assert.Contains("no/such/prompts.jsonl", e.Message);
    }

    [Fact]
    public void An_answers_folder_with_one_model_is_refused_with_what_to_do()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("answers"));
        File.WriteAllText(dir.File("answers/only.jsonl"), Kit.Answers("only", ("1", ["Bo"]))["1"].ToJsonLine() + "\n");
        var e = Assert.Throws<ArgumentException>(() => JudgeDistillData.ReadAnswers(dir.File("answers")));
        Assert.Contains("two models at least", e.Message);
        Assert.Contains(dir.File("answers"), e.Message);
    }

    [Fact]
    public void The_split_is_by_question_disjoint_and_seeded()
    {
        var ids = Enumerable.Range(1, 20).Select(i => i.ToString()).ToList();
        var (train, held) = JudgeDistillData.Split(ids.Concat(ids), 0.3, seed: 5);   // duplicates: one id per question
        Assert.Equal(6, held.Count);
        Assert.Equal(14, train.Count);
        Assert.Empty(train.Intersect(held));
        Assert.Equal(ids.ToHashSet(), train.Union(held).ToHashSet());
        var again = JudgeDistillData.Split(ids, 0.3, seed: 5);
        Assert.Equal(held.Order(), again.HeldOut.Order());
        Assert.NotEqual(held.Order(), JudgeDistillData.Split(ids, 0.3, seed: 6).HeldOut.Order());
    }

    [Fact]
    public void Agreement_consistency_errors_and_ties_match_a_hand_count()
    {
        // (g1, g2, rule):   combined        agrees  consistent  note
        //  M1  M1  M1       M1              yes     yes
        //  M1  M2  Tie      Tie (differ)    yes     no          first shown won both
        //  Tie Tie M2       Tie             no      yes         two tie games
        //  Err M2  M2       none (error)    no      no          one error game
        //  M2  M1  M1       Tie (differ)    no      no          second shown won both
        var rows = new List<(PairJudgment, Winner)>
        {
            (Kit.Row("1", Winner.Model1, Winner.Model1), Winner.Model1),
            (Kit.Row("2", Winner.Model1, Winner.Model2), Winner.Tie),
            (Kit.Row("3", Winner.Tie, Winner.Tie), Winner.Model2),
            (Kit.Row("4", Winner.Error, Winner.Model2), Winner.Model2),
            (Kit.Row("5", Winner.Model2, Winner.Model1), Winner.Model1),
        };
        var a = JudgeAgreement.Compute("fake", "rule", rows);
        Assert.Equal(5, a.Pairs);
        Assert.Equal(0.4, a.Agreement, 12);       // 2 of 5
        Assert.Equal(0.4, a.Consistency, 12);     // 2 of 5
        Assert.Equal(0.1, a.ErrorRate, 12);       // 1 of 10 games
        Assert.Equal(0.2, a.Ties, 12);            // 2 of 10 games
        Assert.Equal(0.2, a.BiasedToFirst, 12);
        Assert.Equal(0.2, a.BiasedToSecond, 12);
        Assert.Equal(0.4, a.MajorityBaseline, 12);   // model_1 twice, model_2 twice, tie once
        // Wilson 95% for 2 of 5 from scipy: scipy.stats.binomtest(2, 5).proportion_ci(0.95, "wilson") = [0.1176208, 0.7692757]
        output.WriteLine($"Wilson(2,5): [{a.AgreementCi.Low:F6}, {a.AgreementCi.High:F6}], max |diff| {Math.Max(Math.Abs(a.AgreementCi.Low - 0.1176208), Math.Abs(a.AgreementCi.High - 0.7692757)):E2}");
        Assert.Equal(0.1176208, a.AgreementCi.Low, 6);
        Assert.Equal(0.7692757, a.AgreementCi.High, 6);

        using var dir = new TempDir();
        a.WriteAtomic(dir.File("judge_agreement.json"));
        var json = JsonNode.Parse(File.ReadAllText(dir.File("judge_agreement.json")))!.AsObject();
        Assert.Equal(["judge", "reference", "pairs", "agreement", "agreement_ci", "consistency", "error_rate", "ties"], json.Select(p => p.Key));
        Assert.Equal(0.4, json["agreement"]!.GetValue<double>());
        Assert.Equal(2, json["agreement_ci"]!.AsArray().Count);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public async Task A_judge_that_always_answers_A_is_never_consistent_and_an_oracle_judge_always_agrees()
    {
        var matches = JudgeDistillData.Matches(Questions, ThreeModels());
        var prompts = JudgePrompts.BuiltIn();

        // Always [[A]]: game 1 names model_1, game 2 names model_2 → inconsistent on every match (a broken swap would show 1.0).
        var alwaysA = await JudgeAgreementRun.RunAsync(new LlmJudge(new FakeChatClient(_ => "Verdict: [[A]]"), "always-a", prompts), matches, 200, 100, 1, 2);
        var a = JudgeAgreement.Compute("always-a", "rule", alwaysA);
        Assert.Equal(9, a.Pairs);
        Assert.Equal(0.0, a.Consistency);
        Assert.Equal(1.0, a.BiasedToFirst);
        Assert.Equal((0.0, 0.0), (a.ErrorRate, a.Ties));
        // its combined verdict is always a tie, so it agrees exactly where the rule says tie
        Assert.Equal(alwaysA.Count(r => r.Reference == Winner.Tie) / 9.0, a.Agreement, 12);

        // An oracle that applies the question's rule to the answers it is shown: agreement and consistency 1.
        var byText = Questions.ToDictionary(q => q.Turns[0]);
        string Oracle(IReadOnlyList<ChatMessage> messages)
        {
            var user = messages[^1].Text;
            var q = byText[Regex.Match(user, @"\[User Question\]\n(.*?)\n\n").Groups[1].Value];
            string Answer(string who) => Regex.Match(user, $@"\[The Start of Assistant {who}'s Answer\]\n(.*?)\n\[The End", RegexOptions.Singleline).Groups[1].Value;
            var rule = RuleCheck.Parse(q.Rules![0]!);
            bool pa = rule.Passes(Answer("A")), pb = rule.Passes(Answer("B"));
            return pa == pb ? "[[C]]" : pa ? "[[A]]" : "[[B]]";
        }
        var oracle = JudgeAgreement.Compute("oracle", "rule", await JudgeAgreementRun.RunAsync(new LlmJudge(new FakeChatClient(Oracle), "oracle", prompts), matches, 200, 100, 1, 2));
        Assert.Equal((1.0, 1.0, 0.0), (oracle.Agreement, oracle.Consistency, oracle.ErrorRate));
    }

    [Fact]
    public void The_held_out_sample_takes_whole_question_groups_up_to_the_limit()
    {
        var matches = JudgeDistillData.Matches(Questions, ThreeModels());
        var s = JudgeAgreementRun.Sample(matches, maxPairs: 4, seed: 3);
        Assert.Equal(4, s.Count);
        Assert.Equal(s, JudgeAgreementRun.Sample(matches, 4, 3));
        Assert.Equal(matches.Count, JudgeAgreementRun.Sample(matches, 100, 3).Count);
    }

    [Fact]
    public void The_command_distils_a_judge_that_ORT_GenAI_loads_and_writes_every_agreement_field()
    {
        using var dir = new TempDir();
        var (questions, answers, baseModel) = DistillKit.Write(dir.Path, questionCount: 12);
        var r = DistillKit.RunCli("evaluate", "distill-judge", "--questions", questions, "--answers", answers, "--base", baseModel, "--tokenizer", baseModel,
            "--out", dir.File("out"), "--seed", "3", "--max-steps", "2", "--batch-size", "2", "--max-eval-pairs", "4", "--held-out-share", "0.25");
        output.WriteLine(r.Stdout);
        Assert.True(r.Code == 0, $"exit {r.Code}\n{r.Stderr}\n{r.Stdout}");

        // the HF folder and the ORT-GenAI folder, which loads and generates
        Assert.True(File.Exists(dir.File("out/judge/model.safetensors")), "judge/model.safetensors");
        // the ONNX folder carries the prompts it was trained on (`evaluate judge --judge out/judge-onnx` uses them)
        Assert.Equal(JudgeDistillData.LoadPrompts("compact").Text, File.ReadAllText(dir.File("out/judge-onnx/judge_prompts.jsonl")));
        using (var model = new Toolkit.Runtime.Generation.Model(dir.File("out/judge-onnx")))
        {
            var g = model.Generate(["Who is better? [[A]] or [[B]]"], new Toolkit.Runtime.Generation.GenerationOptions { Search = new Toolkit.Runtime.Generation.DecodingSettings { MaxNewTokens = 3, DoSample = false } });
            Assert.Single(g);
        }
        var json = JsonNode.Parse(File.ReadAllText(dir.File("out/judge_agreement.json")))!.AsObject();
        Assert.Equal(["judge", "reference", "pairs", "agreement", "agreement_ci", "consistency", "error_rate", "ties"], json.Select(p => p.Key));
        Assert.Equal("rule", json["reference"]!.GetValue<string>());
        var pairs = json["pairs"]!.GetValue<int>();
        Assert.InRange(pairs, 1, 4);
        foreach (var k in new[] { "agreement", "consistency", "error_rate", "ties" }) Assert.InRange(json[k]!.GetValue<double>(), 0, 1);
        var ci = json["agreement_ci"]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();
        Assert.True(0 <= ci[0] && ci[0] <= json["agreement"]!.GetValue<double>() && json["agreement"]!.GetValue<double>() <= ci[1] && ci[1] <= 1, string.Join(", ", ci));
        // the held-out judgments are the LLM judge's, both orders, in FastChat's pair layout
        var judged = PairJudgment.ReadFile(dir.File("out/data/heldout_judgments.jsonl"));
        Assert.Equal(pairs, judged.Count);
        Assert.All(judged, j => Assert.StartsWith("distilled:", j.Judge));
        // no held-out question was trained on
        var trainText = File.ReadAllText(dir.File("out/data/train.jsonl"));
        Assert.All(judged, j => Assert.DoesNotContain(JsonValueText(DistillKit.PromptOf(questions, j.QuestionId)), trainText));
    }

    static string JsonValueText(string s) => JsonValue.Create(s)!.ToJsonString(AnswerRecord.Readable).Trim('"');
}

/// <summary>Files for the end-to-end distillation test: ruled questions, three models' answers, a small random base model with its tokenizer.</summary>
static class DistillKit
{
    public static (string Questions, string Answers, string Base) Write(string root, int questionCount)
    {
        // questions: "What is a plus b? Answer with the number only." → exact:N; every third one wants Chinese
        var lines = new List<string>();
        var answers = new Dictionary<string, List<string>> { ["good"] = [], ["half"] = [], ["bad"] = [] };
        for (var i = 1; i <= questionCount; i++)
        {
            int a = i % 7 + 1, b = i % 5 + 2;
            var q = new Question(i.ToString(), "math", [$"What is {a} plus {b}? Answer with the number only."], null, [$"exact:{a + b}"]);
            lines.Add(q.ToJson().ToJsonString());
            void Add(string model, string text) => answers[model].Add(new AnswerRecord(q.Id, $"{model}-{i}", model, [text], 0).ToJsonLine());
            Add("good", (a + b).ToString());
            Add("half", i % 2 == 0 ? (a + b).ToString() : $"The answer is {a + b}.");
            Add("bad", (a + b + 1).ToString());
        }
        var questions = Path.Combine(root, "questions.jsonl");
        File.WriteAllLines(questions, lines);
        var answerDir = Path.Combine(root, "answers");
        Directory.CreateDirectory(answerDir);
        foreach (var (m, l) in answers) File.WriteAllLines(Path.Combine(answerDir, m + ".jsonl"), l);

        // base: a small random llama with a tokenizer trained on the judge prompt and the questions (short rows)
        var tokDir = Path.Combine(root, "base");
        var corpus = JudgePrompts.BuiltIn().ByName.Values.SelectMany(p => new[] { p.SystemPrompt, p.PromptTemplate }).Concat(lines).Concat(["A pass, B fail: [[A]]", "A fail, B pass: [[B]]", "A pass, B pass: [[C]]"]).ToList();
        var bpe = Toolkit.Core.Tokenizers.BpeTrainer.Train(corpus.Concat(corpus), 600, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
        bpe.EosToken = "<|im_end|>";
        bpe.Save(tokDir);
        var configPath = Path.Combine(tokDir, "tokenizer_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["chat_template"] = Toolkit.Core.Templates.ChatTemplate.TinyPresetSource;
        File.WriteAllText(configPath, config.ToJsonString());
        var tok = Toolkit.Core.Tokenizers.Tokenizer.FromFolder(tokDir);
        var eos = new[] { tok.TokenToId("<|im_end|>")!.Value };
        var shape = Toolkit.Train.Model.Presets.Get("tiny", tok.VocabSize) with
        {
            HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 16, MaxPositionEmbeddings = 2048, EosTokenIds = eos,
        };
        using (var w = Toolkit.Train.Model.DecoderWeights.Random(shape, 3))
            w.Save(tokDir, new Toolkit.Core.Checkpoints.GenerationConfig { EosTokenIds = eos, PadTokenId = tok.TokenToId("<|endoftext|>") });
        return (questions, answerDir, tokDir);
    }

    public static string PromptOf(string questionsFile, string id) => QuestionSet.Load(questionsFile).Single(q => q.Id == id).Turns[0];

    /// <summary>Runs the built CLI (cli/bin/Release/net10.0/toolkit.dll, or $TOOLKIT_CLI) with redirected streams.</summary>
    public static (int Code, string Stdout, string Stderr) RunCli(params string[] args)
    {
        var cli = Environment.GetEnvironmentVariable("TOOLKIT_CLI") is { Length: > 0 } env ? env
            : Path.Combine(NativeLibraries.RepoRoot() ?? "", "cli/bin/Release/net10.0/toolkit.dll");
        Assert.True(File.Exists(cli), $"{cli} not found. HINT: dotnet build cli -c Release, or set TOOLKIT_CLI");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(cli);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException($"toolkit {string.Join(' ', args)} did not finish in 5 minutes"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
