using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Toolkit.Core.Templates;
using T = Toolkit.Train.Data.Synthetic.SyntheticTexts;

namespace Toolkit.Train.Data.Synthetic;

/// <summary>Sizes and rates of <see cref="SyntheticTask"/>. Defaults are sized for a ~4M-parameter model trained for minutes on CPU.</summary>
public sealed record SyntheticOptions
{
    /// <summary>Seed of everything generated. Default 1234.</summary>
    public ulong Seed { get; init; } = 1234;

    /// <summary>SFT conversations. Default 2000.</summary>
    public int SftCount { get; init; } = 2000;

    /// <summary>Preference pairs. Default 2000.</summary>
    public int PairCount { get; init; } = 2000;

    /// <summary>Held-out prompts (never used in SFT or pairs). Default 200.</summary>
    public int HeldOutCount { get; init; } = 200;

    /// <summary>Share of SFT answers that are good; the rest carry a flaw, so the SFT model's behaviour is mixed. Default 0.5.</summary>
    public double SftGoodRate { get; init; } = 0.5;

    /// <summary>Share of prompts that are harmful requests. Default 0.1.</summary>
    public double HarmfulRate { get; init; } = 0.1;

    /// <summary>Share of prompts in Chinese. Default 0.5.</summary>
    public double ChineseRate { get; init; } = 0.5;
}

/// <summary>
/// A deterministic bilingual (English / Chinese) assistant task whose preferences a rule verifies:
/// small arithmetic (+, −, ×), comparisons, letter counting and unit facts, each asking for a format ("Answer with the
/// number only." / "只用数字回答。" or "Answer in one sentence." / "用一句话回答。"), plus clearly harmful requests that
/// must be refused. A good answer is correct, in the requested format and in the prompt's language; a harmful request
/// must get a refusal in its language. <see cref="Judge"/> is that rule; it reads everything from the prompt text.
///
/// Outputs: SFT conversations with mixed behaviour (<see cref="SyntheticOptions.SftGoodRate"/> good, the rest wrong /
/// wrong-language / wrong-format / over-refusing / complying), preference pairs (chosen = good, rejected = a flawed
/// answer), held-out prompts disjoint from both (prompts are partitioned by a hash of their text), and a text corpus for
/// training the tokenizer. Same options → same outputs, on every machine.
/// </summary>
public sealed class SyntheticTask(SyntheticOptions? options = null)
{
    /// <summary>The options in use.</summary>
    public SyntheticOptions Options { get; } = options ?? new SyntheticOptions();

    const int HeldOutBuckets = 7;   // prompts with FNV-1a(text) % 7 == 0 are held out

    /// <summary>True for prompts reserved for the held-out set.</summary>
    public static bool IsHeldOut(string prompt) => Fnv1a(prompt) % HeldOutBuckets == 0;

    /// <summary>The rule: is <paramref name="answer"/> a good answer to <paramref name="prompt"/> (a prompt of this task)?</summary>
    public static bool Judge(string prompt, string answer)
    {
        var q = T.Read(prompt) ?? throw new ArgumentException($"'{prompt}' is not a prompt of the synthetic task", nameof(prompt));
        return Check(q, answer);
    }

    static bool Check(SyntheticQuestion q, string answer)
    {
        answer = answer.Trim();
        var chinese = T.HasChinese(answer);
        if (q.Format == AnswerFormat.Refusal)
            return q.Chinese ? chinese && answer.Contains("不能帮") : !chinese && answer.Contains("can't help", StringComparison.OrdinalIgnoreCase);
        if (q.Format == AnswerFormat.NumberOnly) return answer == q.Expected!.Value.ToString();
        var numbers = Regex.Matches(answer, @"\d+").Select(m => m.Value).ToArray();
        var languageOk = q.Chinese ? chinese : !chinese && answer.Any(char.IsAsciiLetter);
        return languageOk && numbers.Length == 1 && numbers[0] == q.Expected!.Value.ToString() && !Regex.IsMatch(answer, @"^\d+$");
    }

    /// <summary>
    /// The rule split into its criteria, to see which behaviour a model has learnt: the asked language (n/a, so true, for
    /// number-only answers), the asked format (number only, one sentence, or a refusal exactly where one is due) and the
    /// right number (for harmful requests: refused). <see cref="AnswerGrade.Good"/> agrees with <see cref="Judge"/>.
    /// </summary>
    public static AnswerGrade GradeAnswer(string prompt, string answer)
    {
        var q = T.Read(prompt) ?? throw new ArgumentException($"'{prompt}' is not a prompt of the synthetic task", nameof(prompt));
        answer = answer.Trim();
        var chinese = T.HasChinese(answer);
        var refused = answer.Contains("不能帮") || answer.Contains("can't help", StringComparison.OrdinalIgnoreCase);
        var digitsOnly = Regex.IsMatch(answer, @"^\d+$");
        var language = q.Format == AnswerFormat.NumberOnly || (q.Chinese ? chinese : !chinese && answer.Any(char.IsAsciiLetter));
        var format = q.Format switch
        {
            AnswerFormat.Refusal => refused,
            AnswerFormat.NumberOnly => digitsOnly,
            _ => !refused && !digitsOnly,
        };
        var numbers = Regex.Matches(answer, @"\d+").Select(m => m.Value).ToArray();
        var correct = q.Format == AnswerFormat.Refusal ? refused : numbers.Length == 1 && numbers[0] == q.Expected!.Value.ToString();
        return new AnswerGrade(language, format, correct, Check(q, answer));
    }

    /// <summary>Reads a prompt of this task back into its question (kind, language, format, expected number), or null.</summary>
    public static SyntheticQuestion? Parse(string prompt) => T.Read(prompt);

    /// <summary>True when <paramref name="text"/> holds a CJK ideograph (the judge's language test).</summary>
    public static bool ContainsChinese(string text) => T.HasChinese(text);

    /// <summary>The good answer to <paramref name="q"/>.</summary>
    public static string GoodAnswer(SyntheticQuestion q) => Answer(q, Flaw.None, new SyntheticRandom(0));

    /// <summary>An answer with <paramref name="flaw"/> (flaws that do not apply fall back to a wrong answer or compliance).</summary>
    public static string Answer(SyntheticQuestion q, Flaw flaw, SyntheticRandom rng)
    {
        if (q.Format == AnswerFormat.Refusal)
            return flaw switch
            {
                Flaw.None => T.Refusal(q.Chinese),
                Flaw.WrongLanguage => T.Refusal(!q.Chinese),
                _ => q.Chinese ? T.ZhCompliance : T.EnCompliance,
            };
        var n = q.Expected!.Value;
        string Formatted(int value, AnswerFormat f, bool chinese) => f == AnswerFormat.NumberOnly ? value.ToString() : T.Sentence(value, chinese);
        var other = q.Format == AnswerFormat.NumberOnly ? AnswerFormat.Sentence : AnswerFormat.NumberOnly;
        return flaw switch
        {
            Flaw.None => Formatted(n, q.Format, q.Chinese),
            Flaw.WrongLanguage when q.Format == AnswerFormat.Sentence => T.Sentence(n, !q.Chinese),
            Flaw.WrongLanguage or Flaw.WrongFormat => Formatted(n, other, q.Chinese),
            Flaw.OverRefusal => T.Refusal(q.Chinese),
            _ => Formatted(WrongNumber(n, rng), q.Format, q.Chinese),
        };
    }

    static int WrongNumber(int n, SyntheticRandom rng)
    {
        int m;
        do m = n + rng.Next(7) - 3; while (m == n || m < 0);
        return m;
    }

    /// <summary>A random question (any partition).</summary>
    public SyntheticQuestion Sample(SyntheticRandom rng)
    {
        var chinese = rng.NextDouble() < Options.ChineseRate;
        if (rng.NextDouble() < Options.HarmfulRate)
        {
            var h = T.Harmful[rng.Next(T.Harmful.Length)];
            return new SyntheticQuestion(chinese ? h.Zh : h.En, chinese, QuestionKind.Harmful, AnswerFormat.Refusal, null);
        }
        var format = rng.Next(2) == 0 ? AnswerFormat.NumberOnly : AnswerFormat.Sentence;
        var suffix = (chinese, format) switch
        {
            (false, AnswerFormat.NumberOnly) => T.EnNumberOnly,
            (false, _) => T.EnSentence,
            (true, AnswerFormat.NumberOnly) => T.ZhNumberOnly,
            _ => T.ZhSentence,
        };
        var kind = rng.Next(T.Templates.Length + 1);
        string question;
        if (kind == T.Templates.Length)
        {
            var u = T.Units[rng.Next(T.Units.Length)];
            question = chinese ? u.Zh : u.En;
        }
        else
        {
            var t = T.Templates[kind];
            var template = chinese ? t.Zh : t.En;
            var (a, b) = t.Kind switch
            {
                QuestionKind.Multiply => (1 + rng.Next(9), 1 + rng.Next(9)),
                QuestionKind.Subtract => Ordered(rng.Next(21), rng.Next(21)),
                QuestionKind.Compare => Distinct(rng),
                _ => (rng.Next(21), rng.Next(21)),
            };
            question = t.Kind == QuestionKind.Count ? string.Format(template, T.Words[rng.Next(T.Words.Length)])
                : string.Format(template, a, b);
        }
        return T.Read(question + suffix)!;
    }

    static (int, int) Ordered(int a, int b) => a >= b ? (a, b) : (b, a);

    static (int, int) Distinct(SyntheticRandom rng)
    {
        var a = rng.Next(100);
        int b;
        do b = rng.Next(100); while (b == a);
        return (a, b);
    }

    IEnumerable<SyntheticQuestion> Stream(ulong stream, bool heldOut)
    {
        var rng = new SyntheticRandom(Options.Seed * 1000003 + stream);
        while (true)
        {
            var q = Sample(rng);
            if (IsHeldOut(q.Prompt) == heldOut) yield return q;
        }
    }

    Flaw RandomFlaw(SyntheticQuestion q, SyntheticRandom rng) => q.Format == AnswerFormat.Refusal
        ? (rng.Next(3) == 0 ? Flaw.WrongLanguage : Flaw.Compliance)
        : (Flaw)(1 + rng.Next(4));   // WrongAnswer, WrongLanguage, WrongFormat, OverRefusal

    /// <summary>SFT conversations [user, assistant]; about <see cref="SyntheticOptions.SftGoodRate"/> of the answers are good.</summary>
    public List<SftRow> SftRows()
    {
        var rng = new SyntheticRandom(Options.Seed * 1000003 + 11);
        return Stream(1, false).Take(Options.SftCount).Select((q, i) =>
        {
            var flaw = rng.NextDouble() < Options.SftGoodRate ? Flaw.None : RandomFlaw(q, rng);
            return new SftRow(new RowOrigin("synthetic:sft", i + 1), null,
                Segment.FromMessages([ChatMessage.User(q.Prompt), ChatMessage.Assistant(Answer(q, flaw, rng))]));
        }).ToList();
    }

    /// <summary>Preference pairs: prompt [user], chosen = the good answer, rejected = a flawed one.</summary>
    public List<PreferenceRow> PreferenceRows()
    {
        var rng = new SyntheticRandom(Options.Seed * 1000003 + 12);
        return Stream(2, false).Take(Options.PairCount).Select((q, i) => new PreferenceRow(new RowOrigin("synthetic:pairs", i + 1),
            Segment.FromMessages([ChatMessage.User(q.Prompt)]),
            Segment.FromMessages([ChatMessage.Assistant(GoodAnswer(q))]),
            Segment.FromMessages([ChatMessage.Assistant(Answer(q, RandomFlaw(q, rng), rng))]))).ToList();
    }

    /// <summary>Held-out prompts (distinct), none of which occurs in <see cref="SftRows"/> or <see cref="PreferenceRows"/>.</summary>
    public List<SyntheticQuestion> HeldOut()
    {
        var seen = new HashSet<string>();
        return Stream(3, true).Where(q => seen.Add(q.Prompt)).Take(Options.HeldOutCount).ToList();
    }

    /// <summary>Preference pairs on the held-out prompts (for held-out reward accuracy): chosen good, rejected flawed.</summary>
    public List<PreferenceRow> HeldOutPairs()
    {
        var rng = new SyntheticRandom(Options.Seed * 1000003 + 14);
        return HeldOut().Select((q, i) => new PreferenceRow(new RowOrigin("synthetic:heldout-pairs", i + 1),
            Segment.FromMessages([ChatMessage.User(q.Prompt)]),
            Segment.FromMessages([ChatMessage.Assistant(GoodAnswer(q))]),
            Segment.FromMessages([ChatMessage.Assistant(Answer(q, RandomFlaw(q, rng), rng))]))).ToList();
    }

    /// <summary>Lines for training the tokenizer: prompts and every kind of answer, in both languages.</summary>
    public List<string> TokenizerCorpus(int lines = 4000)
    {
        var rng = new SyntheticRandom(Options.Seed * 1000003 + 13);
        var result = new List<string>(lines);
        foreach (var q in Stream(4, false).Take(lines / 2))
        {
            result.Add(q.Prompt);
            result.Add(Answer(q, (Flaw)rng.Next(6), rng));
        }
        result.AddRange([T.EnRefusal, T.ZhRefusal, T.EnCompliance, T.ZhCompliance, "system", "user", "assistant"]);
        return result;
    }

    /// <summary>
    /// Writes into <paramref name="folder"/>: sft.jsonl ({messages}), pairs.jsonl and heldout_pairs.jsonl (conversational
    /// {prompt, chosen, rejected}; both read back with <see cref="DataReader"/>), heldout.jsonl (the held-out prompts in
    /// MT-Bench's question.jsonl layout: {question_id, category, turns: [prompt]}) and corpus.txt (tokenizer corpus).
    /// </summary>
    public void WriteFiles(string folder)
    {
        Directory.CreateDirectory(folder);
        static JsonArray Msgs(Segment s) => [.. s.Messages!.Select(m => (JsonNode)m.ToJson())];
        static IEnumerable<JsonObject> Pairs(IEnumerable<PreferenceRow> rows) => rows.Select(r => new JsonObject
        {
            ["prompt"] = Msgs(r.Prompt), ["chosen"] = Msgs(r.Chosen), ["rejected"] = Msgs(r.Rejected),
        });
        Write(Path.Combine(folder, "sft.jsonl"), SftRows().Select(r => new JsonObject { ["messages"] = Msgs(r.Completion) }));
        Write(Path.Combine(folder, "pairs.jsonl"), Pairs(PreferenceRows()));
        Write(Path.Combine(folder, "heldout_pairs.jsonl"), Pairs(HeldOutPairs()));
        Write(Path.Combine(folder, "heldout.jsonl"), HeldOut().Select((q, i) => new JsonObject
        {
            ["question_id"] = i + 1, ["category"] = q.Kind.ToString().ToLowerInvariant(), ["turns"] = new JsonArray(q.Prompt),
        }));
        Toolkit.Core.Checkpoints.AtomicFile.WriteAllLines(Path.Combine(folder, "corpus.txt"), TokenizerCorpus());
    }

    static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static void Write(string path, IEnumerable<JsonObject> rows) =>
        Toolkit.Core.Checkpoints.AtomicFile.WriteAllLines(path, rows.Select(r => r.ToJsonString(Compact)));

    static uint Fnv1a(string s)
    {
        var h = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(s)) h = (h ^ b) * 16777619u;
        return h;
    }
}

/// <summary>One answer graded per criterion by <see cref="SyntheticTask.GradeAnswer"/>; <paramref name="Good"/> is the whole rule (<see cref="SyntheticTask.Judge"/>).</summary>
public sealed record AnswerGrade(bool Language, bool Format, bool Correct, bool Good);
