using System.Text.Json.Nodes;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Judging.Distill;

/// <summary>One match to judge: a ruled question turn and two models' full answers (model_1 sorts before model_2).</summary>
public sealed record JudgeMatch(Question Question, int Turn, string Model1, IReadOnlyList<string> Answers1, string Model2, IReadOnlyList<string> Answers2);

/// <summary>
/// One judging example: one presentation order of a match, rendered as the LLM judge sends it, with the rule judge's
/// verdict as the target.
/// </summary>
/// <param name="Match">The match.</param>
/// <param name="Swapped">False: model_1 shown as A (FastChat's game 1); true: model_2 shown as A (game 2).</param>
/// <param name="System">The judge prompt's system prompt.</param>
/// <param name="User">The filled pairwise template (answers cut to the configured length).</param>
/// <param name="Target">The rule judge's reply in A/B terms, e.g. "A pass, B fail: [[A]]" (always ends in [[A]], [[B]] or [[C]]).</param>
/// <param name="Label">The verdict in A/B terms.</param>
public sealed record JudgeExample(JudgeMatch Match, bool Swapped, string System, string User, string Target, Verdict Label);

/// <summary>
/// The judge-distillation data (FastChat pairwise shape, labelled by the rule judge):
/// 1) answers: a folder of FastChat model_answer files, one model each;
/// 2) matches: every pair of models on every question turn that has a rule (questions without rules are skipped);
/// 3) split: question ids shuffled by seed, a share held out (no question on both sides);
/// 4) examples: each match in both orders, rendered by <see cref="LlmJudge.RenderPairwise"/> (the LLM judge's own
///    code) with every answer turn cut to a character budget, and labelled by <see cref="RuleJudge"/> on the full answers;
/// 5) SFT rows in TRL's conversational form: {"messages": [system, user, assistant = the rule's verdict text]}.
/// </summary>
public static class JudgeDistillData
{
    /// <summary>The file name a distilled judge's ONNX folder carries its judge prompts under.</summary>
    public const string PromptsFileName = "judge_prompts.jsonl";

    /// <summary>
    /// The judge prompts named by <paramref name="spec"/> and their file text: "compact" (embedded
    /// Data/judge_prompts_compact.jsonl: the built-in prompts with short pairwise system prompts), "builtin" (embedded
    /// Data/judge_prompts.jsonl) or a judge_prompts.jsonl path.
    /// </summary>
    /// <exception cref="FileNotFoundException">a path that does not exist.</exception>
    public static (JudgePrompts Prompts, string Text) LoadPrompts(string spec)
    {
        string text, source;
        if (spec is "compact" or "builtin")
        {
            source = $"builtin:{(spec == "compact" ? "judge_prompts_compact" : "judge_prompts")}.jsonl";
            using var s = typeof(JudgePrompts).Assembly.GetManifestResourceStream($"Toolkit.Evaluate.Data.{source["builtin:".Length..]}")
                ?? throw new InvalidOperationException($"{source} is missing from Toolkit.Evaluate (embedded resource)");
            using var r = new StreamReader(s);
            text = r.ReadToEnd();
        }
        else
        {
            if (!File.Exists(spec)) throw new FileNotFoundException($"--judge-prompts {spec}: no such file. HINT: compact, builtin, or a file in FastChat's judge_prompts.jsonl layout", spec);
            (source, text) = (spec, File.ReadAllText(spec));
        }
        return (JudgePrompts.Parse(source, text.Split('\n')), text);
    }

    /// <summary>Reads every *.jsonl in <paramref name="folder"/> as one model's answers, keyed by model id (the lines' model_id, else the file name).</summary>
    /// <exception cref="ArgumentException">no folder, fewer than two files, or two files with the same model id.</exception>
    public static SortedDictionary<string, Dictionary<string, AnswerRecord>> ReadAnswers(string folder)
    {
        if (!Directory.Exists(folder)) throw new ArgumentException($"--answers {folder}: no such folder. HINT: a folder of FastChat model_answer *.jsonl files, one per model (`toolkit evaluate answer --out DIR/MODEL.jsonl`)");
        var result = new SortedDictionary<string, Dictionary<string, AnswerRecord>>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder, "*.jsonl").Order(StringComparer.Ordinal))
        {
            var answers = AnswerRecord.ReadFile(file);
            var id = answers.Values.FirstOrDefault()?.ModelId is { Length: > 0 } m ? m : Path.GetFileNameWithoutExtension(file);
            if (!result.TryAdd(id, answers)) throw new ArgumentException($"{file}: model_id \"{id}\" is also the model of another file in {folder}. HINT: one file per model");
        }
        if (result.Count < 2) throw new ArgumentException($"--answers {folder}: {result.Count} model_answer file(s); a pairwise judge needs the answers of two models at least");
        return result;
    }

    /// <summary>Every (ruled turn, model pair) both models answered, in question-file order, then turn, then model pair (ordinal).</summary>
    public static List<JudgeMatch> Matches(IReadOnlyList<Question> questions, IReadOnlyDictionary<string, Dictionary<string, AnswerRecord>> answers)
    {
        var models = answers.Keys.Order(StringComparer.Ordinal).ToList();
        var list = new List<JudgeMatch>();
        foreach (var q in questions)
            for (var turn = 1; turn <= q.Turns.Count; turn++)
            {
                if (q.RuleFor(turn) is null) continue;
                for (var i = 0; i < models.Count; i++)
                    for (var j = i + 1; j < models.Count; j++)
                        if (answers[models[i]].TryGetValue(q.Id, out var a) && answers[models[j]].TryGetValue(q.Id, out var b) && a.Turns.Count >= turn && b.Turns.Count >= turn)
                            list.Add(new JudgeMatch(q, turn, models[i], a.Turns, models[j], b.Turns));
            }
        return list;
    }

    /// <summary>
    /// Splits question ids: sorted, shuffled with <c>new Random(seed)</c>, the first round(n × share) (at least 1, at most
    /// n − 1) held out. Same ids and seed → same split.
    /// </summary>
    /// <exception cref="ArgumentException">fewer than two distinct ids.</exception>
    public static (IReadOnlySet<string> Train, IReadOnlySet<string> HeldOut) Split(IEnumerable<string> questionIds, double heldOutShare, int seed)
    {
        var ids = questionIds.Distinct().Order(StringComparer.Ordinal).ToArray();
        if (ids.Length < 2) throw new ArgumentException($"{ids.Length} ruled question(s) answered by two models: a train / held-out split needs two at least. HINT: give questions with \"rules\" and answers to them");
        new Random(seed).Shuffle(ids);
        var n = Math.Clamp((int)Math.Round(ids.Length * heldOutShare), 1, ids.Length - 1);
        return (ids.Skip(n).ToHashSet(), ids.Take(n).ToHashSet());
    }

    /// <summary><paramref name="answer"/> cut to <paramref name="maxChars"/> characters (the last one "…") when longer; whole UTF-16 surrogate pairs only.</summary>
    public static string Cut(string answer, int maxChars)
    {
        if (answer.Length <= maxChars) return answer;
        var n = maxChars - 1;
        if (n > 0 && char.IsHighSurrogate(answer[n - 1])) n--;
        return answer[..n] + "…";
    }

    /// <summary>Every turn of <paramref name="turns"/> cut by <see cref="Cut"/>.</summary>
    public static IReadOnlyList<string> CutTurns(IReadOnlyList<string> turns, int maxChars) => [.. turns.Select(t => Cut(t, maxChars))];

    /// <summary>The match in both orders (game 1: model_1 as A; game 2: model_2 as A), rendered with <paramref name="prompts"/> and labelled by the rule on the full answers.</summary>
    public static IEnumerable<JudgeExample> Examples(JudgeMatch m, JudgePrompts prompts, int maxAnswerChars)
    {
        var rule = new RuleJudge();
        foreach (var swapped in new[] { false, true })
        {
            var (a, b) = swapped ? (m.Answers2, m.Answers1) : (m.Answers1, m.Answers2);
            var outcome = rule.CompareAsync(m.Question, m.Turn, a, b).GetAwaiter().GetResult()
                ?? throw new InvalidOperationException($"question {m.Question.Id} turn {m.Turn}: the rule judge does not apply, yet the turn has a rule");
            var (p, user) = LlmJudge.RenderPairwise(prompts, m.Question, m.Turn, CutTurns(a, maxAnswerChars), CutTurns(b, maxAnswerChars));
            yield return new JudgeExample(m, swapped, p.SystemPrompt, user, outcome.Judgment, outcome.Verdict!.Value);
        }
    }

    /// <summary>The example as one TRL conversational SFT row: {"messages": [system?, user, assistant]}.</summary>
    public static JsonObject SftRow(JudgeExample e)
    {
        var messages = new JsonArray();
        if (e.System.Length > 0) messages.Add(new JsonObject { ["role"] = "system", ["content"] = e.System });
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = e.User });
        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = e.Target });
        return new JsonObject { ["messages"] = messages };
    }
}
