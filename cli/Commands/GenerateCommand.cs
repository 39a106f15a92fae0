using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Runtime.Generation;

namespace Toolkit.Cli.Commands;

/// <summary>
/// `toolkit generate --model DIR (--prompt TEXT ... | --prompts FILE.jsonl) [--out answers.jsonl] [search options]`:
/// answers from ONNX Runtime, one JSON line per prompt in FastChat's model_answer layout (question_id, answer_id,
/// model_id, choices[0].turns[0], tstamp) plus prompt, finish_reason and token counts. --out is written atomically.
/// Input JSONL lines: {"prompt": ...}, or MT-Bench's {"question_id": ..., "turns": [one turn]}; a line with several turns is refused (`evaluate answer` answers those).
/// </summary>
static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "ONNX Runtime GenAI model folder (genai_config.json, model.onnx, tokenizer files).", Required = true };
        var prompt = new Option<string[]>("--prompt") { Description = "A prompt (repeat for several).", AllowMultipleArgumentsPerToken = false };
        var prompts = new Option<string?>("--prompts") { Description = "JSONL file of prompts: {\"prompt\": ...} or {\"question_id\": ..., \"turns\": [...]} per line." };
        var output = new Option<string?>("--out") { Description = "Write the answers here (JSONL, atomically) instead of stdout." };
        var raw = new Option<bool>("--raw") { Description = "Encode prompts as plain text (with the tokenizer's BOS) instead of one user turn of the folder's chat template." };
        var system = new Option<string?>("--system") { Description = "A system message before each prompt (chat template only)." };
        var batch = new Option<int>("--batch-size") { Description = "Prompts generated together (padded batch).", DefaultValueFactory = _ => 1 };
        var search = new SearchOptionArgs();
        var command = new Command("generate", "Generate answers with ONNX Runtime from prompts given as arguments or in a JSONL file.")
        {
            model, prompt, prompts, output, raw, system, batch,
        };
        search.AddTo(command);
        command.SetAction(parse =>
        {
            var items = ReadPrompts(parse.GetValue(prompt) ?? [], parse.GetValue(prompts));
            if (items.Count == 0) throw new ArgumentException("no prompts. HINT: pass --prompt TEXT (repeatable) or --prompts FILE.jsonl");
            using var m = new Model(parse.GetValue(model)!, search.Threads(parse));
            var options = new GenerationOptions
            {
                Search = search.Overrides(parse), StopStrings = search.Stops(parse), ChatTemplate = parse.GetValue(raw) ? false : null,
                SystemPrompt = parse.GetValue(system), BatchSize = parse.GetValue(batch),
            };
            var results = m.Generate(items.Select(i => i.Prompt).ToArray(), options);
            var modelId = Path.GetFileName(m.Folder.TrimEnd('/'));
            var lines = items.Zip(results, (item, r) => Answer(item.Id, modelId, r)).ToList();
            if (parse.GetValue(output) is { } path) WriteAtomic(path, lines);
            else foreach (var l in lines) Console.WriteLine(l);
            return 0;
        });
        return command;
    }

    static string Answer(JsonNode? id, string modelId, GenerationResult r) => new JsonObject
    {
        ["question_id"] = id?.DeepClone(),
        ["answer_id"] = Guid.NewGuid().ToString("N"),
        ["model_id"] = modelId,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["turns"] = new JsonArray(r.Text) }),
        ["tstamp"] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0,
        ["prompt"] = r.Prompt,
        ["finish_reason"] = r.Finish == FinishReason.Length ? "length" : "stop",
        ["prompt_tokens"] = r.PromptTokens,
        ["completion_tokens"] = r.Tokens.Length,
    }.ToJsonString(Readable);

    /// <summary>Non-ASCII text written as itself (UTF-8), not as \uXXXX escapes: answers stay readable in the file.</summary>
    static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    static List<(JsonNode? Id, string Prompt)> ReadPrompts(string[] args, string? file)
    {
        var items = args.Select((p, i) => ((JsonNode?)JsonValue.Create(i + 1), p)).ToList();
        if (file is null) return items;
        var lineNo = 0;
        foreach (var line in File.ReadLines(file))
        {
            lineNo++;
            if (line.Trim().Length == 0) continue;
            JsonObject o;
            try { o = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object"); }
            catch (Exception e) when (e is JsonException or FormatException)
            {
                throw new FormatException($"{file}:{lineNo}: {e.Message}. HINT: each line is {{\"prompt\": \"...\"}} or {{\"question_id\": 1, \"turns\": [\"...\"]}}");
            }
            if (o["turns"] is JsonArray { Count: > 1 } many)
                throw new FormatException($"{file}:{lineNo}: field \"turns\" has {many.Count} turns, and `generate` answers one prompt per line. HINT: answer multi-turn (MT-Bench) questions turn by turn with `toolkit evaluate answer --model DIR --questions {file} --out answers/NAME.jsonl`");
            var text = o["prompt"]?.GetValue<string>() ?? (o["turns"] as JsonArray)?.FirstOrDefault()?.GetValue<string>()
                ?? throw new FormatException($"{file}:{lineNo}: no \"prompt\" string and no \"turns\" list. HINT: each line is {{\"prompt\": \"...\"}} or {{\"question_id\": 1, \"turns\": [\"...\"]}}");
            items.Add((o["question_id"] ?? o["id"] ?? JsonValue.Create(items.Count + 1), text));
        }
        return items;
    }

    static void WriteAtomic(string path, IEnumerable<string> lines)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = $"{full}.{Environment.ProcessId}.tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, full, overwrite: true);
    }
}

/// <summary>The search options both `generate` and `chat` take; help texts say what SearchOptions documents.</summary>
sealed class SearchOptionArgs
{
    readonly Option<int?> _maxLength = new("--max-length") { Description = "max_length: prompt + generated tokens (default: genai_config.json's, else the context length)." };
    readonly Option<int?> _maxNew = new("--max-new-tokens") { Description = "Generated tokens at most per answer (default 256).", DefaultValueFactory = _ => 256 };
    readonly Option<int?> _minLength = new("--min-length") { Description = "min_length: EOS is blocked until prompt + generated reaches it." };
    readonly Option<bool?> _sample = new("--do-sample") { Description = "Sample (temperature, top-k, top-p) instead of greedy decoding." };
    readonly Option<double?> _temperature = new("--temperature") { Description = "Divide logits by this before the softmax when sampling (> 0)." };
    readonly Option<int?> _topK = new("--top-k") { Description = "Sample among the k most likely tokens (0 = off, 1 = greedy)." };
    readonly Option<double?> _topP = new("--top-p") { Description = "Nucleus sampling: keep tokens until their probability sums to p (0..1; 0 or 1 = off)." };
    readonly Option<double?> _penalty = new("--repetition-penalty") { Description = "Penalize tokens already in the sequence (> 0; 1 = off)." };
    readonly Option<long?> _seed = new("--seed") { Description = "random_seed: the same seed reproduces the same samples." };
    readonly Option<string[]> _stop = new("--stop") { Description = "Stop when the answer's text contains this string (repeatable); the answer ends before it." };
    readonly Option<int?> _threads = new("--threads") { Description = "ONNX Runtime intra-op threads (default: genai_config.json's, else one per core)." };

    public void AddTo(Command c)
    {
        foreach (var o in new Option[] { _maxLength, _maxNew, _minLength, _sample, _temperature, _topK, _topP, _penalty, _seed, _stop, _threads })
            c.Options.Add(o);
    }

    public int? Threads(ParseResult p) => p.GetValue(_threads);

    public IReadOnlyList<string> Stops(ParseResult p) => p.GetValue(_stop) ?? [];

    /// <summary>The options given, by ORT-GenAI search option name.</summary>
    public Dictionary<string, double> Overrides(ParseResult p)
    {
        var d = new Dictionary<string, double>();
        void Set(string name, double? v) { if (v is { } x) d[name] = x; }
        Set("max_length", p.GetValue(_maxLength));
        Set("max_new_tokens", p.GetValue(_maxNew));
        Set("min_length", p.GetValue(_minLength));
        Set("do_sample", p.GetValue(_sample) is { } s ? (s ? 1 : 0) : null);
        Set("temperature", p.GetValue(_temperature));
        Set("top_k", p.GetValue(_topK));
        Set("top_p", p.GetValue(_topP));
        Set("repetition_penalty", p.GetValue(_penalty));
        Set("random_seed", p.GetValue(_seed));
        return d;
    }

    /// <summary>Applies the options given to <paramref name="gp"/>.</summary>
    public void Apply(ParseResult p, GeneratorParams gp)
    {
        foreach (var (name, value) in Overrides(p)) gp.SetSearchOption(name, value);
        if (Stops(p).Count > 0) gp.SetStopStrings(Stops(p));
    }

    public override string ToString() => string.Join(", ", SearchOptions.Names.Select(n => n.ToString(CultureInfo.InvariantCulture)));
}
