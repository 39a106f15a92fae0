using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Evaluate.Questions;

namespace Toolkit.Evaluate.Answers;

/// <summary>
/// One line of FastChat's <c>model_answer/&lt;model_id&gt;.jsonl</c>:
/// <c>{"question_id", "answer_id", "model_id", "choices": [{"index": 0, "turns": [a1, a2]}], "tstamp"}</c>.
/// Only the first choice is used (FastChat's <c>--num-choices</c> default 1).
/// </summary>
/// <param name="QuestionId">question_id as text (see <see cref="Question.Id"/>).</param>
/// <param name="AnswerId">A unique id (32 hex characters).</param>
/// <param name="ModelId">The model's name.</param>
/// <param name="Turns">One answer per question turn, in order.</param>
/// <param name="Tstamp">Unix time in seconds when the answer was finished.</param>
public sealed record AnswerRecord(string QuestionId, string AnswerId, string ModelId, IReadOnlyList<string> Turns, double Tstamp)
{
    /// <summary>Non-ASCII text written as itself (UTF-8), so Chinese answers stay readable.</summary>
    public static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The record as one JSONL line (no newline).</summary>
    public string ToJsonLine() => new JsonObject
    {
        ["question_id"] = Question.IdNode(QuestionId),
        ["answer_id"] = AnswerId,
        ["model_id"] = ModelId,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["turns"] = new JsonArray(Turns.Select(t => (JsonNode?)t).ToArray()) }),
        ["tstamp"] = Tstamp,
    }.ToJsonString(Readable);

    /// <summary>Parses one line; <paramref name="at"/> ("file:line") names it in errors.</summary>
    /// <exception cref="FormatException">not a model_answer line.</exception>
    public static AnswerRecord Parse(string line, string at)
    {
        const string hint = "HINT: answers files are FastChat model_answer JSONL ({\"question_id\", \"model_id\", \"choices\": [{\"turns\": [...]}]}), as `evaluate answer` writes them";
        JsonObject o;
        try { o = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object"); }
        catch (Exception e) when (e is JsonException or FormatException) { throw new FormatException($"{at}: {e.Message}. {hint}"); }
        var id = o["question_id"] is JsonValue v ? (v.TryGetValue<long>(out var n) ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : v.ToString()) : throw new FormatException($"{at}: field \"question_id\" is missing. {hint}");
        var turns = (o["choices"] as JsonArray)?.FirstOrDefault()?["turns"] as JsonArray ?? throw new FormatException($"{at}: field \"choices[0].turns\" is missing. {hint}");
        return new AnswerRecord(id, o["answer_id"]?.ToString() ?? "", o["model_id"]?.ToString() ?? "",
            turns.Select((t, k) => t?.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : throw new FormatException($"{at}: field \"choices[0].turns[{k}]\" must be a string. {hint}")).ToList(),
            o["tstamp"]?.GetValueKind() == JsonValueKind.Number ? o["tstamp"]!.GetValue<double>() : 0);
    }

    /// <summary>Reads a whole answers file, keyed by question id (a later line for the same id replaces an earlier one).</summary>
    /// <exception cref="FileNotFoundException">no such file.</exception>
    public static Dictionary<string, AnswerRecord> ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such answers file. HINT: write it with `toolkit evaluate answer --out {path}`", path);
        var d = new Dictionary<string, AnswerRecord>();
        var lines = File.ReadAllLines(path);
        for (var i = 0; i < lines.Length; i++)
            if (lines[i].Trim().Length > 0) { var r = Parse(lines[i], $"{path}:{i + 1}"); d[r.QuestionId] = r; }
        return d;
    }
}
