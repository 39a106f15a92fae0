using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Toolkit.Evaluate.Judging;

/// <summary>
/// One line of FastChat's <c>data/judge_prompts.jsonl</c>: <c>name</c>, <c>type</c> ("pairwise" | "single"),
/// <c>system_prompt</c>, <c>prompt_template</c> (placeholders <c>{question}</c>, <c>{answer}</c>, <c>{answer_a}</c>,
/// <c>{answer_b}</c>, <c>{question_1}</c>, <c>{question_2}</c>, <c>{answer_1}</c>, <c>{answer_2}</c>, <c>{answer_a_1}</c>, …,
/// <c>{ref_answer_1}</c>, <c>{ref_answer_2}</c>), <c>description</c>, <c>category</c> ("general" | "math"), <c>output_format</c>.
/// </summary>
public sealed record JudgePrompt(string Name, bool Pairwise, string SystemPrompt, string PromptTemplate, string Category, string OutputFormat)
{
    /// <summary>True for reference-guided prompts (FastChat's "math" category).</summary>
    public bool UsesReference => PromptTemplate.Contains("{ref_answer_1}", StringComparison.Ordinal);

    /// <summary>True for prompts that show the whole two-turn conversation and judge turn 2.</summary>
    public bool MultiTurn => PromptTemplate.Contains("{question_2}", StringComparison.Ordinal);

    /// <summary>Fills the template's placeholders (Python <c>str.format</c> keys, as FastChat uses them).</summary>
    public string Fill(IReadOnlyDictionary<string, string> values)
    {
        var s = PromptTemplate;
        foreach (var (k, v) in values) s = s.Replace("{" + k + "}", v, StringComparison.Ordinal);
        return s;
    }
}

/// <summary>
/// A set of judge prompts: the default file written for this project (embedded Data/judge_prompts.jsonl, FastChat's
/// names and layout: pair-v2, pair-v2-multi-turn, pair-math-v1, pair-math-v1-multi-turn, single-v1, single-math-v1,
/// single-v1-multi-turn, single-math-v1-multi-turn), or a user's file in the same layout, FastChat's own included.
/// </summary>
public sealed class JudgePrompts
{
    readonly Dictionary<string, JudgePrompt> _byName;

    JudgePrompts(Dictionary<string, JudgePrompt> byName, string source)
    {
        _byName = byName;
        Source = source;
    }

    /// <summary>Where the prompts came from (a path or "builtin").</summary>
    public string Source { get; }

    /// <summary>All prompts by name.</summary>
    public IReadOnlyDictionary<string, JudgePrompt> ByName => _byName;

    /// <summary>The embedded default set.</summary>
    public static JudgePrompts BuiltIn()
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Toolkit.Evaluate.Data.judge_prompts.jsonl")
            ?? throw new InvalidOperationException("the built-in judge prompts are missing from Toolkit.Evaluate (embedded resource Data/judge_prompts.jsonl)");
        using var r = new StreamReader(s);
        return Parse("builtin:judge_prompts.jsonl", r.ReadToEnd().Split('\n'));
    }

    /// <summary>Loads a judge_prompts.jsonl file, or the built-in set when <paramref name="path"/> is null or "builtin".</summary>
    public static JudgePrompts Load(string? path) =>
        path is null or "builtin" ? BuiltIn()
        : File.Exists(path) ? Parse(path, File.ReadAllLines(path))
        : throw new FileNotFoundException($"{path}: no such judge prompts file. HINT: pass FastChat's data/judge_prompts.jsonl or leave --judge-prompts out for the built-in set", path);

    /// <summary>Parses judge_prompts.jsonl lines; errors name file:line and field.</summary>
    public static JudgePrompts Parse(string file, IReadOnlyList<string> lines)
    {
        var d = new Dictionary<string, JudgePrompt>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            var at = $"{file}:{i + 1}";
            JsonObject o;
            try { o = JsonNode.Parse(lines[i]) as JsonObject ?? throw new FormatException("not a JSON object"); }
            catch (Exception e) when (e is JsonException or FormatException) { throw new FormatException($"{at}: {e.Message}. HINT: one FastChat judge prompt object per line"); }
            string Field(string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s
                : throw new FormatException($"{at}: field \"{name}\" is missing or not a string. HINT: FastChat's judge_prompts.jsonl layout has name, type, system_prompt, prompt_template, category, output_format");
            var type = Field("type");
            if (type is not ("pairwise" or "single")) throw new FormatException($"{at}: field \"type\" is \"{type}\"; it must be \"pairwise\" or \"single\"");
            var p = new JudgePrompt(Field("name"), type == "pairwise", Field("system_prompt"), Field("prompt_template"),
                o["category"]?.ToString() ?? "general", o["output_format"]?.ToString() ?? (type == "pairwise" ? "[[A]]" : "[[rating]]"));
            d[p.Name] = p;
        }
        return new JudgePrompts(d, file);
    }

    /// <summary>
    /// The prompt FastChat uses for a match: pairwise or single, reference-guided when the category needs a reference
    /// and one exists, multi-turn for turn 2. Names: <c>pair-v2</c> / <c>pair-math-v1</c> / <c>single-v1</c> /
    /// <c>single-math-v1</c>, plus <c>-multi-turn</c>.
    /// </summary>
    /// <exception cref="KeyNotFoundException">the set lacks that prompt (the message names it and the file).</exception>
    public JudgePrompt Select(bool pairwise, bool reference, bool multiTurn)
    {
        var name = (pairwise, reference) switch
        {
            (true, false) => "pair-v2", (true, true) => "pair-math-v1", (false, false) => "single-v1", (false, true) => "single-math-v1",
        } + (multiTurn ? "-multi-turn" : "");
        return _byName.TryGetValue(name, out var p) ? p
            : throw new KeyNotFoundException($"{Source}: no judge prompt named \"{name}\". HINT: the file needs FastChat's eight prompt names (pair-v2, pair-math-v1, single-v1, single-math-v1 and their -multi-turn forms)");
    }
}
