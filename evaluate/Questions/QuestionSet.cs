using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using CsvHelper.Configuration;

namespace Toolkit.Evaluate.Questions;

/// <summary>
/// Reads evaluation questions. Accepted inputs:
/// <list type="bullet">
/// <item><c>builtin</c>: the bilingual (English / Chinese) set embedded in this assembly, written for this project
/// (eight MT-Bench categories, two turns each, references for math / reasoning / coding, rule checks where an answer is verifiable).</item>
/// <item><c>.jsonl</c>: MT-Bench <c>question.jsonl</c> lines (<c>question_id</c>, <c>category</c>, <c>turns</c>, optional
/// <c>reference</c>, <c>rules</c>), or plain prompt lines <c>{"prompt": "…"}</c> / <c>{"instruction": "…"}</c> (AlpacaEval),
/// each with an optional <c>id</c> / <c>question_id</c> and <c>category</c>.</item>
/// <item><c>.csv</c> with a header: <c>prompt</c> (or <c>turn_1</c>, <c>turn_2</c>, …), optional <c>question_id</c>, <c>category</c>,
/// <c>reference</c> (or <c>reference_1</c>, …).</item>
/// </list>
/// Errors name the file, line and field, and say what to write instead. Question ids must be unique.
/// </summary>
public static class QuestionSet
{
    /// <summary>The name that selects the embedded set.</summary>
    public const string BuiltIn = "builtin";

    /// <summary>Default category for prompt lists without one (FastChat's default temperature 0.7 applies).</summary>
    public const string DefaultCategory = "general";

    /// <summary>Loads <paramref name="source"/> (a path, or <see cref="BuiltIn"/>).</summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="FormatException">a row is malformed: the message names file:line and the field.</exception>
    public static IReadOnlyList<Question> Load(string source)
    {
        if (source == BuiltIn) return LoadBuiltIn();
        if (!File.Exists(source)) throw new FileNotFoundException($"{source}: no such questions file. HINT: pass a question.jsonl, a .csv with a prompt column, or '{BuiltIn}'", source);
        var list = Path.GetExtension(source).Equals(".csv", StringComparison.OrdinalIgnoreCase)
            ? ReadCsv(source, File.ReadAllText(source))
            : ReadJsonl(source, File.ReadAllLines(source));
        return CheckUnique(source, list);
    }

    /// <summary>The embedded bilingual set.</summary>
    public static IReadOnlyList<Question> LoadBuiltIn()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Toolkit.Evaluate.Data.questions.jsonl")
            ?? throw new InvalidOperationException("the built-in question set is missing from Toolkit.Evaluate (embedded resource Data/questions.jsonl)");
        using var r = new StreamReader(s);
        return CheckUnique("builtin:questions.jsonl", ReadJsonl("builtin:questions.jsonl", r.ReadToEnd().Split('\n')));
    }

    /// <summary>Parses JSONL lines; <paramref name="file"/> names the source in errors.</summary>
    public static List<Question> ReadJsonl(string file, IReadOnlyList<string> lines)
    {
        const string hint = "HINT: each line is {\"question_id\": 1, \"category\": \"math\", \"turns\": [\"…\"]} or {\"prompt\": \"…\"}";
        var list = new List<Question>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0) continue;
            var at = $"{file}:{i + 1}";
            JsonObject o;
            try { o = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object"); }
            catch (Exception e) when (e is JsonException or FormatException) { throw new FormatException($"{at}: {e.Message}. {hint}"); }
            var id = Text(o["question_id"] ?? o["id"], at, "question_id") ?? (list.Count + 1).ToString(CultureInfo.InvariantCulture);
            var category = Text(o["category"], at, "category") ?? DefaultCategory;
            IReadOnlyList<string> turns;
            if (o["turns"] is JsonNode t) turns = Strings(t, at, "turns") is { Count: > 0 } ts ? ts : throw new FormatException($"{at}: field \"turns\" is empty. {hint}");
            else if ((Text(o["prompt"], at, "prompt") ?? Text(o["instruction"], at, "instruction")) is { } p) turns = [p];
            else throw new FormatException($"{at}: no \"turns\" list and no \"prompt\" / \"instruction\" string. {hint}");
            var reference = o["reference"] is JsonNode rn ? (rn is JsonValue ? [Text(rn, at, "reference")!] : Strings(rn, at, "reference")) : null;
            var rules = o["rules"] is JsonArray ra ? ra.Select((x, k) => x is null ? null : Text(x, at, $"rules[{k}]")).ToList() : null;
            if (o["rules"] is { } rr && rr is not JsonArray) throw new FormatException($"{at}: field \"rules\" must be a list (one rule or null per turn), e.g. [\"numeric:24\", null]");
            if (rules is not null)
                foreach (var (rule, k) in rules.Select((r, k) => (r, k)))
                    if (rule is not null && Judging.RuleCheck.TryParse(rule, out _) is { } err) throw new FormatException($"{at}: field \"rules[{k}]\": {err}");
            list.Add(new Question(id, category, turns, reference, rules));
        }
        return list;
    }

    /// <summary>Parses CSV text with a header row.</summary>
    public static List<Question> ReadCsv(string file, string text)
    {
        using var csv = new CsvReader(new StringReader(text), new CsvConfiguration(CultureInfo.InvariantCulture) { DetectDelimiter = false, TrimOptions = TrimOptions.None });
        if (!csv.Read() || !csv.ReadHeader()) throw new FormatException($"{file}:1: empty file. HINT: the first row names the columns, e.g. question_id,category,prompt");
        var header = csv.HeaderRecord!.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        int Col(string name) => Array.IndexOf(header, name);
        var turnCols = new List<int>();
        if (Col("prompt") is >= 0 and var pc) turnCols.Add(pc);
        for (var k = 1; Col($"turn_{k}") is >= 0 and var c; k++) turnCols.Add(c);
        if (turnCols.Count == 0) throw new FormatException($"{file}:1: no \"prompt\" or \"turn_1\" column (columns: {string.Join(", ", header)}). HINT: name the prompt column \"prompt\"");
        var refCols = new List<int>();
        if (Col("reference") is >= 0 and var rc) refCols.Add(rc);
        for (var k = 1; Col($"reference_{k}") is >= 0 and var c; k++) refCols.Add(c);
        var list = new List<Question>();
        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            var at = $"{file}:{line}";
            string Field(int c) => c < csv.Parser.Count ? csv.GetField(c) ?? "" : "";
            var turns = turnCols.Select(Field).TakeWhile(t => t.Length > 0).ToList();
            if (turns.Count == 0) throw new FormatException($"{at}: field \"{header[turnCols[0]]}\" is empty. HINT: every row needs a prompt");
            var id = Col("question_id") is >= 0 and var ic && Field(ic) is { Length: > 0 } s ? s : (list.Count + 1).ToString(CultureInfo.InvariantCulture);
            var category = Col("category") is >= 0 and var cc && Field(cc) is { Length: > 0 } cat ? cat : DefaultCategory;
            var refs = refCols.Select(Field).ToList();
            list.Add(new Question(id, category, turns, refs.Any(r => r.Length > 0) ? refs : null));
        }
        return list;
    }

    static List<Question> CheckUnique(string file, List<Question> list)
    {
        var seen = new HashSet<string>();
        foreach (var q in list)
            if (!seen.Add(q.Id)) throw new FormatException($"{file}: question_id {q.Id} appears twice. HINT: question ids must be unique (answers and judgments are keyed by them)");
        return list;
    }

    static string? Text(JsonNode? n, string at, string field) => n switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(CultureInfo.InvariantCulture),
        _ => throw new FormatException($"{at}: field \"{field}\" must be a string (got {n.ToJsonString()})"),
    };

    static List<string> Strings(JsonNode n, string at, string field) =>
        n is JsonArray a
            ? a.Select((x, k) => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"{at}: field \"{field}[{k}]\" must be a string (got {x?.ToJsonString() ?? "null"})")).ToList()
            : throw new FormatException($"{at}: field \"{field}\" must be a list of strings (got {n.ToJsonString()})");
}
