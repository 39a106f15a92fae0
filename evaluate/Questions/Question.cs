using System.Text.Json.Nodes;

namespace Toolkit.Evaluate.Questions;

/// <summary>
/// One evaluation question in MT-Bench's <c>question.jsonl</c> layout (FastChat <c>fastchat/llm_judge</c>):
/// <c>{"question_id": 81, "category": "writing", "turns": ["…", "…"], "reference": ["…", "…"]}</c>.
/// </summary>
/// <param name="Id">question_id as text ("81"); written back as a JSON number when it is an integer.</param>
/// <param name="Category">MT-Bench category (writing, roleplay, reasoning, math, coding, extraction, stem, humanities) or any other name.</param>
/// <param name="Turns">The user turns, answered in order (turn 2 after the model's own turn-1 answer).</param>
/// <param name="Reference">Optional reference answers, one per turn (reference-guided judging); null when absent.</param>
/// <param name="Rules">Optional rule-judge checks, one per turn (<see cref="Judging.RuleCheck"/> syntax, e.g. "numeric:24"); null entries skip that turn.</param>
public sealed record Question(string Id, string Category, IReadOnlyList<string> Turns, IReadOnlyList<string>? Reference = null,
    IReadOnlyList<string?>? Rules = null)
{
    /// <summary>The categories whose judging uses a reference answer (FastChat <c>NEED_REF_CATS</c>).</summary>
    public static readonly IReadOnlySet<string> NeedRefCategories = new HashSet<string> { "math", "reasoning", "coding", "arena-hard-200" };

    /// <summary>The reference for turn <paramref name="turn"/> (1-based), or null.</summary>
    public string? ReferenceFor(int turn) => Reference is { } r && turn <= r.Count && !string.IsNullOrEmpty(r[turn - 1]) ? r[turn - 1] : null;

    /// <summary>The rule for turn <paramref name="turn"/> (1-based), or null.</summary>
    public string? RuleFor(int turn) => Rules is { } r && turn <= r.Count ? r[turn - 1] : null;

    /// <summary>question_id as JSON: a number when <see cref="Id"/> is an integer (as FastChat writes it), else a string.</summary>
    public static JsonNode IdNode(string id) => long.TryParse(id, out var n) ? JsonValue.Create(n) : JsonValue.Create(id);

    /// <summary>The question as one <c>question.jsonl</c> line.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["question_id"] = IdNode(Id), ["category"] = Category, ["turns"] = new JsonArray(Turns.Select(t => (JsonNode?)t).ToArray()) };
        if (Reference is not null) o["reference"] = new JsonArray(Reference.Select(t => (JsonNode?)t).ToArray());
        if (Rules is not null) o["rules"] = new JsonArray(Rules.Select(t => (JsonNode?)t).ToArray());
        return o;
    }
}
